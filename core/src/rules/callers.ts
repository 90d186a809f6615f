import type { CallAttempt } from '../attempt.js';
import type { CallerPolicyConfig } from '../config.js';
import { CidrSet } from '../net/cidr-set.js';
import type { ParsedIp } from '../net/ip.js';
import type { Action, Reason } from '../verdict.js';

export const CALLER_RULES = {
  denied: 'callers.denied',
  listed: 'callers.listed',
  notListed: 'callers.not-listed',
} as const;

/** One allow or deny list, compiled: CIDRs as a set, domains and aliases lower-cased. */
class CallerList {
  readonly cidrs = new CidrSet();
  readonly domains: ReadonlySet<string>;
  readonly aliases: ReadonlySet<string>;
  readonly empty: boolean;

  constructor(list: CallerPolicyConfig['allow']) {
    for (const c of list.cidrs) this.cidrs.add(c);
    this.domains = new Set(list.domains.map((d) => d.toLowerCase()));
    this.aliases = new Set(list.aliases.map((d) => d.toLowerCase()));
    this.empty = list.cidrs.length === 0 && this.domains.size === 0 && this.aliases.size === 0;
  }

  /** What matched, as text for the reason; undefined when nothing did. */
  match(a: CallAttempt, ip: ParsedIp, fromHostForged: boolean): string | undefined {
    if (this.empty) return undefined;
    const net = this.cidrs.match(ip);
    if (net) return `source in ${net.label}`;
    const host = a.caller.host?.toLowerCase();
    if (host !== undefined && !fromHostForged && this.domains.has(host)) return `caller domain ${host}`;
    for (const alias of callerAliases(a)) if (this.aliases.has(alias.toLowerCase())) return `caller alias ${alias}`;
    return undefined;
  }
}

/** The names a caller gives: H.323 source aliases, the calling number, the SIP From user. */
function callerAliases(a: CallAttempt): string[] {
  const names: string[] = [];
  if (a.caller.user) names.push(a.caller.user);
  if (a.protocol === 'h323') {
    for (const alias of a.h323.sourceAliases) names.push(alias.value);
    if (a.h323.callingNumber) names.push(a.h323.callingNumber);
  }
  return names;
}

export class CompiledCallerPolicy {
  private readonly allow: CallerList;
  private readonly deny: CallerList;
  /** True for the default policy (open, nothing listed): nothing to evaluate. */
  readonly inert: boolean;

  constructor(readonly config: CallerPolicyConfig) {
    this.allow = new CallerList(config.allow);
    this.deny = new CallerList(config.deny);
    this.inert = config.others === 'open' && this.allow.empty && this.deny.empty;
  }

  /**
   * Adds the caller-policy reason (weight 0: a room's policy refuses without banning the caller from other
   * rooms) and returns the action the policy forces, if any, and whether the caller is listed.
   */
  evaluate(
    a: CallAttempt,
    ip: ParsedIp,
    room: string,
    fromHostForged: boolean,
    out: Reason[],
  ): { forced?: Action; listed: boolean } {
    const denied = this.deny.match(a, ip, fromHostForged);
    if (denied !== undefined) {
      out.push({ rule: CALLER_RULES.denied, detail: `${denied} may not call ${room}`, weight: 0 });
      return { forced: this.config.refuse, listed: false };
    }
    const allowed = this.allow.match(a, ip, fromHostForged);
    if (allowed !== undefined) {
      out.push({ rule: CALLER_RULES.listed, detail: `${allowed} may call ${room}`, weight: 0 });
      return { listed: true };
    }
    if (this.config.others === 'known') {
      out.push({ rule: CALLER_RULES.notListed, detail: `${room} takes calls from listed callers only`, weight: 0 });
      return { forced: this.config.refuse, listed: false };
    }
    return { listed: false };
  }
}

/** Compiled policies, one per distinct config object (the default and each static room's own). */
export class CallerPolicies {
  private readonly compiled = new WeakMap<CallerPolicyConfig, CompiledCallerPolicy>();
  readonly fallback: CompiledCallerPolicy;

  constructor(defaultPolicy: CallerPolicyConfig) {
    this.fallback = this.of(defaultPolicy);
  }

  of(config: CallerPolicyConfig | undefined): CompiledCallerPolicy {
    if (config === undefined) return this.fallback;
    let c = this.compiled.get(config);
    if (c === undefined) {
      c = new CompiledCallerPolicy(config);
      this.compiled.set(config, c);
    }
    return c;
  }
}
