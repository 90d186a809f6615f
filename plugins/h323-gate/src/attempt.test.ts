import { createGuard, type Guard } from '@ghostguard/core';
import { afterAll, describe, expect, it } from 'vitest';
import { ADAPTER, classifyFirstMessage, judgeSetup, type SetupMessage, sourceIp } from './attempt.js';
import { recordedOoh323Call } from './test-support/ooh323-call.js';

const call = recordedOoh323Call();
/** The recorded SETUP's TPKT payload (the Q.931 message). */
const setupPayload = call.setup.subarray(4);
const source = { ip: '192.0.2.7', port: 40_000 };
const ctx = { source, local: { ip: '198.51.100.1', port: 1720 }, time: 1_700_000_000_000 };
/** Says SETUP, but its call reference length (3) is not one H.225.0 uses: not even the header decodes. */
const BROKEN_HEADER = Uint8Array.from([0x08, 0x03, 0x00, 0x00, 0x2b, 0x05, 0x00]);

const guard: Guard = createGuard({ log: { level: 'silent' }, dataDir: null, bans: { banScore: 1_000_000 } });
afterAll(() => guard.close());

function expectSetup(m: ReturnType<typeof classifyFirstMessage>): Extract<SetupMessage, { kind: 'setup' }> {
  expect(m.kind).toBe('setup');
  return m as Extract<SetupMessage, { kind: 'setup' }>;
}

describe('the first message → a CallAttempt', () => {
  it('reads the recorded SETUP whole: an H.323 attempt from the caller over TCP, its call reference, no anomalies', () => {
    const m = expectSetup(classifyFirstMessage(setupPayload, ctx));
    expect(m.callReference).toBe(0x2b);
    expect(m.attempt).toMatchObject({
      protocol: 'h323',
      method: 'SETUP',
      adapter: ADAPTER,
      source: { ip: '192.0.2.7', port: 40_000, transport: 'tcp' },
      time: ctx.time,
      target: { user: '5551234' },
    });
    expect(m.attempt.anomalies).toBeUndefined();
  });

  it('tells another Q.931 message (the recorded Alerting) and non-Q.931 bytes from a SETUP', () => {
    const alerting = call.roomSegments[1]!.subarray(4);
    expect(classifyFirstMessage(alerting, ctx).kind).toBe('not-setup');
    expect(classifyFirstMessage(Uint8Array.from([0x01, 0x02, 0x03]), ctx).kind).toBe('not-setup');
    expect(classifyFirstMessage(new Uint8Array(0), ctx).kind).toBe('not-setup');
  });

  it('keeps a SETUP whose Q.931 header does not decode as an undecodable SETUP, with no call reference', () => {
    const m = classifyFirstMessage(BROKEN_HEADER, ctx, { bytes: 2, detail: 'TPKT version 13' });
    expect(m).toMatchObject({ kind: 'undecodable-setup', callReference: undefined });
    expect((m as { detail: string }).detail).toMatch(/; then 2 bytes after the SETUP are not TPKT: TPKT version 13$/);
  });

  it('notes bytes after the SETUP that are not TPKT as the attempt’s last anomaly', () => {
    const m = expectSetup(classifyFirstMessage(setupPayload, ctx, { bytes: 18, detail: 'TPKT version 71' }));
    expect(m.attempt.anomalies).toEqual(['18 bytes after the SETUP are not TPKT: TPKT version 71']);
  });

  it('cuts an anomaly to the schema’s 200 characters', () => {
    const m = expectSetup(classifyFirstMessage(setupPayload, ctx, { bytes: 1, detail: 'x'.repeat(500) }));
    expect(m.attempt.anomalies![0]!.length).toBe(200);
  });

  it('canonicalises an IPv4-mapped IPv6 source (a dual-stack listener) to IPv4', () => {
    expect(sourceIp('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(sourceIp('2001:db8::1')).toBe('2001:db8::1');
    expect(sourceIp('not an address')).toBe('not an address');
  });
});

describe('judgeSetup', () => {
  it('judges a decoded SETUP with guard.judge', () => {
    const m = expectSetup(classifyFirstMessage(setupPayload, ctx));
    const before = guard.stats().judged;
    const v = judgeSetup(guard, m, source, ctx.time);
    expect(v.action).toBe('allow');
    expect(v.reasons.map((r) => r.rule)).not.toContain('input.undecodable');
    expect(guard.stats().judged).toBe(before + 1);
  });

  it('judges an undecodable SETUP with guard.judgeMalformed: scored input.undecodable, never let through for it', () => {
    const m = classifyFirstMessage(BROKEN_HEADER, ctx) as SetupMessage;
    const v = judgeSetup(guard, m, source, ctx.time);
    expect(v.action).not.toBe('allow');
    const reason = v.reasons.find((r) => r.rule === 'input.undecodable');
    expect(reason?.detail).toContain('undecodable SETUP');
  });
});
