import { type Logger, pino } from 'pino';
import type { GhostguardConfig } from './config.js';

export type { Logger };

/** The default logger: JSON lines on stdout, level from config. Hosts pass their own pino instance instead. */
export function createLogger(
  config: { log: Pick<GhostguardConfig['log'], 'level'> },
  destination?: NodeJS.WritableStream,
): Logger {
  const options = { name: 'ghostguard', level: config.log.level };
  return destination ? pino(options, destination) : pino(options);
}

/**
 * Logs at most `perInterval` lines per interval for a noisy condition (hostile input can arrive at line rate),
 * counting what it held back so the next line says how many were suppressed. The interval starts with the
 * first line written after the previous one ended.
 */
export class LogThrottle {
  private windowStart = Number.NEGATIVE_INFINITY;
  private used = 0;
  private suppressed = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly perInterval = 1,
  ) {}

  /** Returns the number suppressed since the last line when this one may be logged, else undefined. */
  take(now = Date.now()): number | undefined {
    if (now - this.windowStart >= this.intervalMs) {
      this.windowStart = now;
      this.used = 0;
    }
    if (this.used >= this.perInterval) {
      this.suppressed++;
      return undefined;
    }
    this.used++;
    const n = this.suppressed;
    this.suppressed = 0;
    return n;
  }
}
