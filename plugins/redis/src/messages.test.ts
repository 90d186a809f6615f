import { describe, expect, it } from 'vitest';
import { decodeMessage, decodeStoredBan, encodeMessage, wireBan } from './messages.js';

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
});
