import type { CallerPolicyConfig, RoomKind } from '../config.js';
import { parseIp } from '../net/ip.js';

/** What an adapter learned about one room system's registration (a REGISTER, a ContactStatus event…). */
export interface RoomRegistration {
  /** Address of record: `room-1@video.example.com`, `sip:room-1@…`, or a bare extension `room-1`. */
  aor: string;
  /** Other names that reach the same system: extensions, H.323 h323-IDs and dialledDigits (E.164). */
  aliases?: readonly string[];
  /** Where calls for it go now (contact URI or ip:port). */
  contact: string;
  /** Where the registration came from, when the platform says. */
  source?: { ip: string; port?: number };
  /** Seconds from now; 0 removes the registration (as a REGISTER with Expires: 0 does). */
  expires: number;
  adapter?: string;
  /** What the system is, when the adapter knows (absent: rooms.defaultKind). */
  kind?: RoomKind;
}

export interface RoomEntry {
  aor: string;
  aliases: string[];
  contact: string;
  source?: { ip: string; port?: number };
  /** ms since the epoch; absent for static rooms from the config, which never expire. */
  expiresAt?: number;
  registeredAt: number;
  adapter?: string;
  static: boolean;
  /** Absent: rooms.defaultKind. */
  kind?: RoomKind;
  /** Who may call this room (static rooms only); absent: rooms.callers. */
  callers?: CallerPolicyConfig;
}

/** How a REGISTER relates to what the registry holds for that AOR. */
export type BindingChange =
  /** No room under this AOR yet. */
  | 'new'
  /** Same contact address as on file: a refresh. */
  | 'refresh'
  /** The contact moves to a new address, with valid credentials: a room that changed address. */
  | 'move'
  /** The contact would move without valid credentials: refuse and report (svwar/svcrack registrations). */
  | 'hijack';

export interface StaticRoom {
  name: string;
  aliases: readonly string[];
  address?: string | undefined;
  kind?: RoomKind | undefined;
  callers?: CallerPolicyConfig | undefined;
}

/** A name with nothing to strip: no scheme, brackets, parameters or surrounding blanks. */
const PLAIN_NAME = /^[^\s<>:;?]+$/;

/** Longest name kept; longer keys are refused rather than stored (hostile REGISTERs). */
const MAX_NAME_LENGTH = 256;

/** `sip:Room-1@Video.Example.com;transport=tcp` → `room-1@video.example.com`; `h323:5551234` → `5551234`. */
export function normalizeRoomName(name: string): string {
  let s = name.trim();
  const lt = s.indexOf('<');
  if (lt >= 0) s = s.slice(lt + 1, s.indexOf('>', lt) >= 0 ? s.indexOf('>', lt) : undefined);
  s = s.replace(/^(?:sips?|tel|h323):/i, '');
  const cut = s.search(/[;?>]/);
  if (cut >= 0) s = s.slice(0, cut);
  return s.toLowerCase();
}

/** The user part of a normalized AOR (`room-1@video.example.com` → `room-1`), or the name itself. */
function userPart(name: string): string {
  const at = name.lastIndexOf('@');
  return at > 0 ? name.slice(0, at) : name;
}

/** The host a contact points at (`sip:room-1@10.0.0.5:5060;transport=udp` → `10.0.0.5`). */
export function contactHost(contact: string): string {
  let s = normalizeRoomName(contact);
  const at = s.lastIndexOf('@');
  if (at >= 0) s = s.slice(at + 1);
  if (s.startsWith('[')) return s.slice(1, s.indexOf(']') > 0 ? s.indexOf(']') : undefined);
  const colon = s.indexOf(':');
  // One colon: host:port. More: a bare IPv6 address.
  if (colon >= 0 && s.indexOf(':', colon + 1) < 0) s = s.slice(0, colon);
  return parseIp(s)?.text ?? s;
}

/**
 * The room systems this deployment serves, keyed by every name that reaches them. Registrations expire;
 * static rooms from the config do not. Bounded: past `maxRooms` new registrations are refused (a
 * registration sweep cannot grow it without limit).
 */
export class RoomRegistry {
  private readonly byName = new Map<string, RoomEntry>();
  private readonly entries = new Map<string, RoomEntry>();
  /** How many rooms on file registered from (or sit at) each address: rooms behind one NAT share one. */
  private readonly bySource = new Map<string, number>();

