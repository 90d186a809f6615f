import { Writable } from 'node:stream';
import { createLogger, type Logger } from '@ghostguard/core';
import { waitUntil as coreWaitUntil } from '@ghostguard/core/testing';

/** The core's bounded wait, polling every 2 ms. */
export function waitUntil(predicate: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  return coreWaitUntil(predicate, timeoutMs, what, 2);
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
