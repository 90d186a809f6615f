import type { CallAttempt } from '../attempt.js';
import type { GhostguardConfig } from '../config.js';
import { type ParsedIp, parseIp } from '../net/ip.js';
import type { RoomEntry, RoomRegistry } from '../rooms/room-registry.js';

function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

const URI_USER = /^(?:sips?|tel):([^@;>?]+)@/i;

/** The user the attempt is aimed at: the Request-URI user, or for REGISTER the To URI user. */
export function targetUserOf(a: CallAttempt): string | undefined {
  if (a.target.user) return a.target.user;
  if (a.protocol === 'sip' && a.sip.toUri) {
    const uri = a.sip.toUri.replace(/^[^<]*</, '');
    return URI_USER.exec(uri)?.[1];
  }
  return undefined;
}

/**
 * What this deployment knows about legitimate destinations: served domains, its own addresses,
 * target users that exist (configured rooms and extensions), and the room systems registered right now.
 */
export class TargetKnowledge {
  private readonly domains: ReadonlySet<string>;
  private readonly localAddresses: ReadonlySet<string>;
  private readonly exactTargets: ReadonlySet<string>;
  private readonly targetGlobs: readonly RegExp[];

  constructor(
    dial: GhostguardConfig['dialShape'],
    private readonly rooms?: RoomRegistry,
  ) {
    this.domains = new Set(dial.domains.map((d) => d.toLowerCase()));
    this.localAddresses = new Set(dial.localAddresses.map((a) => parseIp(a)?.text ?? a));
    const exact = new Set<string>();
    const globs: RegExp[] = [];
    for (const t of dial.knownTargets) {
      if (/[*?]/.test(t)) globs.push(globToRegExp(t));
      else exact.add(t.toLowerCase());
    }
    this.exactTargets = exact;
    this.targetGlobs = globs;
  }

  /** True when target users are configured or rooms are on file, so "unknown target" means something. */
  get knowsTargets(): boolean {
    return this.exactTargets.size > 0 || this.targetGlobs.length > 0 || (this.rooms?.size ?? 0) > 0;
  }

  get knowsDomains(): boolean {
    return this.domains.size > 0;
  }

  /** `now` (ms) decides whether a registration has expired. */
  isKnownTarget(user: string, now: number): boolean {
    if (this.exactTargets.has(user.toLowerCase())) return true;
    for (const g of this.targetGlobs) if (g.test(user)) return true;
    return this.rooms?.get(user, now) !== undefined;
  }

  /** The room on file that `user` reaches now, if any (a known target may also be a configured name only). */
  roomOf(user: string, now: number): RoomEntry | undefined {
    return this.rooms?.get(user, now);
  }

  /** True when a room on file registered from this address (rooms behind one NAT share one). */
  isRoomAddress(ip: ParsedIp): boolean {
    return this.rooms?.isRoomAddress(ip.text) ?? false;
  }

  isServedDomain(host: string): boolean {
    return this.domains.has(host.toLowerCase());
  }

  isLocalAddress(ip: ParsedIp): boolean {
    return this.localAddresses.has(ip.text);
  }
}
