import { FirewallError } from '../errors.js';
import type { NftRunner } from '../runner.js';

/**
 * A stand-in for nft in unit tests: keeps the elements of `add element` / `delete element` lines per set, refuses
 * a delete of an element it does not hold the way nft does (the whole batch rolled back), and answers
 * `-j list table` in nft 1.0.6's JSON shape (as listed on this machine; see listing.ts). Every run is recorded.
 */
export class FakeNft {
  readonly sets = new Map<string, Map<string, number>>();
  readonly runs: Array<{ args: readonly string[]; input: string | undefined }> = [];
  /** Throws this from the next runs (then clears it when `times` reaches 0). */
  failWith: FirewallError | undefined;
  failTimes = 0;
  now: () => number = Date.now;

  readonly runner: NftRunner = async (args, input) => {
    this.runs.push({ args, input });
    await Promise.resolve();
    if (this.failWith !== undefined && this.failTimes > 0) {
      this.failTimes--;
      throw this.failWith;
    }
    if (args[0] === '-j') return this.listing();
    this.apply(input ?? '');
    return '';
  };

  /** Batches that changed elements (not structure writes, not listings). */
  elementRuns(): string[] {
    return this.runs.flatMap((r) => (r.input !== undefined && /^(add|delete) element/m.test(r.input) ? [r.input] : []));
  }

  holds(set: string, element: string): boolean {
    const until = this.sets.get(set)?.get(element);
    return until !== undefined && until > this.now();
  }

  private apply(script: string): void {
    const next = new Map([...this.sets].map(([k, v]) => [k, new Map(v)]));
    for (const line of script.split('\n')) {
      const m = /^(add|delete) element inet \w+ (\w+) \{ (.*) \}$/.exec(line);
      if (m === null) {
        const set = /^add set inet \w+ (\w+) /.exec(line);
        if (set !== null && !next.has(set[1]!)) next.set(set[1]!, new Map());
        continue;
      }
      const [, verb, name, body] = m;
      const elements = next.get(name!) ?? new Map<string, number>();
      next.set(name!, elements);
      for (const item of body!.split(', ')) {
        const [text, , timeout] = item.split(' ');
        if (verb === 'delete') {
          const until = elements.get(text!);
          if (until === undefined || until <= this.now()) {
            throw new FirewallError(
              'GG_FIREWALL_REJECTED',
              `Error: Could not process rule: No such file or directory (${text})`,
            );
          }
          elements.delete(text!);
        } else if (!elements.has(text!) || elements.get(text!)! <= this.now()) {
          const ms = timeout === undefined ? Number.POSITIVE_INFINITY : Number(timeout.replace('ms', ''));
          elements.set(text!, this.now() + ms);
        }
      }
    }
    this.sets.clear();
    for (const [k, v] of next) this.sets.set(k, v);
  }

  private listing(): string {
    const now = this.now();
    const items: unknown[] = [{ metainfo: { version: '1.0.6' } }, { table: { family: 'inet', name: 'ghostguard' } }];
    for (const [name, elements] of this.sets) {
      const elem = [...elements]
        .filter(([, until]) => until > now)
        .map(([text, until]) => {
          const slash = text.indexOf('/');
          const val = slash < 0 ? text : { prefix: { addr: text.slice(0, slash), len: Number(text.slice(slash + 1)) } };
          return until === Number.POSITIVE_INFINITY
            ? val
            : { elem: { val, timeout: 0, expires: Math.floor((until - now) / 1000) } };
        });
      items.push({ set: { family: 'inet', name, table: 'ghostguard', ...(elem.length > 0 ? { elem } : {}) } });
    }
    return JSON.stringify({ nftables: items });
  }
}
