import type { Daemon } from './daemon.js';

export interface SignalWiring {
  /** Resolves with the first SIGTERM or SIGINT. */
  readonly stopRequested: Promise<NodeJS.Signals>;
  /** Removes the handlers. */
  dispose(): void;
}

/**
 * SIGHUP reloads the configuration (the daemon logs the outcome; a failed reload keeps the running one);
 * SIGTERM and SIGINT ask for a clean stop. Handlers stay installed until `dispose`, so a second SIGTERM
 * while stopping does not kill the process with bans unwritten.
 */
export function wireSignals(daemon: Daemon, proc: NodeJS.Process = process): SignalWiring {
  let requestStop: (s: NodeJS.Signals) => void = () => {};
  const stopRequested = new Promise<NodeJS.Signals>((resolve) => {
    requestStop = resolve;
  });
  const log = daemon.guard.logger.child({ component: 'daemon' });
  let stopping = false;
  const onHup = (): void => {
    log.info({ event: 'sighup' }, 'SIGHUP: reloading the configuration');
    // reload() never rejects for a bad file (it returns the error); anything else is logged, never thrown.
    daemon.reload().catch((err: unknown) => log.error({ event: 'reload-error', err }, 'reload failed'));
  };
  const onStop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.warn({ event: 'signal-while-stopping', signal }, `${signal}: already stopping`);
      return;
    }
    stopping = true;
    log.info({ event: 'stop-signal', signal }, `${signal}: stopping`);
    requestStop(signal);
  };
  proc.on('SIGHUP', onHup);
  proc.on('SIGTERM', onStop);
  proc.on('SIGINT', onStop);
  return {
    stopRequested,
    dispose: () => {
      proc.off('SIGHUP', onHup);
      proc.off('SIGTERM', onStop);
      proc.off('SIGINT', onStop);
    },
  };
}
