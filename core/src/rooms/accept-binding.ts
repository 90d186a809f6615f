/**
 * The one registration policy: a binding a platform's registrar holds (a PJSIP contact, a chan_sip peer, a sofia
 * registration) is either stored as a room, refused as a hijack, refused for another reason, or left alone
 * because it was refused before. Every adapter lists and parses its platform's registrations and carries out the
 * answer; the decision and its log lines are here, so two adapters cannot disagree on it.
 */
import { z } from 'zod';
import type { Logger } from '../log.js';
import type { BanInfo } from '../verdict.js';
import type { RegisterCheck, RegisterCheckResult } from './guard-rooms.js';
import type { RoomEntry, RoomRegistry } from './room-registry.js';
import { contactHost, normalizeRoomName } from './room-registry.js';
import { RoomName, RoomSource } from './schemas.js';

/** A binding the platform's registrar accepted, as the adapter read it. */
export interface PlatformBinding {
  aor: string;
  aliases?: readonly string[];
  contact: string;
  /**
   * Where the REGISTER really came from, as the platform knows it (a received address, never a header the
   * client wrote). Absent: the binding cannot be checked ("unverifiable").
   */
  source?: { ip: string; port?: number };
  /** Seconds the binding lasts. */
  expires: number;
  /** True when the platform verified credentials for it (sofia and Asterisk store only such bindings). */
  authenticated: boolean;
  adapter: string;
  /** What showed it (a listing, `sofia::register`, `PeerStatus Registered`…): for the log line. */
  origin: string;
  /** Names the registrar's own identity of the binding (a Call-ID), so two bindings of one contact differ. */
  bindingId?: string;
  /**
   * True when this is a new REGISTER: a binding refused before is checked again. False (a listing, a refresh of
   * the same binding): a binding refused before is left alone, so a re-listing does not re-report (and re-ban).
   */
  fresh?: boolean;
  /** A binding without a source that would be a new room: stored (`open`, the default) or refused (`closed`). */
  unverifiable?: 'open' | 'closed';
  /** Extra fields for the log lines (driver, profile). */
  context?: Readonly<Record<string, string>>;
}

export type BindingDecision =
  | { readonly outcome: 'stored'; readonly change: 'new' | 'refresh' | 'move'; readonly entry: RoomEntry }
  | { readonly outcome: 'hijack'; readonly ban?: BanInfo }
  | {
      readonly outcome: 'refused';
      readonly reason: 'invalid' | 'unverifiable' | 'banned source' | 'registry full';
    }
  | { readonly outcome: 'refused-before' };

/** Bindings already refused, so a re-listing does not report (and re-ban) them again: FIFO, constant time. */
const MAX_REFUSED_BINDINGS = 4_096;

const BindingSchema = z.object({
  aor: RoomName,
  aliases: z.array(RoomName).max(64).optional(),
  contact: z.string().min(1).max(1024),
  source: RoomSource.optional(),
  expires: z.number().finite().positive(),
  authenticated: z.boolean(),
  adapter: z.string().max(32),
  origin: z.string().max(64),
  bindingId: z.string().max(256).optional(),
  fresh: z.boolean().optional(),
  unverifiable: z.enum(['open', 'closed']).optional(),
  context: z.record(z.string(), z.string().max(256)).optional(),
});

export interface BindingPolicyDeps {
  readonly registry: RoomRegistry;
  readonly now: () => number;
  readonly logger: Logger;
  readonly checkRegister: (check: RegisterCheck) => RegisterCheckResult;
  readonly isBanned: (ip: string) => boolean;
}

export class BindingPolicy {
  private readonly refused = new Set<string>();

  constructor(private readonly deps: BindingPolicyDeps) {}

  accept(input: PlatformBinding): BindingDecision {
    const parsed = BindingSchema.safeParse(input);
    const log = this.deps.logger;
    if (!parsed.success) {
      log.warn(
        { event: 'room-binding-invalid', adapter: input?.adapter, detail: parsed.error.issues[0]?.message },
        'registration ignored: it does not decode',
      );
      return { outcome: 'refused', reason: 'invalid' };
    }
    const b = parsed.data;
    const key = `${normalizeRoomName(b.aor)}\n${b.bindingId ?? ''}\n${b.contact}`;
    if (b.fresh) this.refused.delete(key);
    else if (this.refused.has(key)) return { outcome: 'refused-before' };

    const on = this.deps.registry.get(b.aor, this.deps.now());
    const line = {
      adapter: b.adapter,
      ...b.context,
      room: b.aor,
      contact: b.contact,
      source: b.source?.ip,
      origin: b.origin,
    };
    if (b.source === undefined) {
      // No address to check: never a move; a new room per the adapter's choice.
      const moves = on !== undefined && on.contact !== b.contact;
      const mode = b.unverifiable ?? 'open';
      if (moves || (on === undefined && mode === 'closed')) {
        this.remember(key);
        log.warn(
          { event: 'room-unverifiable', ...line, onFile: on?.contact, failMode: moves ? 'closed' : mode },
          moves
            ? 'registration names no address to check: the room stays where it is (fail-closed)'
            : 'registration names no address to check: not stored (fail-closed)',
        );
        return { outcome: 'refused', reason: 'unverifiable' };
      }
      if (on === undefined) {
        log.info(
          { event: 'room-unverifiable', ...line, failMode: mode },
          'registration names no address to check: stored as a new room (fail-open)',
        );
      }
    } else {
      // A room re-registering from the address on file moves nothing: no check (its own failed logins, a
      // password changed on the device, must not make it a hijacker of itself).
      const known = on === undefined ? undefined : (on.source?.ip ?? contactHost(on.contact));
      if (on === undefined || b.source.ip !== known) {
        const check = this.deps.checkRegister({
          aor: b.aor,
          contact: b.contact,
          source: b.source,
          authenticated: b.authenticated,
          adapter: b.adapter,
        });
        if (!check.accept) {
          // checkRegister logged the hijack (room-hijack) and reported it; the adapter says what it did about it.
          this.remember(key);
          return check.ban ? { outcome: 'hijack', ban: check.ban } : { outcome: 'hijack' };
        }
      }
      if (this.deps.isBanned(b.source.ip)) {
        this.remember(key);
        log.warn(
          { event: 'room-refused', ...line, reason: 'banned source' },
          'registration from a banned source is not a room',
        );
        return { outcome: 'refused', reason: 'banned source' };
      }
    }
    const aliases = b.aliases && b.aliases.length > 0 ? b.aliases : (on?.aliases ?? []);
    const entry = this.deps.registry.register(
      {
        aor: b.aor,
        ...(aliases.length > 0 ? { aliases } : {}),
        contact: b.contact,
        ...(b.source ? { source: b.source } : {}),
        expires: b.expires,
        adapter: b.adapter,
      },
      this.deps.now(),
    );
    if (entry === undefined) {
      log.warn({ event: 'room-refused', ...line, reason: 'registry full' }, 'room not stored');
      return { outcome: 'refused', reason: 'registry full' };
    }
    const change = on === undefined ? 'new' : on.contact === entry.contact ? 'refresh' : 'move';
    const stored = { event: 'room-binding', ...line, change };
    if (change === 'refresh') log.debug(stored, 'room refreshed');
    else log.info(stored, change === 'new' ? 'room registered' : 'room moved');
    return { outcome: 'stored', change, entry };
  }

  private remember(key: string): void {
    if (this.refused.size >= MAX_REFUSED_BINDINGS) {
      const oldest = this.refused.values().next().value;
      if (oldest !== undefined) this.refused.delete(oldest);
    }
    this.refused.add(key);
  }
}
