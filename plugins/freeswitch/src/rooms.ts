/**
 * Keeps guard.rooms in step with FreeSWITCH's sofia registrar. After every (re)connect of the inbound socket it
 * lists each configured profile (`api sofia xmlstatus profile <p> reg`) and prunes the rooms it had learned that
 * the profile no longer holds; then it follows `sofia::register`, `sofia::unregister` and `sofia::expire`.
 *
 * sofia only stores a binding it authenticated; every binding goes to guard.rooms.acceptBinding, which decides (the
 * core still counts credentials as none when the source has been failing authentication: svcrack's cracked
 * password). A hijack is not stored (the room stays where it was), the core bans the source, and, with
 * `flushHijacks`, the hijacker's binding is removed from FreeSWITCH by its Call-ID
 * (`sofia profile <p> flush_inbound_reg <call-id>`).
 */
import { countBinding, type Guard, type Logger, normalizeRoomName } from '@ghostguard/core';
import type { ResolvedFreeswitchOptions } from './options.js';
import { bindingAor, parseRegListing, type RegistrationEvent, type SofiaBinding } from './sofia-registrations.js';
import type { FreeswitchStats } from './stats.js';

export type ApiResult = { ok: true; body: string } | { ok: false; problem: string };
/** Sends `api <command>` on the inbound socket; the callback runs once (answer, timeout or connection loss). */
export type ApiSender = (command: string, done: (r: ApiResult) => void) => void;

const ADAPTER = 'freeswitch';
/** Bindings kept per AOR (sofia allows several with multiple-registrations). */
const MAX_BINDINGS_PER_AOR = 8;

/** The command-line-safe forms of a profile name and a Call-ID (FreeSWITCH splits api arguments at spaces). */
const SAFE_PROFILE = /^[A-Za-z0-9_.-]{1,64}$/;
const SAFE_CALL_ID = /^[\x21-\x7e]{1,256}$/;

/** What is remembered of a binding sofia holds for a room (no user agent, no expiry: the registry has those). */
type OwnedBinding = Pick<SofiaBinding, 'profile' | 'callId' | 'contact' | 'source'>;

/** One binding of an AOR: by Call-ID when both carry one (a hijacker may copy a contact), else by contact. */
function sameBinding(a: OwnedBinding, b: OwnedBinding): boolean {
  if (a.callId !== undefined && b.callId !== undefined) return a.callId === b.callId;
  return a.contact === b.contact;
}

/** How long after a flush the profiles are listed again (sofia::expire of the flush arrives first). */
const RELIST_AFTER_FLUSH_MS = 1_000;

