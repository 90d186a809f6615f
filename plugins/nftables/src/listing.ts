import { parseIp } from '@ghostguard/core';
import { FirewallError } from './errors.js';
import { type SlotName, slotOf } from './ruleset.js';

/**
 * An address or a prefix in one canonical spelling (`198.51.100.7`, `198.51.100.0/24`, `2001:db8::/64`): the guard
 * writes prefixes its way (`2001:db8:0:0::/64`), nft lists them its way; both meet here. Undefined when it is
 * neither.
 */
export function canonicalElement(text: string): string | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return parseIp(text)?.text;
  const ip = parseIp(text.slice(0, slash));
  const lenText = text.slice(slash + 1);
  if (ip === undefined || !/^\d{1,3}$/.test(lenText)) return undefined;
  const len = Number(lenText);
  if (len > (ip.family === 4 ? 32 : 128)) return undefined;
  return `${ip.text}/${len}`;
}

/** What the kernel holds in the bouncer's sets: element → when it ends (ms since the epoch; Infinity: never). */
export type KernelElements = Map<SlotName, Map<string, number>>;

interface ListedSet {
  name?: unknown;
  elem?: unknown;
}

/**
 * Reads `nft -j list table inet <t>`: the elements of the bouncer's sets with their `expires` (whole seconds in
 * nft's JSON, so an end read back is up to a second early). Sets that are not the bouncer's (trust) are skipped;
 * an element of a shape the bouncer never writes (a range) is returned as its text so that the diff deletes it.
 * nft 1.0.6's shapes, as listed on this machine: `{"elem": {"val": "10.1.0.5", "timeout": 30, "expires": 28}}`,
 * `{"elem": {"val": {"prefix": {"addr": "10.2.0.0", "len": 24}}, ...}}`, and a bare value without a timeout.
 */
export function parseListing(json: string, now: number): KernelElements {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (err) {
    throw new FirewallError('GG_FIREWALL_LIST_INVALID', 'nft -j list table: not JSON', { cause: err });
  }
  const items = (doc as { nftables?: unknown })?.nftables;
  if (!Array.isArray(items))
    throw new FirewallError('GG_FIREWALL_LIST_INVALID', 'nft -j list table: no nftables array');
  const out: KernelElements = new Map();
  for (const item of items) {
    const set = (item as { set?: ListedSet } | null)?.set;
    if (set === undefined || typeof set.name !== 'string' || slotOf(set.name) === undefined) continue;
    const elements = new Map<string, number>();
    out.set(set.name, elements);
    if (set.elem === undefined) continue;
    if (!Array.isArray(set.elem))
      throw new FirewallError('GG_FIREWALL_LIST_INVALID', `set ${set.name}: elem not a list`);
    for (const raw of set.elem) {
      const wrapped = (raw as { elem?: { val?: unknown; expires?: unknown } } | null)?.elem;
      const val = wrapped === undefined ? raw : wrapped.val;
      const expires = typeof wrapped?.expires === 'number' ? wrapped.expires : undefined;
      const text = valueText(val);
      if (text === undefined) {
        throw new FirewallError('GG_FIREWALL_LIST_INVALID', `set ${set.name}: element ${JSON.stringify(raw)}`);
      }
      elements.set(text, expires === undefined ? Number.POSITIVE_INFINITY : now + expires * 1000);
    }
  }
  return out;
}

function valueText(val: unknown): string | undefined {
  if (typeof val === 'string') return canonicalElement(val) ?? val;
  const prefix = (val as { prefix?: { addr?: unknown; len?: unknown } } | null)?.prefix;
  if (prefix !== undefined && typeof prefix.addr === 'string' && typeof prefix.len === 'number') {
    const text = `${prefix.addr}/${prefix.len}`;
    return canonicalElement(text) ?? text;
  }
  const range = (val as { range?: unknown } | null)?.range;
  if (Array.isArray(range) && range.length === 2 && range.every((r) => typeof r === 'string')) {
    return `${range[0]}-${range[1]}`;
  }
  return undefined;
}
