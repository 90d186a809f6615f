import { type Action, type Guard, LogThrottle, parseIp, type Verdict } from '@ghostguard/core';
import type { AmiObject } from 'asterisk-manager';
import { ooh323Caller, parseHostPort, type SourceAddress } from './address.js';
import { ADAPTER, checkAttempt } from './attempt.js';
import { type CheckRequest, readCheckEvent } from './check-event.js';
import { actionFor, isChannelGone } from './enforce.js';
import { AsteriskError, type AsteriskErrorCode } from './errors.js';
import { textField } from './fields.js';
import { AmiLink } from './link.js';
import { type AsteriskOptions, type ChannelTech, resolveAsteriskOptions } from './options.js';
import { RoomSync } from './room-sync.js';
import { readSecurityEvent } from './security.js';
import { type AsteriskStats, emptyStats } from './stats.js';
import { TarpitSlots } from './tarpit-slots.js';

export interface AsteriskAttachment {
  /** Resolves on the first successful login; rejects with GG_ASTERISK_AUTH if Asterisk refuses the login
   * (the adapter keeps retrying with backoff either way), or GG_ASTERISK_CLOSED if closed first. */
  readonly ready: Promise<void>;
  readonly connected: boolean;
  stats(): AsteriskStats;
  /** Stops reconnecting, closes the AMI connection, releases tarpit slots. The guard is not closed. */
  close(): Promise<void>;
}

const FIELD_ERROR: AsteriskErrorCode = 'GG_ASTERISK_FIELD';

type Target = Pick<CheckRequest, 'channel' | 'tech' | 'uniqueid'>;

/**
 * Attaches a guard to Asterisk over AMI. Inbound contexts Gosub into the `ghostguard-check` routine
 * (examples/asterisk/extensions.conf), which raises UserEvent(GhostguardCheck, …) and waits for the verdict:
 * `allow` → Setvar GHOSTGUARD_VERDICT=allow, `reject`/`drop` → Hangup with a cause per channel driver,
 * `tarpit` → Redirect to ghostguard-tarpit (drop when the guard's tarpit cap is reached). Security events
 * (failed authentication, ACL refusals) go to guard.report(), so a source that keeps failing is banned and its
 * later calls are refused at the check. With `rooms.enabled` the registered room systems (PJSIP contacts, chan_sip
 * dynamic peers) are listed on every login and followed through ContactStatus / PeerStatus into guard.rooms
 * (room-sync.ts). Reconnects with backoff; the guard's state is never touched by that.
 */
