import { performance } from 'node:perf_hooks';

/**
 * Polls `predicate` every `pollMs` until it holds; rejects after `timeoutMs` naming `what`, or with what the
 * predicate threw (the core's test helper, with its defaults). The bounded wait of the stand-ins and of whoever
 * drives them (`pnpm demo`), which must not import the packages' `testing` helpers.
 */
export function waitUntil(predicate: () => boolean, timeoutMs = 5_000, what = 'condition', pollMs = 5): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = performance.now() + timeoutMs;
    const tick = (): void => {
      let ok = false;
      try {
        ok = predicate();
      } catch (err) {
        reject(err);
        return;
      }
      if (ok) resolve();
      else if (performance.now() > deadline) reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      else setTimeout(tick, pollMs);
    };
    tick();
  });
}
