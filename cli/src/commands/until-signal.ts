/** Resolves on the first SIGINT or SIGTERM; `dispose` removes the handlers (single-adapter commands). */
export function untilSignal(): { done: Promise<NodeJS.Signals>; dispose: () => void } {
  let onSignal: (s: NodeJS.Signals) => void = () => {};
  const done = new Promise<NodeJS.Signals>((resolve) => {
    onSignal = (s) => resolve(s);
  });
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    done,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
