import { countBinding, type Guard, type Logger, normalizeRoomName } from '@ghostguard/core';
import type { AmiObject } from 'asterisk-manager';
import { ADAPTER } from './attempt.js';
import { textField } from './fields.js';
import type { AmiLink, ListResult } from './link.js';
import { putNewest } from './newest-first.js';
import type { ResolvedAsteriskOptions } from './options.js';
import { RegisterSources } from './register-source.js';
import {
  type AsteriskBinding,
  readContactList,
  readContactStatus,
  readPeerEntry,
  readPeerStatus,
  readSipShowPeer,
  sipPeerContact,
} from './room-events.js';
import type { AsteriskStats } from './stats.js';

type Tech = AsteriskBinding['tech'];

/**
 * How long after a PJSIP SuccessfulAuth the ContactStatus of the contact it stored may come. Recorded: 1–2 ms
 * (ami-pjsip-register-qualify0.follow.txt); generous, since a later REGISTER of the same account replaces it.
 */
export const AUTH_CORRELATION_MS = 5_000;

/**
 * A `Removed` of a room's own contact waits this long before the room is unregistered: with `remove_existing`,
 * the REGISTER that displaces it (a hijacker's too) raises the new contact's NonQualified and the old one's
 * Removed together (res_pjsip_registrar.c register_aor_core: add, then remove_excess_contacts), in either order
 * on AMI (each is published from a serializer task). Within the grace a refused (hijack) binding of the same
 * room keeps the room; a stored one has moved it already.
 */
export const REMOVAL_GRACE_MS = 1_000;

/** Rooms whose new binding was refused lately (normalized name → time): bounded FIFO. */
const MAX_RECENT_REFUSALS = 4_096;

/**
 * Keeps guard.rooms in step with Asterisk's registrars. After every login it lists what is registered
 * (PJSIPShowContacts; SIPpeers then SIPshowpeer per registered dynamic peer) and prunes the rooms it had learned
 * that Asterisk no longer holds; then it follows ContactStatus and PeerStatus (a new PJSIP contact is checked
 * from a fresh listing, the only place that says where its REGISTER came from). Every binding goes through
 * guard.rooms.acceptBinding (authenticated: Asterisk accepted it), which decides: a hijack is not stored, so the
 * room stays where it was, and the core has banned the source. Asterisk itself keeps the binding: AMI has no action that
 * removes an inbound registration (see README), so the ban is what refuses the hijacker's calls.
 */
export class AsteriskRooms {
  /** Rooms this adapter put into the registry (normalized name → driver), so a listing can prune them. */
  private readonly owned = new Map<string, Tech>();
  /** Where PJSIP REGISTERs came from, from the security events (register-source.ts). */
  private readonly sources = new RegisterSources(AUTH_CORRELATION_MS);
  /** Rooms whose new binding the core refused lately: a `Removed` of their own contact then keeps them. */
  private readonly refusedAt = new Map<string, number>();
  /**
   * Listed contacts whose REGISTER the adapter did not see (Call-ID → binding): checked again with the real source
   * when their next REGISTER (same Call-ID, RFC 3261 §10.2.4) authenticates. Bounded FIFO.
   */
  private readonly awaitingAuth = new Map<string, AsteriskBinding>();
  /** `Removed` of a room's own contact waiting out REMOVAL_GRACE_MS (at most one per owned room). */
  private readonly pendingRemovals = new Map<string, { timer: NodeJS.Timeout; contact: string; at: number }>();
  private gen = 0;
  private closed = false;

  constructor(
    private readonly guard: Guard,
    private readonly link: AmiLink,
    private readonly o: ResolvedAsteriskOptions,
    private readonly log: Logger,
    private readonly stats: AsteriskStats,
  ) {}

  /** After each successful login: list both registrars. */
  resync(): void {
    const gen = ++this.gen;
    if (this.o.rooms.pjsip) this.listPjsip(gen);
    if (this.o.rooms.chanSip) this.listSipPeers(gen);
  }

