import type { CallAttempt } from '../attempt.js';
import { isPrivateUse, isPrivateV4, type ParsedIp, parseIp, parseIpv4 } from '../net/ip.js';
import type { Reason } from '../verdict.js';
import type { TargetKnowledge } from './target-knowledge.js';
import { type RuleWeights, resolveWeights } from './weights.js';

export const IDENTITY_RULES = {
  /** From / P-Asserted-Identity / Remote-Party-ID names this deployment while the caller is an outsider. */
  ownDomainCaller: { id: 'identity.own-domain-caller', weight: 40 },
  /** The caller user is a bare short number (100, 1000, 1001…) claiming to be local. */
  shortNumberCaller: { id: 'identity.short-number-caller', weight: 20 },
  /** An address in Via, Contact or SDP c= names this server itself. */
  namesThisServer: { id: 'identity.names-this-server', weight: 30 },
  /** The topmost Via sent-by is a public address other than the source. */
  foreignVia: { id: 'identity.foreign-via', weight: 15 },
  /** The Contact host is a public address other than the source. */
  foreignContact: { id: 'identity.foreign-contact', weight: 10 },
  /** An SDP c= address is a public address other than the source. */
  foreignMedia: { id: 'identity.foreign-media-address', weight: 5 },
} as const;

type IdentityRule = keyof typeof IDENTITY_RULES;

const SHORT_NUMBER = /^\d{2,5}$/;
const VIDEO_NOTE = ' (offers video to a known room: not counted)';

/**
 * Caller identity that does not add up, for INVITEs from sources that are not trusted, not a registered
 * room and not authenticated by the platform. A caller that claims our own domain must authenticate (the
 * stock Kamailio configuration challenges exactly this: `if (from_uri==myself) auth_check`); a NAT writes
 * private addresses into Via/Contact/SDP, so a public address there that is not the source names someone
 * else, often the target itself.
 */
export class IdentityRules {
  private readonly w: Record<IdentityRule, number | undefined>;

  constructor(
    weights: RuleWeights,
    private readonly knowledge: TargetKnowledge,
  ) {
    this.w = resolveWeights(IDENTITY_RULES, weights);
  }

  /**
   * Returns true when the From host was found forged (a caller-policy domain match must not count it).
   * `videoToKnownRoom`: the call offers video to a room on file, the shape of our own bridges and rooms
   * dialling in: an identity claim is then shown but weighs nothing (they must stay at score 0).
   */
  evaluate(a: CallAttempt, source: ParsedIp, videoToKnownRoom: boolean, out: Reason[]): boolean {
    if (a.method !== 'INVITE' || a.protocol !== 'sip') return false;
    // This server itself (a local address) forwarding a call is not an outsider.
    if (this.knowledge.isLocalAddress(source)) return false;
    // No closures on this path: judge() runs it for every INVITE.
    const localIp = a.local?.ip !== undefined ? parseIp(a.local.ip) : undefined;
    const claimed = this.claimedOwnHost(a, localIp, source);
    if (claimed !== undefined) {
      const note = videoToKnownRoom ? VIDEO_NOTE : '';
      if (this.w.ownDomainCaller !== undefined) {
        out.push({
          rule: IDENTITY_RULES.ownDomainCaller.id,
          detail: `${claimed} names this deployment, but the caller is not trusted, not a room and did not authenticate${note}`,
          weight: videoToKnownRoom ? 0 : this.w.ownDomainCaller,
        });
      }
      const user = a.caller.user;
      if (user !== undefined && SHORT_NUMBER.test(user) && this.w.shortNumberCaller !== undefined) {
        out.push({
          rule: IDENTITY_RULES.shortNumberCaller.id,
          detail: `caller ${user} poses as a local extension${note}`,
          weight: videoToKnownRoom ? 0 : this.w.shortNumberCaller,
        });
      }
    }
    this.addressChecks(a, source, localIp, out);
    return claimed !== undefined;
  }

  /** The first of From / P-Asserted-Identity / Remote-Party-ID whose host is ours, as `header host`. */
  private claimedOwnHost(
    a: CallAttempt & { protocol: 'sip' },
    localIp: ParsedIp | undefined,
    source: ParsedIp,
  ): string | undefined {
    const from = a.caller.host;
    if (from !== undefined && this.isOwnHost(from, localIp, source)) return `From host ${from}`;
    const pai = a.sip.assertedIdentity === undefined ? undefined : uriHost(a.sip.assertedIdentity);
    if (pai !== undefined && this.isOwnHost(pai, localIp, source)) return `P-Asserted-Identity host ${pai}`;
    const rpid = a.sip.remotePartyId === undefined ? undefined : uriHost(a.sip.remotePartyId);
    if (rpid !== undefined && this.isOwnHost(rpid, localIp, source)) return `Remote-Party-ID host ${rpid}`;
    return undefined;
  }

