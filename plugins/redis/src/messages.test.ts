import type { Outcome } from '@ghostguard/core';
import { describe, expect, it } from 'vitest';
import { decodeMessage, decodeStoredBan, encodeMessage, isSharedReportKind, wireBan, wireOutcome } from './messages.js';

const ban = { ip: '198.51.100.7', reason: 'score 120: fp.ua.friendly-scanner', since: 1, until: 2, offense: 3 };

describe('pub/sub messages', () => {
  it('round-trips a ban and an unban', () => {
    for (const m of [
      { op: 'ban' as const, node: 'n1', ban },
      { op: 'unban' as const, node: 'n1', ip: '2001:db8::1' },
    ]) {
      expect(decodeMessage(encodeMessage(m), 8_192)).toEqual({ ok: true, message: m });
    }
  });

  it('carries a prefix ban the guard folded (bans.aggregate), and refuses a malformed prefix', () => {
    const prefix = { ...ban, ip: '198.51.100.0/24' };
    const m = { op: 'ban' as const, node: 'n1', ban: prefix };
    expect(decodeMessage(encodeMessage(m), 8_192)).toEqual({ ok: true, message: m });
    expect(decodeStoredBan(JSON.stringify(prefix), 8_192)).toEqual(prefix);
    for (const ip of ['198.51.100.0/999', '198.51.100.0/', 'x/24', '198.51.100.0/24/8'])
      expect(decodeMessage(JSON.stringify({ op: 'ban', node: 'n', ban: { ...ban, ip } }), 8_192)).toMatchObject({
        ok: false,
        kind: 'bad-shape',
      });
  });

  it('classifies what it refuses, and never throws', () => {
    expect(decodeMessage('x'.repeat(9_000), 8_192)).toMatchObject({ ok: false, kind: 'too-large' });
    expect(decodeMessage('{', 8_192)).toMatchObject({ ok: false, kind: 'not-json' });
    expect(decodeMessage('"ban"', 8_192)).toMatchObject({ ok: false, kind: 'bad-shape' });
    expect(
      decodeMessage(JSON.stringify({ op: 'ban', node: 'n', ban: { ...ban, ip: '999.1.1.1' } }), 8_192),
    ).toMatchObject({ ok: false, kind: 'bad-shape', detail: expect.stringContaining('ban.ip') });
    expect(decodeMessage(JSON.stringify({ op: 'unban', node: 'n', ip: 'localhost' }), 8_192)).toMatchObject({
      ok: false,
      kind: 'bad-shape',
    });
    expect(decodeMessage(JSON.stringify({ op: 'ban', node: 'n'.repeat(129), ban }), 8_192)).toMatchObject({
      ok: false,
      kind: 'bad-shape',
    });
  });

  it('sends only BanInfo fields, with the reason cut to what receivers accept', () => {
    const long = { ...ban, reason: 'r'.repeat(2_000), extra: 'dropped' };
    const w = wireBan(long);
    expect(Object.keys(w).sort()).toEqual(['ip', 'offense', 'reason', 'since', 'until']);
    expect(w.reason).toHaveLength(512);
    expect(decodeMessage(encodeMessage({ op: 'ban', node: 'n', ban: w }), 8_192).ok).toBe(true);
  });

  it('reads stored ban values, refusing anything else', () => {
    expect(decodeStoredBan(JSON.stringify(ban), 8_192)).toEqual(ban);
    expect(decodeStoredBan('nope', 8_192)).toBeUndefined();
    expect(decodeStoredBan(JSON.stringify({ ...ban, until: 'later' }), 8_192)).toBeUndefined();
    expect(decodeStoredBan(JSON.stringify({ ...ban, reason: 'r'.repeat(9_000) }), 8_192)).toBeUndefined();
  });

  it('round-trips a failure report; sends only Outcome fields, stamped with the sender time when it had none', () => {
    const outcome = { kind: 'auth-failure' as const, source: { ip: '198.51.100.7' }, extra: 'dropped' };
    const w = wireOutcome(outcome, 1_234);
    expect(w).toEqual({ kind: 'auth-failure', source: { ip: '198.51.100.7' }, time: 1_234 });
    const full = {
      kind: 'unknown-target' as const,
      source: { ip: '2001:db8::5', port: 5061 },
      target: '999',
      time: 77,
      detail: '404',
      adapter: 'drachtio',
    };
    expect(wireOutcome(full, 1_234)).toEqual(full);
    const m = { op: 'report' as const, node: 'n1', outcome: full };
    expect(decodeMessage(encodeMessage(m), 8_192)).toEqual({ ok: true, message: m });
  });

  it('shares failures only: a completed call earns trust on its own node', () => {
    const kinds: Outcome['kind'][] = ['auth-failure', 'acl-failure', 'unknown-target', 'bad-request', 'hijack-attempt'];
    for (const k of kinds) expect(isSharedReportKind(k)).toBe(true);
    expect(isSharedReportKind('completed-call')).toBe(false);
    const report = (outcome: Record<string, unknown>) =>
      decodeMessage(
        JSON.stringify({
          op: 'report',
          node: 'n',
          outcome: { kind: 'auth-failure', source: { ip: '192.0.2.1' }, time: 1, ...outcome },
        }),
        8_192,
      );
    expect(report({})).toMatchObject({ ok: true });
    expect(report({ kind: 'completed-call' })).toMatchObject({
      ok: false,
      kind: 'bad-shape',
      detail: expect.stringContaining('outcome.kind'),
    });
    expect(report({ source: { ip: 'host.example' } })).toMatchObject({
      ok: false,
      detail: expect.stringContaining('outcome.source.ip'),
    });
    expect(report({ time: undefined })).toMatchObject({ ok: false, detail: expect.stringContaining('outcome.time') });
    expect(report({ time: Number.NaN })).toMatchObject({ ok: false, detail: expect.stringContaining('outcome.time') });
  });
});
