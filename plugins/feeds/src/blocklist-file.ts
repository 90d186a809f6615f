import { readFileSync, statSync } from 'node:fs';
import { type Guard, isCodedError, type Logger } from '@ghostguard/core';
import { FeedsError } from './errors.js';
import type { BlocklistFileOptions } from './options.js';

export interface BlocklistHealth {
  name: string;
  path: string;
  entries: number;
  invalid: number;
  lastLoaded?: number;
  lastError?: string;
}

/** One IP address or CIDR per line; `#` or `;` start a comment; blank lines are skipped. */
export function parseBlocklist(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const cut = line.search(/[#;]/);
    const entry = (cut >= 0 ? line.slice(0, cut) : line).trim();
    if (entry !== '') out.push(entry);
  }
  return out;
}

/**
 * A plain blocklist file kept in the guard as feed `<name>`, reloaded when it changes (polled: survives
 * editors that replace the file). An unreadable or oversized file keeps the last good list, logged.
 */
export class BlocklistFileFeed {
  private entries = 0;
  private invalid = 0;
  private lastLoaded: number | undefined;
  private lastError: string | undefined;
  /** mtime, size and inode of the file as last read ('' when it could not be): a change of any reloads it. */
  private stamp = '';
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly guard: Guard,
    private readonly options: BlocklistFileOptions,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.load();
    // Polled against what was last read (fs.watchFile compares two polls of its own, and its first one is
    // asynchronous: a change made before it ran was never reported). One stat per interval.
    this.timer = setInterval(() => {
      if (stampOf(this.options.path) !== this.stamp) this.load();
    }, this.options.pollInterval);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Reads the file and replaces the feed; keeps the previous list when the file cannot be used. */
  load(): boolean {
    const { name, path, maxBytes } = this.options;
    let text: string;
    this.stamp = stampOf(path);
    try {
      const size = statSync(path).size;
      if (size > maxBytes)
        throw new FeedsError('GG_FEED_FILE_TOO_LARGE', `${size} bytes, more than maxBytes ${maxBytes}`);
      text = readFileSync(path, 'utf8');
    } catch (err) {
      this.lastError = (err as Error).message;
      this.logger.warn(
        {
          event: 'blocklist-unreadable',
          code: isCodedError(err) ? err.code : undefined,
          feed: name,
          path,
          error: this.lastError,
          entries: this.entries,
        },
        'blocklist file not loaded: keeping the last good list (fail-open for addresses not on it)',
      );
      return false;
    }
    const update = this.guard.feeds.set(name, parseBlocklist(text));
    this.entries = update.accepted;
    this.invalid = update.invalid;
    this.lastLoaded = Date.now();
    this.lastError = undefined;
    if (update.invalid > 0) {
      this.logger.warn(
        { event: 'blocklist-invalid-lines', feed: name, path, invalid: update.invalid, samples: update.invalidSamples },
        'blocklist lines that are no IP address or CIDR were skipped',
      );
    }
    return true;
  }

  health(): BlocklistHealth {
    const h: BlocklistHealth = {
      name: this.options.name,
      path: this.options.path,
      entries: this.entries,
      invalid: this.invalid,
    };
    if (this.lastLoaded !== undefined) h.lastLoaded = this.lastLoaded;
    if (this.lastError !== undefined) h.lastError = this.lastError;
    return h;
  }
}

function stampOf(path: string): string {
  try {
    const st = statSync(path);
    return `${st.mtimeMs}:${st.size}:${st.ino}`;
  } catch {
    return '';
  }
}