export class FreeswitchRooms {
  /** AOR (normalized) → the bindings FreeSWITCH holds for it that this adapter accepted, newest last. */
  private readonly owned = new Map<string, OwnedBinding[]>();
  private gen = 0;
  private closed = false;
  /** A listing answer overflowed the inbound frame cap once: listing again would only loop on reconnects. */
  private listingTooLarge = false;
  private listingInFlight = false;
  /** A re-listing asked for after a flush (one at a time, at most one per RELIST_AFTER_FLUSH_MS). */
  private relistTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly guard: Guard,
    private readonly o: ResolvedFreeswitchOptions['inbound']['rooms'],
    private readonly log: Logger,
    private readonly stats: FreeswitchStats,
  ) {}

  /** Called when a frame over the inbound cap closed the connection. */
  frameTooLarge(): void {
    if (!this.listingInFlight || this.listingTooLarge) return;
    this.listingTooLarge = true;
    this.listingInFlight = false;
    // The listing in flight is abandoned: its answer is gone with the connection.
    this.gen++;
    this.stats.rooms.listFailures++;
    this.log.error(
      { event: 'freeswitch-rooms-list-failed', reason: 'answer too large' },
      'a registration listing is larger than inbound.maxFrameBytes: raise it; until then rooms are learned from sofia::register events only (fail-open: rooms already on file are kept, none pruned)',
    );
  }

  /** After each accepted subscription: list every profile. */
  resync(api: ApiSender): void {
    if (!this.o.enabled || this.closed) return;
    const gen = ++this.gen;
    if (this.listingTooLarge) {
      this.log.debug(
        { event: 'freeswitch-rooms-list-skipped', reason: 'answer too large' },
        'registration listing skipped',
      );
      return;
    }
    const profiles = this.o.profiles.filter((p) => SAFE_PROFILE.test(p));
    const next = (i: number): void => {
      if (!this.live(gen)) return;
      if (i >= profiles.length) {
        this.listingInFlight = false;
        return;
      }
      const profile = profiles[i]!;
      this.listingInFlight = true;
      api(`sofia xmlstatus profile ${profile} reg`, (r) => {
        if (!this.live(gen)) return;
        this.listed(profile, r, api);
        next(i + 1);
      });
    };
    next(0);
  }

  close(): void {
    this.closed = true;
    this.gen++;
    clearTimeout(this.relistTimer);
    this.relistTimer = undefined;
  }

  /**
   * After a flush: list again, so the registry holds what sofia now holds. Without `multiple-registrations`, sofia
   * replaced the room's own binding when it stored the hijacker's (sofia_reg.c deletes the AOR's other rows), so
   * after the flush the room is not registered at all: the listing prunes it (calls to it are then refused by
   * FreeSWITCH with user_not_registered, and count as unknown targets) until the room registers again. With
   * `multiple-registrations=contact` the room's binding survives the flush and the listing keeps it. Coalesced:
   * hijacks are bounded by the bans they cause, and one listing covers any number of flushes.
   */
  private relistSoon(api: ApiSender): void {
    if (this.relistTimer || this.closed) return;
    this.relistTimer = setTimeout(() => {
      this.relistTimer = undefined;
      this.resync(api);
    }, RELIST_AFTER_FLUSH_MS);
  }

  /** A sofia registration event (already read); `api` is used to flush a hijacker's binding. */
  onEvent(evt: RegistrationEvent, api: ApiSender): void {
    if (!this.o.enabled || this.closed) return;
    const p = evt.binding.profile;
    if (p !== undefined && !this.o.profiles.includes(p)) return;
    if (evt.kind === 'register') {
      if (evt.binding.expires !== undefined && evt.binding.expires <= 0) this.forget(evt.binding, 'sofia::register');
      else this.learn(evt.binding, 'sofia::register', api);
    } else {
      this.forget(evt.binding, `sofia::${evt.kind}`);
    }
  }

  private live(gen: number): boolean {
    return !this.closed && gen === this.gen;
  }

  private listed(profile: string, r: ApiResult, api: ApiSender): void {
    const read = r.ok ? parseRegListing(r.body, profile, this.o.maxListItems) : r;
    if (!read.ok) {
      this.stats.rooms.listFailures++;
      this.log.warn(
        { event: 'freeswitch-rooms-list-failed', profile, detail: read.problem },
        `sofia xmlstatus profile ${profile} reg failed; rooms already on file are kept, none pruned (fail-open: calls to rooms registered meanwhile count as unknown targets until a sofia::register or the next listing)`,
      );
      return;
    }
    const seen = new Set<string>();
    let stored = 0;
    for (const b of read.bindings) {
      if (b.expires !== undefined && b.expires <= 0) continue;
      seen.add(normalizeRoomName(bindingAor(b)));
      if (this.learn(b, 'listing', api)) stored++;
    }
    let pruned = 0;
    for (const [aor, bindings] of this.owned) {
      if (seen.has(aor) || bindings[0]?.profile !== profile) continue;
      this.owned.delete(aor);
      if (this.guard.rooms.unregister(aor)) pruned++;
    }
    this.stats.rooms.listed += seen.size;
    this.stats.rooms.removed += pruned;
    this.stats.rooms.invalid += read.invalid;
    this.log.info(
      { event: 'freeswitch-rooms-listed', profile, registered: seen.size, stored, pruned, invalid: read.invalid },
      `sofia profile ${profile} registrations listed`,
    );
  }

  /**
   * A binding sofia holds, to guard.rooms.acceptBinding (the core decides; this carries out and counts the answer:
   * a hijacker's binding is flushed from FreeSWITCH where allowed). True when the registry holds the room.
   */
  private learn(b: SofiaBinding, origin: string, api: ApiSender): boolean {
    const aor = bindingAor(b);
    const onFile = this.guard.rooms.get(aor)?.contact;
    const decision = this.guard.rooms.acceptBinding({
      aor,
      contact: b.contact,
      ...(b.source ? { source: b.source } : {}),
      expires: b.expires ?? this.o.defaultExpires,
      // sofia stores only a binding it authenticated.
      authenticated: true,
      adapter: ADAPTER,
      origin,
      ...(b.callId !== undefined ? { bindingId: b.callId } : {}),
      ...(b.profile !== undefined ? { context: { profile: b.profile } } : {}),
    });
    if (decision.outcome === 'hijack') {
      const flush = this.flush(b, api);
      this.log.warn(
        {
          event: 'freeswitch-room-hijack',
          room: aor,
          contact: b.contact,
          source: b.source?.ip,
          onFile,
          banned: decision.ban !== undefined,
          ...(decision.ban ? { until: new Date(decision.ban.until).toISOString() } : {}),
          flush,
        },
        flush === 'sent'
          ? "the hijacker's binding is flushed from FreeSWITCH by its Call-ID"
          : 'the binding stays in FreeSWITCH (not flushed); the registry keeps the room where it was and the source is refused',
      );
    }
    if (!countBinding(this.stats.rooms, decision)) return false;
    this.own(decision.entry.aor, b);
    return true;
  }

  /** FreeSWITCH dropped a binding: the room leaves only when it was the binding on file and no other remains. */
  private forget(b: SofiaBinding, origin: string): void {
    const key = normalizeRoomName(bindingAor(b));
    const bindings = this.owned.get(key);
    if (!bindings) return;
    const left = bindings.filter((x) => !sameBinding(x, b));
    if (left.length === bindings.length) return;
    if (left.length > 0) {
      this.owned.set(key, left);
      const newest = left[left.length - 1]!;
      const on = this.guard.rooms.get(key);
      // The registry held the binding that left: the newest remaining one takes its place.
      if (on !== undefined && on.contact !== newest.contact) {
        this.guard.rooms.register({
          aor: key,
          ...(on.aliases.length > 0 ? { aliases: on.aliases } : {}),
          contact: newest.contact,
          ...(newest.source ? { source: newest.source } : {}),
          expires: on.expiresAt !== undefined ? Math.max(1, Math.round((on.expiresAt - Date.now()) / 1000)) : 60,
          adapter: ADAPTER,
        });
      }
      return;
    }
    this.owned.delete(key);
    if (this.guard.rooms.unregister(key)) {
      this.stats.rooms.removed++;
      this.log.info({ event: 'freeswitch-room-removed', room: key, origin }, 'room unregistered');
    }
  }

  private own(aor: string, b: SofiaBinding): void {
    const list = (this.owned.get(aor) ?? []).filter((x) => !sameBinding(x, b));
    list.push({ profile: b.profile, callId: b.callId, contact: b.contact, source: b.source });
    if (list.length > MAX_BINDINGS_PER_AOR) list.shift();
    if (this.owned.has(aor) || this.owned.size < this.guard.config.rooms.maxRooms) this.owned.set(aor, list);
  }

  private flush(b: SofiaBinding, api: ApiSender): 'sent' | 'off' | 'unsafe' | 'monitor' {
    if (!this.o.flushHijacks) return 'off';
    // monitor mode changes nothing on the platform: the log line says what would have been flushed.
    if (this.guard.config.mode === 'monitor') return 'monitor';
    const profile = b.profile;
    if (
      profile === undefined ||
      !SAFE_PROFILE.test(profile) ||
      b.callId === undefined ||
      !SAFE_CALL_ID.test(b.callId)
    ) {
      return 'unsafe';
    }
    api(`sofia profile ${profile} flush_inbound_reg ${b.callId}`, (r) => {
      const ok = r.ok && r.body.startsWith('+OK');
      if (ok) {
        this.stats.rooms.flushed++;
        this.relistSoon(api);
      }
      this.log.info(
        {
          event: 'freeswitch-room-flush',
          profile,
          callId: b.callId,
          ok,
          reply: r.ok ? r.body.slice(0, 120) : r.problem,
        },
        ok ? "hijacker's binding flushed" : 'flush_inbound_reg failed',
      );
    });
    return 'sent';
  }
}