  close(): void {
    this.closed = true;
    this.gen++;
    for (const p of this.pendingRemovals.values()) clearTimeout(p.timer);
    this.pendingRemovals.clear();
  }

  /**
   * ContactStatus / PeerStatus; true when the event was one of them. PJSIP's SuccessfulAuth is noted (the real
   * source of the REGISTER whose contact follows) and left to the security handling (false).
   */
  onEvent(name: string, evt: AmiObject): boolean {
    if (name === 'contactstatus') {
      if (this.o.rooms.pjsip) this.onContactStatus(evt);
      return true;
    }
    if (name === 'peerstatus') {
      // PJSIP raises PeerStatus too (`ChannelType: PJSIP`, `PeerStatus: Reachable`: an endpoint got its first
      // contact, ami-pjsip-register-qualify0.follow.txt); ContactStatus says the same with the contact: not ours.
      if ((textField(evt, 'channeltype') ?? '').trim().toUpperCase() === 'PJSIP') return true;
      if (this.o.rooms.chanSip) this.onPeerStatus(evt);
      return true;
    }
    if (name === 'successfulauth' && this.o.rooms.pjsip) this.onSuccessfulAuth(evt);
    return false;
  }

  private live(gen: number): boolean {
    return !this.closed && gen === this.gen;
  }

  private listOptions() {
    return { maxItems: this.o.rooms.maxListItems, timeoutMs: this.o.rooms.listTimeout };
  }

  /** Once per login: the listing is the only source for contacts registered while the adapter was away. */
  private listPjsip(gen: number): void {
    this.link.list(
      { action: 'PJSIPShowContacts' },
      'ContactListComplete',
      (res) => {
        if (!this.live(gen)) return;
        // Nothing registered is an error, not an empty list (ami-login-empty-contacts.follow.txt).
        const r: ListResult =
          !res.ok && /^no contacts found$/i.test(res.message.trim()) ? { ok: true, items: [] } : res;
        if (!r.ok) {
          this.listFailed('PJSIP', 'PJSIPShowContacts', r);
          return;
        }
        const now = Date.now();
        const seen = new Set<string>();
        let invalid = 0;
        let permanent = 0;
        let stored = 0;
        for (const evt of r.items) {
          if ((textField(evt, 'event') ?? '').toLowerCase() !== 'contactlist') continue;
          const read = readContactList(evt, now);
          if (!read.ok) {
            invalid++;
            continue;
          }
          // A contact written in pjsip.conf is a fixed address, not a registration (rooms.static covers those).
          if (read.value.permanent) {
            permanent++;
            continue;
          }
          if (read.value.expires === undefined || read.value.expires <= 0) continue;
          seen.add(normalizeRoomName(read.value.name));
          // The source is the one that authenticated this Call-ID, when the adapter saw it; never the Via.
          const { callId, ...binding } = read.value;
          const source = this.sources.forSession(callId);
          if (source === undefined && callId !== undefined) this.awaitAuth(callId, binding);
          if (this.learn({ ...binding, ...(source ? { source } : {}) }, 'listing', false)) stored++;
        }
        this.listed('PJSIP', r.items.length, stored, seen, { invalid, permanent });
      },
      this.listOptions(),
    );
  }