export function attachAsterisk(options: AsteriskOptions, guard: Guard): AsteriskAttachment {
  const o = resolveAsteriskOptions(options, guard);
  const log = o.logger;
  const malformedLog = new LogThrottle(1000);
  const stats = emptyStats();
  const slots = new TarpitSlots(o.tarpit.releaseAfter);
  const checkEvent = o.checkEvent.toLowerCase();
  let settle: { resolve: () => void; reject: (e: Error) => void } | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // The handle's owner may never await `ready`: a refused login must not become an unhandled rejection.
  ready.catch(() => {});
  const finishReady = (err?: Error) => {
    const s = settle;
    settle = undefined;
    if (s) err ? s.reject(err) : s.resolve();
  };

  let rooms: RoomSync | undefined;
  const link = new AmiLink(o, log, {
    onEvent: (evt) => {
      try {
        dispatch(evt);
      } catch (err) {
        // Never let one event take the host down; the dialplan's fail policy covers a check left unanswered.
        log.error({ event: 'asterisk-adapter-error', err }, 'AMI event handling failed');
      }
    },
    onReady: () => {
      log.info(
        { event: 'ami-connected', host: o.host, port: o.port, eventMask: o.eventMask },
        'connected to Asterisk AMI',
      );
      // Registrations may have changed while the connection was down: list them again on every login.
      rooms?.resync();
      finishReady();
    },
    onDown: (reason) =>
      log.warn(
        { event: 'ami-down', reason, host: o.host, port: o.port },
        `AMI ${reason}: calls follow the dialplan's fail policy until it is back`,
      ),
    onAuthFailed: (err) => {
      log.error({ event: 'ami-auth-failed', code: err.code, host: o.host, port: o.port }, err.message);
      finishReady(err);
    },
  });

  function dispatch(evt: AmiObject): void {
    const name = (textField(evt, 'event') ?? '').toLowerCase();
    if (name === 'userevent') {
      if ((textField(evt, 'userevent') ?? '').toLowerCase() === checkEvent) onCheck(evt);
      return;
    }
    if (name === 'hangup') {
      const uid = textField(evt, 'uniqueid');
      const ch = textField(evt, 'channel');
      if ((uid !== undefined && slots.release(uid)) || (ch !== undefined && slots.release(ch))) {
        stats.tarpitsHeld = slots.size;
      }
      return;
    }
    if (rooms?.onEvent(name, evt)) return;
    if (o.reportSecurityEvents) onSecurity(evt);
  }

  function onSecurity(evt: AmiObject): void {
    const r = readSecurityEvent(evt, Date.now());
    if (r === undefined) return;
    if ('problem' in r) {
      stats.invalidSecurityEvents++;
      log.warn(
        { event: 'asterisk-security-event-invalid', securityEvent: r.event, detail: r.problem },
        'security event ignored',
      );
      return;
    }
    stats.securityReports++;
    log.debug(
      { event: 'asterisk-security-event', kind: r.outcome.kind, source: r.outcome.source.ip, detail: r.outcome.detail },
      'reported',
    );
    const ban = guard.report(r.outcome);
    if (ban) {
      stats.bansFromReports++;
      log.warn(
        { event: 'asterisk-ban', ip: ban.ip, reason: ban.reason, until: new Date(ban.until).toISOString() },
        'source banned after failures Asterisk reported',
      );
    }
  }

  /** Where a call came from, per channel driver; a problem text when it cannot be told. */
  function sourceOf(tech: ChannelTech, channel: string, text: string | undefined): SourceAddress | string {
    if (tech === 'OOH323') {
      const caller = ooh323Caller(channel);
      if (caller === undefined)
        return `chan_ooh323 channel name ${JSON.stringify(channel.slice(0, 80))} names no caller`;
      if ('ip' in caller) return { ip: caller.ip, transport: 'tcp' };
      const mapped = o.h323Peers[caller.name];
      const ip = mapped === undefined ? undefined : parseIp(mapped);
      return ip
        ? { ip: ip.text, transport: 'tcp' }
        : `configured chan_ooh323 caller ${JSON.stringify(caller.name)} has no address (add it to h323Peers)`;
    }
    if (text === undefined) return 'the check event has no Source';
    return parseHostPort(text) ?? `Source ${JSON.stringify(text.slice(0, 80))} is not an address`;
  }

  function onCheck(evt: AmiObject): void {
    stats.checks++;
    const time = Date.now();
    const read = readCheckEvent(evt);
    if (!read.ok && read.channel === undefined) {
      stats.noChannel++;
      log.warn(
        { event: 'asterisk-check-unusable', code: FIELD_ERROR, detail: read.problem },
        'check event names no channel: nothing to act on; the dialplan fail policy applies',
      );
      return;
    }
    const target: Target = read.ok
      ? read.request
      : { channel: read.channel!, tech: read.tech ?? 'other', ...(read.uniqueid ? { uniqueid: read.uniqueid } : {}) };
    const source = sourceOf(target.tech, target.channel, read.ok ? read.request.source : read.source);
    if (!read.ok) {
      stats.malformed++;
      if (typeof source === 'string') {
        failDecision(target, `${read.problem}; ${source}`);
        return;
      }
      const h323 = target.tech === 'OOH323';
      // The fields that did decode are judged too (a caller's header cannot hide the rest of the call).
      const partial = read.partial ? checkAttempt(read.partial, source, time) : undefined;
      const verdict = guard.judgeMalformed({
        protocol: h323 ? 'h323' : 'sip',
        method: h323 ? 'SETUP' : 'INVITE',
        source: { ip: source.ip, ...(source.port !== undefined ? { port: source.port } : {}) },
        time,
        detail: `GhostguardCheck field ${read.problem}`,
        adapter: ADAPTER,
        ...(partial ? { partial } : {}),
      });
      // A caller can make a field undecodable at will (a header past Asterisk's 8191-byte event line): throttled.
      const suppressed = malformedLog.take(time);
      if (suppressed !== undefined) {
        log.warn(
          {
            event: 'asterisk-check-malformed',
            code: FIELD_ERROR,
            channel: target.channel,
            source: source.ip,
            detail: read.problem,
            action: verdict.action,
            suppressed,
          },
          'check event field does not decode: judged on the fields that did, plus input.undecodable',
        );
      }
      enforce(target, verdict.action, verdictFields(verdict, source.ip));
      return;
    }
    if (typeof source === 'string') {
      failDecision(target, source);
      return;
    }
    const attempt = checkAttempt(read.request, source, time);
    const verdict = guard.judge(attempt);
    enforce(target, verdict.action, {
      ...verdictFields(verdict, source.ip),
      target: attempt.target.user,
      userAgent: attempt.userAgent,
    });
  }

  function verdictFields(v: Verdict, ip: string): Record<string, unknown> {
    return {
      source: ip,
      verdict: v.action,
      intended: v.intended,
      score: v.score,
      rules: v.reasons.map((r) => r.rule),
      monitor: v.monitor,
    };
  }

  /** A call the guard cannot judge (no usable source address): the adapter's fail mode decides. */
  function failDecision(target: Target, detail: string): void {
    stats.unjudgeable++;
    const action: Action = o.failMode === 'open' ? 'allow' : guard.config.policy.failClosedAction;
    log.warn(
      {
        event: 'asterisk-check-unjudgeable',
        channel: target.channel,
        tech: target.tech,
        detail,
        failMode: o.failMode,
        action,
      },
      `cannot judge call: fail-${o.failMode}`,
    );
    enforce(target, action, { failMode: o.failMode });
  }

  function enforce(target: Target, verdictAction: Action, fields: Record<string, unknown>): void {
    let action = verdictAction;
    const slot = action === 'tarpit' ? guard.tarpits.tryAcquire() : undefined;
    if (action === 'tarpit' && slot === undefined) {
      stats.tarpitNoSlot++;
      action = 'drop';
    }
    const request = actionFor(action, target, o);
    const key = target.uniqueid ?? target.channel;
    if (slot) {
      slots.hold(key, slot);
      stats.tarpitsHeld = slots.size;
    }
    stats.byAction[action]++;
    const line = { event: 'asterisk-call', channel: target.channel, tech: target.tech, action, ...fields };
    const note = action !== verdictAction ? ' (tarpit cap reached)' : '';
    if (action === 'allow') log.debug(line, 'allow call');
    else log.info(line, `${action} call${note}`);
    const sent = link.send(request, (r) => {
      if (r.ok) return;
      if (slot && slots.release(key)) stats.tarpitsHeld = slots.size;
      if (isChannelGone(r.message)) {
        // The caller hung up while the guard decided: normal, not an error.
        stats.channelGone++;
        log.debug(
          { event: 'asterisk-channel-gone', channel: target.channel, action },
          'channel gone before the verdict',
        );
        return;
      }
      stats.actionErrors++;
      log.warn(
        { event: 'asterisk-action-failed', channel: target.channel, action: request.action, detail: r.message },
        `${request.action} failed: the dialplan's fail policy applies to this call`,
      );
    });
    if (!sent) {
      stats.notSent++;
      if (slot && slots.release(key)) stats.tarpitsHeld = slots.size;
      log.warn(
        { event: 'asterisk-not-connected', channel: target.channel, action },
        "verdict not sent (AMI down): the dialplan's fail policy applies to this call",
      );
    }
  }

  if (o.rooms.enabled) rooms = new RoomSync(guard, link, o, log, stats);
  link.start();
  let closing: Promise<void> | undefined;
  return {
    ready,
    get connected() {
      return link.isReady;
    },
    stats() {
      return {
        ...stats,
        byAction: { ...stats.byAction },
        ...link.stats,
        connected: link.isReady,
        tarpitsHeld: slots.size,
      };
    },
    close() {
      closing ??= (async () => {
        finishReady(new AsteriskError('GG_ASTERISK_CLOSED', 'closed before the AMI connection was ready'));
        // Rooms learned stay in the registry until they expire: the guard may outlive this attachment.
        rooms?.close();
        await link.close();
        slots.releaseAll();
        log.info({ event: 'ami-closed' }, 'Asterisk adapter closed');
      })();
      return closing;
    },
  };
}
