import { DaemonError } from './errors.js';

/**
 * Resolves or rejects like `work`, or rejects with GG_DAEMON_TIMEOUT after `ms` naming `what`; `onLate` gets a value
 * that came too late.
 */
export function withTimeout<T>(work: Promise<T>, ms: number, what: string, onLate?: (value: T) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      reject(new DaemonError('GG_DAEMON_TIMEOUT', `${what} took longer than ${ms} ms`));
    }, ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        if (timedOut) onLate?.(value);
        else resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        if (!timedOut) reject(err);
      },
    );
  });
}