  private listSipPeers(gen: number): void {
    this.link.list(
      { action: 'SIPpeers' },
      'PeerlistComplete',
      (r) => {
        if (!this.live(gen)) return;
        if (!r.ok) {
          this.listFailed('SIP', 'SIPpeers', r);
          return;
        }
        const registered: string[] = [];
        let invalid = 0;
        for (const evt of r.items) {
          if ((textField(evt, 'event') ?? '').toLowerCase() !== 'peerentry') continue;
          const read = readPeerEntry(evt);
          if (!read.ok) invalid++;
          // Static peers (host=<address>) are trunks or fixed devices, not registrations.
          else if (read.value.dynamic && read.value.address) registered.push(read.value.name);
        }
        // SIPshowpeer, one peer at a time, for the expiry and the names that dial it.
        const seen = new Set<string>();
        let stored = 0;
        const next = (i: number): void => {
          if (!this.live(gen)) return;
          if (i >= registered.length) {
            this.listed('SIP', r.items.length, stored, seen, { invalid });
            return;
          }
          const peer = registered[i]!;
          const sent = this.link.send({ action: 'SIPshowpeer', peer }, (res) => {
            if (!this.live(gen)) return;
            if (res.ok) {
              const read = readSipShowPeer(res.response, peer);
              if (!read.ok) invalid++;
              else if (read.value && (read.value.expires === undefined || read.value.expires > 0)) {
                seen.add(normalizeRoomName(peer));
                const binding = { ...read.value, expires: read.value.expires ?? this.o.rooms.eventExpires };
                if (this.learn(binding, 'listing', true)) stored++;
              }
            } else {
              this.log.debug({ event: 'asterisk-sipshowpeer-failed', peer, detail: res.message }, 'SIPshowpeer failed');
              // Unknown state for this peer: keep what the registry has rather than prune it.
              seen.add(normalizeRoomName(peer));
            }
            next(i + 1);
          });
          if (!sent) this.listFailed('SIP', 'SIPshowpeer', { ok: false, message: 'connection closed' });
        };
        next(0);
      },
      this.listOptions(),
    );
  }

  private listFailed(tech: Tech, action: string, r: Extract<ListResult, { ok: false }>): void {
    this.stats.rooms.listFailures++;
    const failMode = this.o.rooms.failMode;
    const denied = /permission denied/i.test(r.message);
    const unknown = /invalid\/unknown command/i.test(r.message);
    let dropped = 0;
    if (failMode === 'closed') {
      for (const [key, t] of this.owned) {
        if (t !== tech) continue;
        this.owned.delete(key);
        if (this.guard.rooms.unregister(key)) dropped++;
      }
      this.stats.rooms.removed += dropped;
    }
    const line = { event: 'asterisk-rooms-list-failed', tech, action, detail: r.message, failMode, dropped };
    const why = denied
      ? ': manager.conf must grant this user write=system (and read=system for ContactStatus/PeerStatus)'
      : unknown
        ? `: ${tech === 'PJSIP' ? 'res_pjsip' : 'chan_sip'} is not loaded`
        : '';
    const then =
      failMode === 'open'
        ? 'fail-open: the rooms on file are kept, none pruned'
        : `fail-closed: the ${dropped} ${tech} rooms learned before are removed`;
    const msg = `${action} failed${why}; ${then} (rooms this Asterisk registers and the registry lacks count as unknown targets until a listing succeeds)`;
    if (unknown) this.log.info(line, msg);
    else this.log.warn(line, msg);
  }

  private listed(
    tech: Tech,
    events: number,
    stored: number,
    seen: ReadonlySet<string>,
    counts: { invalid: number; permanent?: number },
  ): void {
    let pruned = 0;
    for (const [key, t] of this.owned) {
      if (t !== tech || seen.has(key)) continue;
      this.owned.delete(key);
      if (this.guard.rooms.unregister(key)) pruned++;
    }
    this.stats.rooms.listed += seen.size;
    this.stats.rooms.removed += pruned;
    this.stats.rooms.invalid += counts.invalid;
    this.log.info(
      { event: 'asterisk-rooms-listed', tech, events, registered: seen.size, stored, pruned, ...counts },
      `${tech} registrations listed`,
    );
  }

  private onSuccessfulAuth(evt: AmiObject): void {
    this.sources.note('successfulauth', evt, Date.now());
    const callId = textField(evt, 'sessionid')?.trim();
    const listed = callId ? this.awaitingAuth.get(callId) : undefined;
    if (callId === undefined || listed === undefined) return;
    this.awaitingAuth.delete(callId);
    const source = this.sources.forSession(callId);
    if (source) this.learn({ ...listed, source }, 'SuccessfulAuth of a listed Call-ID');
  }

  private awaitAuth(callId: string, b: AsteriskBinding): void {
    putNewest(this.awaitingAuth, callId, b, MAX_RECENT_REFUSALS);
  }