  /**
   * A served domain (dialShape.domains), one of our addresses (dialShape.localAddresses) or the address the
   * attempt arrived on; an IP literal that is the source itself names the caller, not us. (Not "the
   * Request-URI host": rooms of one domain call each other under it, and without a site config nothing
   * else tells them from an outsider.)
   */
  private isOwnHost(host: string, localIp: ParsedIp | undefined, source: ParsedIp): boolean {
    if (host === '') return false;
    // A name (not a digit, no colon) is a domain: no address parse for the usual From host.
    const c = host.charCodeAt(0);
    if (!(c >= 0x30 && c <= 0x39) && c !== 0x5b && host.indexOf(':') < 0) return this.knowledge.isServedDomain(host);
    const ip = parseIp(host);
    if (ip === undefined) return this.knowledge.isServedDomain(host);
    if (ip.text === source.text) return false;
    return this.isOurAddress(ip, localIp);
  }

  private isOurAddress(ip: ParsedIp, localIp: ParsedIp | undefined): boolean {
    return this.knowledge.isLocalAddress(ip) || (localIp !== undefined && localIp.text === ip.text);
  }

  private addressChecks(
    a: CallAttempt & { protocol: 'sip' },
    source: ParsedIp,
    localIp: ParsedIp | undefined,
    out: Reason[],
  ): void {
    const via = hostOfSentBy(a.sip.viaSentBy);
    let namesUs = this.checkAddress('Via sent-by', via, 'foreignVia', source, localIp, out);
    const contact = a.sip.contact === undefined ? undefined : uriHost(a.sip.contact);
    namesUs = this.checkAddress('Contact', contact, 'foreignContact', source, localIp, out) ?? namesUs;
    const media = a.media?.connectionAddresses;
    if (media !== undefined) {
      for (let i = 0; i < media.length; i++) {
        namesUs = this.checkAddress('SDP c=', media[i], 'foreignMedia', source, localIp, out) ?? namesUs;
      }
    }
    if (namesUs !== undefined && this.w.namesThisServer !== undefined) {
      out.push({
        rule: IDENTITY_RULES.namesThisServer.id,
        detail: `${namesUs} is this server's own address, written by a caller at ${source.text}`,
        weight: this.w.namesThisServer,
      });
    }
  }

  /**
   * Adds the foreign-address reason for one address (once per rule); returns `label ip` when the address is
   * this server's own (reported once, as identity.names-this-server).
   */
  private checkAddress(
    label: string,
    host: string | undefined,
    rule: 'foreignVia' | 'foreignContact' | 'foreignMedia',
    source: ParsedIp,
    localIp: ParsedIp | undefined,
    out: Reason[],
  ): string | undefined {
    if (host === undefined || host === source.text) return undefined;
    // The common cases without building an address object: the source itself, a private IPv4 address.
    const v4 = parseIpv4(host);
    if (v4 !== undefined && ((source.family === 4 && v4 === source.v4) || isPrivateV4(v4))) return undefined;
    const ip = parseIp(host);
    if (ip === undefined || ip.text === source.text || isPrivateUse(ip)) return undefined;
    if (this.isOurAddress(ip, localIp)) return `${label} ${ip.text}`;
    const weight = this.w[rule];
    const id = IDENTITY_RULES[rule].id;
    if (weight === undefined) return undefined;
    for (let i = 0; i < out.length; i++) if (out[i]!.rule === id) return undefined;
    out.push({
      rule: id,
      detail: `${label} ${ip.text} is a public address other than the source ${source.text}`,
      weight,
    });
    return undefined;
  }
}

/** `host:port`, `[v6]:port`, `host` → host. */
function hostOfSentBy(sentBy: string | undefined): string | undefined {
  if (sentBy === undefined) return undefined;
  const s = sentBy.trim();
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    return end > 0 ? s.slice(1, end) : undefined;
  }
  const colon = s.indexOf(':');
  // More than one colon: a bare IPv6 address without brackets.
  return colon >= 0 && s.indexOf(':', colon + 1) < 0 ? s.slice(0, colon) : s;
}

/**
 * The host of a SIP URI or of the first name-addr in a header value (`"x" <sip:u@h:p;…>;expires=…`,
 * `sip:u@[v6]:p`), as written (not lower-cased), read by a scan: no URI object, no parameter map (judge()
 * reads Contact on every INVITE). undefined when there is none.
 */
export function uriHost(value: string): string | undefined {
  const lt = value.indexOf('<');
  let i = lt >= 0 ? lt + 1 : 0;
  const gt = lt >= 0 ? value.indexOf('>', i) : -1;
  const stop = gt < 0 ? value.length : gt;
  const colon = value.indexOf(':', i);
  if (colon < 0 || colon >= stop) return undefined;
  i = colon + 1;
  const at = value.indexOf('@', i);
  if (at >= 0 && at < stop) i = at + 1;
  if (value.charCodeAt(i) === 0x5b /* [ */) {
    const close = value.indexOf(']', i);
    return close > i && close < stop ? value.slice(i + 1, close) : undefined;
  }
  let j = i;
  while (j < stop && !HOST_END.has(value.charCodeAt(j))) j++;
  return j > i ? value.slice(i, j) : undefined;
}

/** `:` port, `;` parameters, `?` headers, `>` end of name-addr, blank or `,` end of value. */
const HOST_END: ReadonlySet<number> = new Set([0x3a, 0x3b, 0x3f, 0x3e, 0x20, 0x09, 0x2c]);
