import { type CidrEntry, CidrSet } from '../net/cidr-set.js';
import type { ParsedIp } from '../net/ip.js';

/** Most entries one feed may hold; the rest of a larger list is refused (and counted). */
export const MAX_FEED_ENTRIES = 2_000_000;
const MAX_FEED_NAME = 64;
const MAX_INVALID_SAMPLES = 5;

export interface FeedInfo {
  name: string;
  entries: number;
  /** ms since the epoch of the last `set`. */
  updatedAt: number;
}

export interface FeedUpdate {
  accepted: number;
  /** Lines that are no IP address or CIDR (or past the size cap). */
  invalid: number;
  /** The first few invalid entries, for the log. */
  invalidSamples: string[];
}

interface Feed {
  set: CidrSet;
  updatedAt: number;
}

/**
 * Reputation lists from outside (APIBAN, blocklist files): one CIDR set per named feed, replaced as a whole
 * on every update, checked in the known-bad layer.
 */
export class FeedLists {
  private readonly feeds = new Map<string, Feed>();
  private ordered: Array<[string, Feed]> = [];

  get size(): number {
    return this.feeds.size;
  }

  /** Replaces feed `name` with `entries` (IP addresses or CIDRs). */
  set(name: string, entries: Iterable<string>, now: number): FeedUpdate {
    const feedName = name.slice(0, MAX_FEED_NAME);
    const set = new CidrSet();
    const label = `feed:${feedName}`;
    let invalid = 0;
    const invalidSamples: string[] = [];
    for (const raw of entries) {
      const text = typeof raw === 'string' ? raw.trim() : '';
      if (set.size >= MAX_FEED_ENTRIES || text === '' || text.length > 64) {
        invalid++;
        if (invalidSamples.length < MAX_INVALID_SAMPLES) invalidSamples.push(String(raw).slice(0, 64));
        continue;
      }
      try {
        set.add(text, label);
      } catch {
        invalid++;
        if (invalidSamples.length < MAX_INVALID_SAMPLES) invalidSamples.push(text);
      }
    }
    this.feeds.set(feedName, { set, updatedAt: now });
    this.ordered = [...this.feeds.entries()];
    return { accepted: set.size, invalid, invalidSamples };
  }

  clear(name: string): boolean {
    const removed = this.feeds.delete(name);
    if (removed) this.ordered = [...this.feeds.entries()];
    return removed;
  }

  /** Every entry of every feed (a network listed by two feeds comes twice). */
  *cidrs(): IterableIterator<string> {
    for (const [, f] of this.ordered) yield* f.set.cidrs();
  }

  /** The first feed listing `ip`, with the matching entry. */
  match(ip: ParsedIp): { feed: string; entry: CidrEntry } | undefined {
    for (const [feed, f] of this.ordered) {
      const entry = f.set.match(ip);
      if (entry) return { feed, entry };
    }
    return undefined;
  }

  list(): FeedInfo[] {
    return this.ordered.map(([name, f]) => ({ name, entries: f.set.size, updatedAt: f.updatedAt }));
  }
}
