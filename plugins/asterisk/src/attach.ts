import { type Attachment, type Guard, LogThrottle, readiness, type Verdict } from '@ghostguard/core';
import type { AmiObject } from 'asterisk-manager';
import { Enforcer } from './enforce.js';
import { AsteriskError, type AsteriskErrorCode } from './errors.js';
import { textField } from './fields.js';
import { GateVerdicts } from './h323-gate-verdicts.js';
import { judgeCheck } from './judge-check.js';
import { AmiLink } from './link.js';
import { type AmiAccess, type AsteriskOptions, resolveAsteriskOptions } from './options.js';
import { AsteriskRooms } from './rooms.js';
import { readSecurityEvent } from './security.js';
import { type AsteriskStats, emptyStats } from './stats.js';

export interface AsteriskAttachment extends Attachment<AsteriskStats> {
  /**
   * Resolves on the first successful login; rejects with GG_ASTERISK_AUTH if Asterisk refuses the login (the
   * adapter keeps retrying with backoff either way), or GG_ASTERISK_CLOSED if closed first.
   */
  readonly ready: Promise<void>;
  readonly connected: boolean;
}

const FIELD_ERROR: AsteriskErrorCode = 'GG_ASTERISK_FIELD';

/**
 * Attaches a guard to Asterisk over AMI (`ami`: where and as whom to log in; `options`: the rest of
 * `adapters.asterisk`). Inbound contexts Gosub into the `ghostguard-check` routine (examples/asterisk/extensions.conf),
 * which raises UserEvent(GhostguardCheck, …) and waits for the verdict: `allow` → Setvar GHOSTGUARD_VERDICT=allow,
 * `reject`/`drop` → Hangup with a cause per channel driver, `tarpit` → Redirect to ghostguard-tarpit (drop when the
 * guard's tarpit cap is reached). Security events go to guard.report(), so a source that keeps failing is banned.
 * With `rooms.enabled` the registered room systems are listed on every login and followed (rooms.ts); the core
 * decides which bindings are rooms. Reconnects with backoff; the guard's state is never touched by that.
 */
export function attachAsterisk(guard: Guard, ami: AmiAccess, options: AsteriskOptions = {}): AsteriskAttachment {
  const o = resolveAsteriskOptions(ami, options, guard);
  const log = o.logger;
  const malformedLog = new LogThrottle(1000);
  const downLog = new LogThrottle(60_000);
  const stats = emptyStats();
  const checkEvent = o.checkEvent.toLowerCase();
  const { ready, settle } = readiness();

  let rooms: AsteriskRooms | undefined;
  const link = new AmiLink(o, log, {
    onEvent: (evt) => {
      try {
        dispatch(evt);
      } catch (err) {
        // Never let one event take the host down; the dialplan's fail policy covers a check left unanswered.
        stats.errors++;
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
      settle();
    },
    onDown: (reason, failedAttempts) => {
      const line = { event: 'ami-down', reason, host: o.host, port: o.port, failedAttempts };
      // One warning when the connection goes (or the first attempt fails); while Asterisk stays away, at most
      // one a minute (with how many were left out), the rest at debug.
      const first = failedAttempts === 0;
      const suppressed = downLog.take(Date.now());
      if (!first && suppressed === undefined) {
        log.debug(line, `AMI ${reason}`);
        return;
      }
      log.warn(
        first ? line : { ...line, suppressed },
        first
          ? `AMI ${reason}: calls follow the dialplan's fail policy until it is back`
          : `AMI still unreachable after ${failedAttempts + 1} attempts: calls follow the dialplan's fail policy`,
      );
    },
    onAuthFailed: (err) => {
      log.error({ event: 'ami-auth-failed', code: err.code, host: o.host, port: o.port }, err.message);
      settle(err);
    },
  });
  const enforcer = new Enforcer(guard, link, o, stats);
  const gate = o.h323Gate.callers.length > 0 ? new GateVerdicts(guard, o.h323Gate.window) : undefined;
  if (Object.keys(o.h323Peers).length > 0) {
    log.warn(
      { event: 'asterisk-h323-peers-ignored', names: Object.keys(o.h323Peers).slice(0, 16) },
      'adapters.asterisk.h323Peers is no longer used: chan_ooh323 matches a configured user by its Display name from any address, so the mapped address is not the caller’s; such calls follow failMode unless the H.323 gate judged them (h323Gate, README)',
    );
  }

  function dispatch(evt: AmiObject): void {
    const name = (textField(evt, 'event') ?? '').toLowerCase();
    if (name === 'userevent') {
      if ((textField(evt, 'userevent') ?? '').toLowerCase() === checkEvent) onCheck(evt);
      return;
    }
    if (name === 'hangup') {
      enforcer.hungUp(textField(evt, 'uniqueid'), textField(evt, 'channel'));
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

  function onCheck(evt: AmiObject): void {
    stats.checks++;
    const time = Date.now();
    const d = judgeCheck(guard, o, evt, time, gate);
    if (d.kind === 'no-channel') {
      stats.noChannel++;
      log.warn(
        { event: 'asterisk-check-unusable', code: FIELD_ERROR, detail: d.problem },
        'check event names no channel: nothing to act on; the dialplan fail policy applies',
      );
      return;
    }
    if (d.kind === 'unjudgeable') {
      enforcer.unjudgeable(d.target, d.detail);
      return;
    }
    if (d.kind === 'gate') {
      stats.fromGate++;
      enforcer.enforce(
        d.target,
        d.verdict.action,
        { ...verdictFields(d.verdict, d.source), judgedBy: 'h323-gate' },
        d.verdict.reasons,
      );
      return;
    }
    stats.judged++;
    const fields = verdictFields(d.verdict, d.source);
    if (d.malformed !== undefined) {
      stats.malformed++;
      // A caller can make a field undecodable at will (a header past Asterisk's 8191-byte event line): throttled.
      const suppressed = malformedLog.take(time);
      if (suppressed !== undefined) {
        log.warn(
          {
            event: 'asterisk-check-malformed',
            code: FIELD_ERROR,
            channel: d.target.channel,
            source: d.source,
            detail: d.malformed,
            action: d.verdict.action,
            suppressed,
          },
          'check event field does not decode: judged on the fields that did, plus input.undecodable',
        );
      }
      enforcer.enforce(d.target, d.verdict.action, fields, d.verdict.reasons);
      return;
    }
    enforcer.enforce(
      d.target,
      d.verdict.action,
      { ...fields, target: d.calledUser, userAgent: d.userAgent },
      d.verdict.reasons,
    );
  }

  if (o.rooms.enabled) rooms = new AsteriskRooms(guard, link, o, log, stats);
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
        rooms: { ...stats.rooms },
        ...link.stats,
        connected: link.isReady,
        tarpitsHeld: enforcer.held,
      };
    },
    close() {
      closing ??= (async () => {
        settle(new AsteriskError('GG_ASTERISK_CLOSED', 'closed before the AMI connection was ready'));
        // Rooms learned stay in the registry until they expire: the guard may outlive this attachment.
        rooms?.close();
        gate?.close();
        await link.close();
        enforcer.close();
        log.info({ event: 'ami-closed' }, 'Asterisk adapter closed');
      })();
      return closing;
    },
  };
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