  private onContactStatus(evt: AmiObject): void {
    const read = readContactStatus(evt);
    if (!read.ok) {
      this.invalid('ContactStatus', read.problem);
      return;
    }
    const { kind, status, binding } = read.value;
    if (kind === 'created' || kind === 'present') {
      const on = this.guard.rooms.get(binding.name);
      // A qualify result (or a refresh) for the contact on file says nothing new.
      if (on !== undefined && on.contact === binding.contact) return;
      // A contact Asterisk just stored (NonQualified: created; never "Created" on Asterisk 20). Its real source
      // is the PJSIP SuccessfulAuth just before it (register-source.ts), not its URI nor its Via. A qualify
      // result for a contact not on file is the same binding again (refused before stays refused).
      const now = Date.now();
      const source = this.sources.forAccount([binding.name, ...binding.aliases], now, kind === 'created');
      this.learn(
        { ...binding, ...(source ? { source } : {}), expires: this.o.rooms.eventExpires },
        `ContactStatus ${status}`,
        kind === 'created',
      );
    } else if (kind === 'removed') {
      this.removed(binding.name, binding.contact, `ContactStatus ${status}`);
    } else {
      // Unreachable: the registration still stands in Asterisk (a qualify failed); keep the room.
      this.log.debug({ event: 'asterisk-room-status', tech: 'PJSIP', room: binding.name, status }, 'room kept');
    }
  }

  /**
   * Asterisk removed a PJSIP contact. The room's own contact is unregistered after REMOVAL_GRACE_MS unless a
   * binding of the same room was refused around it: with `remove_existing`, a hijacker's REGISTER displaces the
   * room's contact in Asterisk, and the registry keeps the room where it was (as for chan_sip, where the peer
   * address just changes). AMI cannot restore the room's contact in Asterisk (README: what the operator does).
   */
  private removed(name: string, contact: string, origin: string): void {
    const key = normalizeRoomName(name);
    if (this.owned.get(key) !== 'PJSIP') return;
    const on = this.guard.rooms.get(key);
    if (on !== undefined && on.contact !== contact) return;
    const at = Date.now();
    const prior = this.pendingRemovals.get(key);
    if (prior) clearTimeout(prior.timer);
    const timer = setTimeout(() => {
      this.pendingRemovals.delete(key);
      if (this.closed) return;
      const refused = this.refusedAt.get(key);
      if (refused !== undefined && Math.abs(refused - at) <= REMOVAL_GRACE_MS) {
        this.stats.roomsDisplaced++;
        this.log.warn(
          { event: 'asterisk-room-displaced', tech: 'PJSIP', room: name, contact, origin },
          'Asterisk removed the room’s contact for a refused (hijack) registration: the registry keeps the room; Asterisk sends its calls to the hijacker until the room registers again (see README: PJSIPUnregister)',
        );
        return;
      }
      this.forget(name, 'PJSIP', contact, origin);
    }, REMOVAL_GRACE_MS);
    timer.unref?.();
    this.pendingRemovals.set(key, { timer, contact, at });
  }

  private onPeerStatus(evt: AmiObject): void {
    const read = readPeerStatus(evt);
    if (!read.ok) {
      this.invalid('PeerStatus', read.problem);
      return;
    }
    const { kind, status, peer, address } = read.value;
    if (kind === 'registered' && address) {
      const binding: AsteriskBinding = {
        tech: 'SIP',
        name: peer,
        aliases: [],
        contact: sipPeerContact(peer, address),
        source: address,
        expires: this.o.rooms.eventExpires,
      };
      if (this.learn(binding, 'PeerStatus Registered')) this.refinePeer(peer);
    } else if (kind === 'unregistered') {
      this.forget(peer, 'SIP', undefined, `PeerStatus ${status}`);
    } else {
      // Rejected comes from a REGISTER that failed authentication (authfailureevents=yes): the address is the
      // failing client's, not the room's. Unregistering on it would let a scanner knock rooms out of the registry;
      // the failure itself reaches the guard as a security event.
      this.log.debug(
        { event: 'asterisk-room-status', tech: 'SIP', room: peer, status, source: address?.ip },
        'room kept',
      );
    }
  }