  /** AORs of the static rooms that came from the config (replaced as a whole on reload). */
  private configRooms = new Set<string>();
  /**
   * Declared rooms without an address (a registrar's accounts: rooms that exist, reachable where they register)
   * whose registration is on file now: the declaration comes back when the registration expires or leaves.
   */
  private readonly declaredUnder = new Map<string, RoomEntry>();

  constructor(
    private maxRooms: number,
    staticRooms: readonly StaticRoom[] = [],
    now = Date.now(),
  ) {
    this.reconfigure(maxRooms, staticRooms, now);
  }

  /** A config reload: the config's static rooms are replaced; registrations and declared rooms stay. */
  reconfigure(maxRooms: number, staticRooms: readonly StaticRoom[], now: number): void {
    this.maxRooms = maxRooms;
    const next = new Set<string>();
    for (const r of staticRooms) {
      const entry = this.declare(r, now);
      if (entry) next.add(entry.aor);
    }
    for (const aor of this.configRooms) {
      if (next.has(aor)) continue;
      if (this.declaredUnder.delete(aor)) continue;
      const entry = this.entries.get(aor);
      if (entry?.static) this.remove(entry);
    }
    this.configRooms = next;
  }

  /**
   * A room that never registers (from the config, or from an adapter's own routing table such as the
   * H.323 gate's upstreams): kept until the guard closes. Replaces a registration under the same name, except
   * that a room declared without an address (a registrar's account: it exists, and is reachable where it
   * registers) keeps a registration on top of it.
   */
  declare(room: StaticRoom, now: number): RoomEntry | undefined {
    const aor = normalizeRoomName(room.name);
    if (aor === '' || aor.length > MAX_NAME_LENGTH) return undefined;
    const existing = this.entries.get(aor);
    const registered = existing !== undefined && !existing.static;
    // An account declared again while it is registered: the registration stays on top of the new declaration.
    if (registered && room.address === undefined) {
      const entry = staticEntry(aor, room, now);
      this.declaredUnder.set(aor, entry);
      return entry;
    }
    this.declaredUnder.delete(aor);
    if (existing) this.remove(existing);
    else if (this.entries.size >= this.maxRooms) return undefined;
    const entry = staticEntry(aor, room, now);
    this.store(entry);
    return entry;
  }

  /** Rooms on file, static ones included. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Adds or refreshes a registration; `expires: 0` removes it. Undefined when refused (cap, bad name). A room
   * declared with an address (the config's static rooms, the H.323 gate's upstreams) is never replaced; one
   * declared without (a registrar's account) takes the registration on top, and is back once it ends.
   */
  register(reg: RoomRegistration, now: number): RoomEntry | undefined {
    const aor = normalizeRoomName(reg.aor);
    if (aor === '' || aor.length > MAX_NAME_LENGTH) return undefined;
    const existing = this.entries.get(aor);
    if (!(reg.expires > 0)) {
      if (existing && !existing.static) this.remove(existing);
      return undefined;
    }
    if (existing?.static && existing.contact !== '') return existing;
    if (!existing && this.entries.size >= this.maxRooms) {
      this.sweep(now);
      if (this.entries.size >= this.maxRooms) return undefined;
    }
    if (existing?.static) {
      this.declaredUnder.set(aor, existing);
      this.detach(existing);
    } else if (existing) this.remove(existing);
    const aliases = (reg.aliases ?? [])
      .map(normalizeRoomName)
      .filter((a) => a !== '' && a.length <= MAX_NAME_LENGTH)
      .slice(0, 16);
    const declared = this.declaredUnder.get(aor);
    const entry: RoomEntry = {
      aor,
      aliases: aliases.length > 0 ? aliases : [...(declared?.aliases ?? [])],
      contact: reg.contact.slice(0, MAX_NAME_LENGTH),
      ...(reg.source ? { source: { ...reg.source } } : {}),
      expiresAt: now + Math.min(reg.expires, 7 * 86_400) * 1000,
      registeredAt: now,
      ...(reg.adapter ? { adapter: reg.adapter } : {}),
      static: false,
      ...(reg.kind ? { kind: reg.kind } : declared?.kind ? { kind: declared.kind } : {}),
      ...(declared?.callers ? { callers: declared.callers } : {}),
    };
    this.store(entry);
    return entry;
  }

