import type { CallAttempt } from '../attempt.js';
import { isPrivateUse, type ParsedIp, parseIp } from '../net/ip.js';
import { parseSipUri } from '../sip/uri.js';
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

/** Whether `host` (a URI host: domain, IPv4, `[IPv6]`) is one of ours. */
type OwnHostTest = (host: string) => boolean;

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
    const localIp = a.local?.ip !== undefined ? parseIp(a.local.ip) : undefined;
    const isOwnHost: OwnHostTest = (host) => this.isOwnHost(host, localIp, source);
    let forged = false;
    const claimed = this.claimedOwnHost(a, isOwnHost);
    if (claimed !== undefined) {
      forged = true;
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
    return forged;
  }

  /** The first of From / P-Asserted-Identity / Remote-Party-ID whose host is ours, as `header host`. */
  private claimedOwnHost(a: CallAttempt & { protocol: 'sip' }, isOwnHost: OwnHostTest): string | undefined {
    const from = a.caller.host;
    if (from !== undefined && isOwnHost(from)) return `From host ${from}`;
    for (const [name, uri] of [
      ['P-Asserted-Identity', a.sip.assertedIdentity],
      ['Remote-Party-ID', a.sip.remotePartyId],
    ] as const) {
      if (uri === undefined) continue;
      const host = parseSipUri(uri)?.host;
      if (host !== undefined && isOwnHost(host)) return `${name} host ${host}`;
    }
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
    const ip = parseIp(unbracket(host));
    if (ip === undefined) return this.knowledge.isServedDomain(host);
    if (ip.text === source.text) return false;
    return this.knowledge.isLocalAddress(ip) || (localIp !== undefined && localIp.text === ip.text);
  }

  private addressChecks(
    a: CallAttempt & { protocol: 'sip' },
    source: ParsedIp,
    localIp: ParsedIp | undefined,
    out: Reason[],
  ): void {
    let namesUs: string | undefined;
    const check = (label: string, host: string | undefined, rule: 'foreignVia' | 'foreignContact' | 'foreignMedia') => {
      if (host === undefined) return;
      const ip = parseIp(unbracket(host));
      if (ip === undefined || ip.text === source.text || isPrivateUse(ip)) return;
      if (this.knowledge.isLocalAddress(ip) || (localIp !== undefined && localIp.text === ip.text)) {
        namesUs ??= `${label} ${ip.text}`;
        return;
      }
      const weight = this.w[rule];
      if (weight === undefined || out.some((r) => r.rule === IDENTITY_RULES[rule].id)) return;
      out.push({
        rule: IDENTITY_RULES[rule].id,
        detail: `${label} ${ip.text} is a public address other than the source ${source.text}`,
        weight,
      });
    };
    check('Via sent-by', hostOfSentBy(a.sip.viaSentBy), 'foreignVia');
    check('Contact', a.sip.contact === undefined ? undefined : contactHostOf(a.sip.contact), 'foreignContact');
    for (const addr of a.media?.connectionAddresses ?? []) check('SDP c=', addr, 'foreignMedia');
    if (namesUs !== undefined && this.w.namesThisServer !== undefined) {
      out.push({
        rule: IDENTITY_RULES.namesThisServer.id,
        detail: `${namesUs} is this server's own address, written by a caller at ${source.text}`,
        weight: this.w.namesThisServer,
      });
    }
  }
}

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
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

/** The host of the first Contact value (`"x" <sip:u@h:p;…>;expires=…`, `*`). */
function contactHostOf(contact: string): string | undefined {
  const lt = contact.indexOf('<');
  const uri =
    lt >= 0 ? contact.slice(lt + 1, contact.indexOf('>', lt) >= 0 ? contact.indexOf('>', lt) : undefined) : contact;
  return parseSipUri(uri.trim())?.host;
}
