/**
 * Test helpers for the Asterisk adapter, exported as `@ghostguard/asterisk/testing` (tests, `pnpm bench`,
 * `pnpm demo`): a bounded poll and a log capture. The AMI peer itself is `@ghostguard/peers/ami`.
 */
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '@ghostguard/core';

/** Polls `predicate` every few ms until it holds; rejects after `timeoutMs` naming `what`. */
export function waitUntil(predicate: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = performance.now() + timeoutMs;
    const tick = (): void => {
      if (predicate()) resolve();
      else if (performance.now() > deadline) reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      else setTimeout(tick, 2);
    };
    tick();
  });
}

export interface LogCapture {
  readonly logger: Logger;
  /** Every line logged, parsed (at most `maxLines`, the oldest dropped). */
  readonly lines: Array<Record<string, unknown>>;
  /** Lines whose `event` field is `event`. */
  events(event: string): Array<Record<string, unknown>>;
}

/** A pino logger that keeps its JSON lines in memory. */
export function captureLogs(level: 'trace' | 'debug' | 'info' | 'warn' = 'debug', maxLines = 10_000): LogCapture {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const text of chunk.toString('utf8').split('\n')) {
        if (text === '') continue;
        try {
          lines.push(JSON.parse(text) as Record<string, unknown>);
        } catch {
          lines.push({ msg: text });
        }
        if (lines.length > maxLines) lines.shift();
      }
      done();
    },
  });
  return {
    logger: createLogger({ log: { level } }, sink),
    lines,
    events: (event) => lines.filter((l) => l.event === event),
  };
}