  unregister(aor: string): boolean {
    const entry = this.entries.get(normalizeRoomName(aor));
    if (!entry || entry.static) return false;
    this.remove(entry);
    return true;
  }

  /** The room a dialled name reaches (AOR, its user part, or an alias), if it is registered now. */
  get(target: string, now: number): RoomEntry | undefined {
    if (this.entries.size === 0) return undefined;
    // Dialled names (the hot path) are usually bare users: lower-casing is all they need.
    const name = PLAIN_NAME.test(target) ? target.toLowerCase() : normalizeRoomName(target);
    const entry = this.byName.get(name) ?? this.byName.get(userPart(name));
    if (entry === undefined) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt <= now) {
      this.remove(entry);
      // A declared account whose registration ran out still exists (offline).
      const declared = this.entries.get(entry.aor);
      return declared?.static ? declared : undefined;
    }
    return entry;
  }

  /**
   * True when a room on file registered from this address or sits at it (canonical IP text). Registrations
   * that have expired but are not swept yet still count, for at most the sweep interval.
   */
  isRoomAddress(ip: string): boolean {
    return this.bySource.size > 0 && this.bySource.has(ip);
  }

  list(now: number): RoomEntry[] {
    this.sweep(now);
    return [...this.entries.values()].map((e) => ({ ...e, aliases: [...e.aliases] }));
  }

  /** How a REGISTER for `aor` from `contact` relates to the binding on file. */
  classify(aor: string, contact: string, authenticated: boolean, now: number): BindingChange {
    const entry = this.get(aor, now);
    // Nothing bound: no room yet, or a declared account that is not registered now (nothing to move).
    if (entry === undefined || entry.contact === '') return 'new';
    if (contactHost(entry.contact) === contactHost(contact)) return 'refresh';
    return authenticated ? 'move' : 'hijack';
  }

  sweep(now: number): void {
    for (const e of this.entries.values()) if (e.expiresAt !== undefined && e.expiresAt <= now) this.remove(e);
  }

  private store(entry: RoomEntry): void {
    const at = addressOf(entry);
    if (at !== undefined) this.bySource.set(at, (this.bySource.get(at) ?? 0) + 1);
    this.entries.set(entry.aor, entry);
    this.byName.set(entry.aor, entry);
    const user = userPart(entry.aor);
    // A user part shared by two AORs (room-1@a, room-1@b) keeps the first; full AORs still match.
    if (!this.byName.has(user)) this.byName.set(user, entry);
    for (const a of entry.aliases) if (!this.byName.has(a)) this.byName.set(a, entry);
  }

  /** Removes an entry; a registration that sat on a declared account gives the name back to the declaration. */
  private remove(entry: RoomEntry): void {
    this.detach(entry);
    if (entry.static) return;
    const declared = this.declaredUnder.get(entry.aor);
    if (declared === undefined) return;
    this.declaredUnder.delete(entry.aor);
    this.store(declared);
  }

  private detach(entry: RoomEntry): void {
    const at = addressOf(entry);
    const n = at === undefined ? 0 : (this.bySource.get(at) ?? 0);
    if (n > 1) this.bySource.set(at!, n - 1);
    else if (n === 1) this.bySource.delete(at!);
    this.entries.delete(entry.aor);
    // Only the names this entry owns; a user part it shadowed for another AOR stays reachable by that
    // AOR's full name (rare: the same extension under two domains).
    for (const name of [entry.aor, userPart(entry.aor), ...entry.aliases]) {
      if (this.byName.get(name) === entry) this.byName.delete(name);
    }
  }
}

function staticEntry(aor: string, room: StaticRoom, now: number): RoomEntry {
  return {
    aor,
    aliases: room.aliases
      .map(normalizeRoomName)
      .filter((a) => a !== '' && a.length <= MAX_NAME_LENGTH)
      .slice(0, 16),
    contact: room.address ?? '',
    registeredAt: now,
    static: true,
    ...(room.kind ? { kind: room.kind } : {}),
    ...(room.callers ? { callers: room.callers } : {}),
  };
}

/** Where a room's calls come from: the registration's source, else its contact or static address, if an IP. */
function addressOf(entry: RoomEntry): string | undefined {
  const src = entry.source ? parseIp(entry.source.ip) : undefined;
  if (src) return src.text;
  if (entry.contact === '') return undefined;
  const host = contactHost(entry.contact);
  return parseIp(host)?.text;
}
