import type { InputProgress } from './input-file.js';

/** Inputs from this size on get a progress line (when stderr is a terminal). */
export const PROGRESS_MIN_BYTES = 64 * 1024 * 1024;
const INTERVAL_MS = 1_000;
const MB = 1024 * 1024;

/**
 * A progress line for one large input, rewritten in place at most once a second on a terminal: bytes read of
 * the file (compressed bytes for gzip), attempts judged so far. Nothing for small inputs or without a writer.
 */
export class ProgressLine {
  private timer: NodeJS.Timeout | undefined;
  private shown = false;

  constructor(
    private readonly write: ((text: string) => void) | undefined,
    private readonly file: string,
    private readonly progress: InputProgress,
    private readonly judged: () => number,
  ) {}

  start(): void {
    if (this.write === undefined) return;
    this.timer = setInterval(() => {
      if (this.progress.size < PROGRESS_MIN_BYTES) return;
      const { read, size } = this.progress;
      const pct = size > 0 ? Math.min(100, (read / size) * 100).toFixed(0) : '?';
      this.write!(
        `\r${this.file}: ${(read / MB).toFixed(0)} of ${(size / MB).toFixed(0)} MB (${pct}%), ${this.judged().toLocaleString('en-US')} attempts judged\u001b[K`,
      );
      this.shown = true;
    }, INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    if (this.shown) this.write?.('\r\u001b[K');
  }
}