  /** SIPshowpeer after PeerStatus Registered: the real expiry and the names that dial the peer. */
  private refinePeer(peer: string): void {
    const gen = this.gen;
    this.link.send({ action: 'SIPshowpeer', peer }, (r) => {
      if (!this.live(gen) || !r.ok) return;
      const read = readSipShowPeer(r.response, peer);
      if (!read.ok) {
        this.invalid('SIPshowpeer', read.problem);
        return;
      }
      if (read.value && read.value.expires !== undefined && read.value.expires > 0) {
        this.learn(read.value, 'SIPshowpeer');
      }
    });
  }

  private invalid(what: string, problem: string): void {
    this.stats.rooms.invalid++;
    this.log.warn({ event: 'asterisk-room-event-invalid', what, detail: problem }, `${what} ignored`);
  }

  /**
   * A binding Asterisk holds, to guard.rooms.acceptBinding (the core decides; this only carries out and counts the
   * answer). True when the registry holds it. `fresh`: a new REGISTER (checked again if refused before); false for
   * a listing or a qualify result, where a binding refused before is the same stored binding. `source` is where
   * Asterisk received the REGISTER (chan_sip's peer address, PJSIP's SuccessfulAuth RemoteAddress), never a
   * header the client wrote: without it the core treats the binding as unverifiable.
   */
  private learn(b: AsteriskBinding, origin: string, fresh = true): boolean {
    const source = b.source;
    const onFile = this.guard.rooms.get(b.name)?.contact;
    const decision = this.guard.rooms.acceptBinding({
      aor: b.name,
      ...(b.aliases.length > 0 ? { aliases: b.aliases } : {}),
      contact: b.contact,
      ...(source ? { source: { ip: source.ip, ...(source.port !== undefined ? { port: source.port } : {}) } } : {}),
      expires: b.expires ?? this.o.rooms.eventExpires,
      // Asterisk stores only a binding whose REGISTER it authenticated.
      authenticated: true,
      adapter: ADAPTER,
      origin,
      fresh,
      unverifiable: this.o.rooms.failMode,
      context: { tech: b.tech },
    });
    if (decision.outcome === 'hijack') {
      // AMI has no action that removes an inbound registration: the ban is what refuses the hijacker's calls.
      this.log.warn(
        {
          event: 'asterisk-room-hijack',
          tech: b.tech,
          room: b.name,
          contact: b.contact,
          source: source?.ip,
          onFile,
          banned: decision.ban !== undefined,
        },
        'Asterisk keeps the binding (AMI cannot remove it); the registry keeps the room where it was and the source is refused',
      );
    }
    if (decision.outcome === 'hijack' || decision.outcome === 'refused' || decision.outcome === 'refused-before') {
      putNewest(this.refusedAt, normalizeRoomName(b.name), Date.now(), MAX_RECENT_REFUSALS);
    }
    if (!countBinding(this.stats.rooms, decision)) return false;
    if (this.owned.has(decision.entry.aor) || this.owned.size < this.guard.config.rooms.maxRooms)
      this.owned.set(decision.entry.aor, b.tech);
    return true;
  }

  /** Asterisk dropped a registration; only a room this adapter stored (at that contact, when given) is removed. */
  private forget(name: string, tech: Tech, contact: string | undefined, origin: string): void {
    const key = normalizeRoomName(name);
    if (this.owned.get(key) !== tech) return;
    const on = this.guard.rooms.get(key);
    // A PJSIP AOR may have several contacts: removing one the registry does not hold leaves the room on file.
    if (on !== undefined && contact !== undefined && on.contact !== contact) return;
    this.owned.delete(key);
    if (this.guard.rooms.unregister(key)) {
      this.stats.rooms.removed++;
      this.log.info({ event: 'asterisk-room-removed', tech, room: name, origin }, 'room unregistered');
    }
  }
}
