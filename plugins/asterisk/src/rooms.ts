import { countBinding, type Guard, type Logger, normalizeRoomName } from '@ghostguard/core';
import type { AmiObject } from 'asterisk-manager';
import { ADAPTER } from './attempt.js';
import { textField } from './fields.js';
import type { AmiLink, ListResult } from './link.js';
import type { ResolvedAsteriskOptions } from './options.js';
import {
  type AsteriskBinding,
  readContactList,
  readContactStatus,
  readPeerEntry,
  readPeerStatus,
  readSipShowPeer,
  sipPeerContact,
  uriAddress,
} from './room-events.js';
import type { AsteriskStats } from './stats.js';

type Tech = AsteriskBinding['tech'];

/**
 * Contacts a ContactStatus announced as new, waiting for the listing that says where their REGISTER came from:
 * that listing passes them as fresh (checked again even if refused before). FIFO, bounded.
 */
const MAX_ANNOUNCED = 4_096;

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
  private readonly announced = new Set<string>();
  private gen = 0;
  private closed = false;
  /** PJSIPShowContacts in flight; `again` when a ContactStatus asked for another one meanwhile. */
  private pjsipListing: 'idle' | 'running' | 'again' = 'idle';

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
    this.pjsipListing = 'idle';
    if (this.o.rooms.pjsip) this.listPjsip(gen);
    if (this.o.rooms.chanSip) this.listSipPeers(gen);
  }

  close(): void {
    this.closed = true;
    this.gen++;
  }

  /** ContactStatus / PeerStatus; true when the event was one of them. */
  onEvent(name: string, evt: AmiObject): boolean {
    if (name === 'contactstatus') {
      if (this.o.rooms.pjsip) this.onContactStatus(evt);
      return true;
    }
    if (name === 'peerstatus') {
      if (this.o.rooms.chanSip) this.onPeerStatus(evt);
      return true;
    }
    return false;
  }

  private live(gen: number): boolean {
    return !this.closed && gen === this.gen;
  }

  private listOptions() {
    return { maxItems: this.o.rooms.maxListItems, timeoutMs: this.o.rooms.listTimeout };
  }

  /** Another PJSIPShowContacts after the one in flight (coalesced): a contact's Via address is only listed there. */
  private relistPjsip(): void {
    if (this.pjsipListing !== 'idle') this.pjsipListing = 'again';
    else this.listPjsip(this.gen);
  }

  private listPjsip(gen: number): void {
    this.pjsipListing = 'running';
    const sent = this.link.list(
      { action: 'PJSIPShowContacts' },
      'ContactListComplete',
      (r) => {
        if (!this.live(gen)) return;
        const again = this.pjsipListing === 'again';
        this.pjsipListing = 'idle';
        if (again) this.listPjsip(gen);
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
          if (this.learn(read.value, 'listing', true)) stored++;
        }
        this.listed('PJSIP', r.items.length, stored, seen, { invalid, permanent });
      },
      this.listOptions(),
    );
    if (!sent) this.pjsipListing = 'idle';
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

  private onContactStatus(evt: AmiObject): void {
    const read = readContactStatus(evt);
    if (!read.ok) {
      this.invalid('ContactStatus', read.problem);
      return;
    }
    const { kind, status, binding } = read.value;
    if (kind === 'present') {
      const on = this.guard.rooms.get(binding.name);
      // A qualify result for a room already on file says nothing new.
      if (status.toLowerCase() === 'reachable' && on !== undefined) return;
      if (on !== undefined && on.contact === binding.contact) {
        // The room re-registered where it is: a refresh.
        this.learn(
          { ...binding, ...(on.source ? { source: on.source } : {}), expires: this.o.rooms.eventExpires },
          `ContactStatus ${status}`,
        );
        return;
      }
      // A new contact: ContactStatus does not say where the REGISTER came from (its URI may name any host,
      // svwar's names the PBX itself), so the check waits for the listing, which carries the Via address. A
      // binding refused before that registers again is a new REGISTER: the listing checks it again.
      this.announce(bindingKey(binding.name, binding.contact));
      this.relistPjsip();
    } else if (kind === 'removed') {
      this.forget(binding.name, 'PJSIP', binding.contact, `ContactStatus ${status}`);
    } else {
      // Unreachable: the registration still stands in Asterisk (a qualify failed); keep the room.
      this.log.debug({ event: 'asterisk-room-status', tech: 'PJSIP', room: binding.name, status }, 'room kept');
    }
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
   * answer). True when the registry holds it. `listed`: it comes from a listing, where a binding refused before is
   * the same stored binding, not a new REGISTER (unless a ContactStatus announced it as new since).
   */
  private learn(b: AsteriskBinding, origin: string, listed = false): boolean {
    const source = b.source ?? uriAddress(b.contact);
    const key = bindingKey(b.name, b.contact);
    const fresh = !listed || this.announced.delete(key);
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

  private announce(key: string): void {
    if (this.announced.size >= MAX_ANNOUNCED) {
      const oldest = this.announced.values().next().value;
      if (oldest !== undefined) this.announced.delete(oldest);
    }
    this.announced.add(key);
  }
}

function bindingKey(name: string, contact: string): string {
  return `${normalizeRoomName(name)}\n${contact}`;
}
