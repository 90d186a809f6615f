import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { CallAttempt } from './attempt.js';
import type { ConfigInput } from './config.js';
import { createGuard, type Guard } from './guard.js';
import { h323Attempt, sipAttempt } from './testing.js';
import type { BanInfo, Verdict } from './verdict.js';

const T0 = 1_700_000_000_000;
const SERVED: ConfigInput = {
  log: { level: 'silent' },
  dialShape: { domains: ['video.example.com'], knownTargets: ['room-*'] },
};

function memoryLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(JSON.parse(String(chunk)));
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

function scanner(ip = '203.0.113.66', time = T0): CallAttempt {
  return sipAttempt({
    source: { ip, port: 5061, transport: 'udp' },
    userAgent: 'friendly-scanner',
    time,
    target: { user: '100', host: '127.0.0.1' },
    caller: { user: '100', host: '1.1.1.1', display: 'sipvicious' },
    sip: { viaBranch: 'z9hG4bK-3061581117', fromTag: '3766303030303031313363340132303031323231343935', hasBody: false },
  });
}

function withGuard<T>(input: ConfigInput, fn: (g: Guard) => T): T {
  const g = createGuard(input);
  try {
    return fn(g);
  } finally {
    g.close();
  }
}

describe('guard.judge', () => {
  it('allows a legitimate room call with no reasons', () => {
    withGuard(SERVED, (g) => {
      expect(g.judge(sipAttempt())).toEqual({
        action: 'allow',
        intended: 'allow',
        score: 0,
        reasons: [],
        monitor: false,
      });
    });
  });

  it('drops a SIPVicious INVITE from its first packet and bans the source', () => {
    withGuard(SERVED, (g) => {
      const v = g.judge(scanner());
      expect(v.action).toBe('drop');
      expect(v.ban?.ip).toBe('203.0.113.66');
      const again = g.judge(sipAttempt({ source: { ip: '203.0.113.66' }, time: T0 + 1000 }));
      expect(again.action).toBe('drop');
      expect(again.reasons.map((r) => r.rule)).toEqual(['known-bad.banned']);
    });
  });

  it('lets allowlisted peers through whatever they send', () => {
    withGuard(
      { ...SERVED, trust: { cidrs: ['203.0.113.0/24', { name: 'carrier', address: '2001:db8:5::/48' }] } },
      (g) => {
        expect(g.judge(scanner()).action).toBe('allow');
        const v = g.judge(scanner('2001:db8:5::7'));
        expect(v.action).toBe('allow');
        expect(v.reasons[0]?.detail).toContain('carrier');
        expect(g.bans.list()).toEqual([]);
      },
    );
  });

  it('refuses deny-listed networks even when the request looks clean', () => {
    withGuard({ ...SERVED, deny: { cidrs: ['198.51.100.0/24'] } }, (g) => {
      const v = g.judge(sipAttempt({ source: { ip: '198.51.100.20' } }));
      expect(v.action).toBe('drop');
      expect(v.reasons[0]?.rule).toBe('known-bad.denylist');
      expect(v.ban).toBeUndefined();
    });
  });

  it('treats an IPv4-mapped IPv6 source as the IPv4 address', () => {
    withGuard(SERVED, (g) => {
      g.judge(scanner('::ffff:203.0.113.66', Date.now()));
      expect(g.bans.get('203.0.113.66')).toBeDefined();
    });
  });

  it('in monitor mode allows but says what it would have done', () => {
    withGuard({ ...SERVED, mode: 'monitor' }, (g) => {
      const v = g.judge(scanner());
      expect(v).toMatchObject({ action: 'allow', intended: 'drop', monitor: true });
    });
  });

  it('applies per-method tiers and never tarpits a non-INVITE', () => {
    const policy = {
      tiers: [{ minScore: 50, action: 'tarpit' as const }],
      methods: { OPTIONS: [{ minScore: 10, action: 'reject' as const }] },
    };
    withGuard({ ...SERVED, policy }, (g) => {
      expect(g.judge(scanner()).action).toBe('tarpit');
      expect(g.judge({ ...scanner('203.0.113.67'), method: 'OPTIONS' }).action).toBe('reject');
      expect(g.judge({ ...scanner('203.0.113.68'), method: 'REGISTER' }).action).toBe('drop');
    });
  });

  it('judges H.323 SETUPs with the same layers', () => {
    withGuard(SERVED, (g) => {
      expect(g.judge(h323Attempt()).action).toBe('allow');
      const fraud = h323Attempt({
        source: { ip: '198.51.100.31' },
        target: { user: '900441632960123' },
        userAgent: 'sipcli/v1.8',
      });
      expect(g.judge(fraud).action).toBe('drop');
    });
  });
});

describe('fail modes', () => {
  const broken = [
    null,
    {},
    {
      protocol: 'sip',
      method: 'INVITE',
      source: { ip: 'not-an-ip' },
      target: {},
      caller: {},
      time: T0,
      sip: { hasBody: false },
    },
    { ...sipAttempt(), sip: undefined },
    { ...sipAttempt(), userAgent: 42 },
    { ...sipAttempt(), time: Number.NaN },
  ] as unknown as CallAttempt[];

  it('fail-open (default) allows invalid input and logs that it failed open', () => {
    const { logger, lines } = memoryLogger();
    const g = createGuard({ log: { level: 'silent' } }, { logger });
    for (const b of broken)
      expect(g.judge(b)).toMatchObject({ action: 'allow', reasons: [{ rule: 'guard.invalid-input' }] });
    expect(lines.some((l) => l.event === 'invalid-attempt' && l.onInternalError === 'open')).toBe(true);
    expect(g.stats().invalid).toBe(broken.length);
    g.close();
  });

  it('fail-closed refuses invalid input with the configured action', () => {
    withGuard({ log: { level: 'silent' }, policy: { onInternalError: 'closed', failClosedAction: 'reject' } }, (g) => {
      for (const b of broken) expect(g.judge(b).action).toBe('reject');
    });
  });

  it('still reads the old policy.failMode, and says it is now policy.onInternalError', () => {
    const { logger, lines } = memoryLogger();
    const g = createGuard({ log: { level: 'silent' }, policy: { failMode: 'closed' } }, { logger });
    expect(g.config.policy.onInternalError).toBe('closed');
    expect(lines.filter((l) => l.event === 'config-deprecated')).toMatchObject([
      { key: 'policy.failMode', use: 'policy.onInternalError' },
    ]);
    g.close();
  });

  it('a throwing verdict listener does not break judge', () => {
    withGuard(SERVED, (g) => {
      g.on('verdict', () => {
        throw new Error('listener bug');
      });
      expect(g.judge(scanner()).action).toBe('drop');
    });
  });

  it('never throws, whatever it is given (fuzz)', () => {
    withGuard(SERVED, (g) => {
      const base = sipAttempt() as unknown as Record<string, unknown>;
      fc.assert(
        fc.property(
          fc.anything(),
          fc.constantFrom('protocol', 'method', 'source', 'target', 'caller', 'userAgent', 'time', 'sip', 'h323'),
          (junk, key) => {
            const v = g.judge({ ...base, [key]: junk } as unknown as CallAttempt);
            expect(['allow', 'reject', 'drop', 'tarpit']).toContain(v.action);
          },
        ),
        { numRuns: 3000 },
      );
      fc.assert(
        fc.property(fc.anything(), (junk) => {
          expect(() => g.judge(junk as CallAttempt)).not.toThrow();
        }),
        { numRuns: 2000 },
      );
      expect(g.stats().internalErrors).toBe(0);
    });
  });
});

describe('bans', () => {
  it('escalates the TTL for repeat offenders', () => {
    withGuard({ ...SERVED, bans: { ttl: '10m', escalation: 4, maxTtl: '1d' } }, (g) => {
      const first = g.judge(scanner('203.0.113.70', T0)).ban!;
      expect(first.until - first.since).toBe(600_000);
      const second = g.judge(scanner('203.0.113.70', first.until + 1)).ban!;
      expect(second.offense).toBe(2);
      expect(second.until - second.since).toBe(2_400_000);
      let b: BanInfo = second;
      for (let i = 0; i < 5; i++) b = g.judge(scanner('203.0.113.70', b.until + 1)).ban!;
      expect(b.until - b.since).toBe(86_400_000);
    });
  });

  it('adds, explains and removes bans by hand, and emits ban/unban', () => {
    withGuard(SERVED, (g) => {
      const events: string[] = [];
      g.on('ban', (b) => events.push(`ban ${b.ip}`)).on('unban', (ip, cause) => events.push(`unban ${ip} ${cause}`));
      g.bans.add('2001:DB8::0:1', { reason: 'operator', ttl: 60_000 });
      expect(g.bans.explain('2001:db8::1')).toMatchObject({
        ip: '2001:db8::1',
        ban: { reason: 'operator' },
        offenses: 1,
      });
      expect(g.bans.remove('2001:db8::1')).toBe(true);
      expect(events).toEqual(['ban 2001:db8::1', 'unban 2001:db8::1 removed']);
      expect(() => g.bans.add('bogus', { reason: 'x' })).toThrow(/not an IP/);
    });
  });

  it('explains what a source did in the current window', () => {
    withGuard(SERVED, (g) => {
      const now = Date.now();
      for (let i = 0; i < 3; i++)
        g.judge(
          sipAttempt({
            source: { ip: '198.51.100.61' },
            target: { user: `x${i}`, host: 'video.example.com' },
            time: now + i,
          }),
        );
      g.report({ kind: 'completed-call', source: { ip: '198.51.100.61' }, time: now + 5 });
      expect(g.bans.explain('198.51.100.61')).toMatchObject({
        ip: '198.51.100.61',
        offenses: 0,
        activity: { attemptsInWindow: 3, distinctUnknownTargets: 3, failuresInWindow: 0 },
      });
      expect(g.bans.explain('198.51.100.61').activity?.trustedUntil).toBeGreaterThan(now + 86_000_000);
    });
  });

  it('refuses to ban an allowlisted address (allowlists always win)', () => {
    withGuard({ ...SERVED, trust: { cidrs: [{ name: 'trunk', address: '198.51.100.0/24' }] } }, (g) => {
      expect(() => g.bans.add('198.51.100.9', { reason: 'oops' })).toThrow(/allowlisted \(trunk\)/);
      expect(g.judge(sipAttempt({ source: { ip: '198.51.100.9' }, userAgent: 'friendly-scanner' })).action).toBe(
        'allow',
      );
    });
  });

  it('bans a source whose PBX-reported failures pile up (svcrack)', () => {
    withGuard({ ...SERVED, bans: { failuresToBan: 5 } }, (g) => {
      let ban: BanInfo | undefined;
      for (let i = 0; i < 5; i++)
        ban = g.report({ kind: 'auth-failure', source: { ip: '198.51.100.99' }, target: '101', time: T0 + i });
      expect(ban?.reason).toContain('5 failures');
      expect(g.judge(sipAttempt({ source: { ip: '198.51.100.99' }, time: T0 + 10 })).action).toBe('drop');
    });
  });

  it('ignores invalid reports without throwing', () => {
    withGuard(SERVED, (g) => {
      expect(g.report({ kind: 'auth-failure', source: { ip: 'nope' } })).toBeUndefined();
      expect(g.report(null as never)).toBeUndefined();
    });
  });

  it('survives a restart through the data directory (embedded store)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gg-bans-'));
    const now = Date.now();
    const g1 = createGuard({ ...SERVED, dataDir: dir });
    g1.judge(scanner('203.0.113.80', now));
    g1.close();
    expect(existsSync(join(dir, 'ghostguard.db'))).toBe(true);
    withGuard({ ...SERVED, dataDir: dir }, (g2) => {
      expect(g2.bans.get('203.0.113.80')?.reason).toContain('fp.ua.friendly-scanner');
      expect(g2.judge(sipAttempt({ source: { ip: '203.0.113.80' }, time: now + 1 })).action).toBe('drop');
    });
  });

  it('does not resurrect expired bans and survives a corrupt file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gg-bans-'));
    writeFileSync(
      join(dir, 'bans.json'),
      JSON.stringify({
        version: 1,
        bans: [{ ip: '203.0.113.81', reason: 'old', since: 1, until: 2, offense: 1 }],
        offenses: [],
      }),
    );
    withGuard({ ...SERVED, dataDir: dir }, (g) => expect(g.bans.list()).toEqual([]));
    for (const f of ['ghostguard.db-wal', 'ghostguard.db-shm']) rmSync(join(dir, f), { force: true });
    writeFileSync(join(dir, 'ghostguard.db'), 'not a database, but long enough to be read as a header '.repeat(40));
    const { logger, lines } = memoryLogger();
    const g = createGuard({ ...SERVED, dataDir: dir }, { logger });
    expect(g.bans.list()).toEqual([]);
    expect(lines.some((l) => l.event === 'bans-load-failed')).toBe(true);
    g.close();
  });
});

describe('logging', () => {
  it('writes one structured line per refused attempt and per ban', () => {
    const { logger, lines } = memoryLogger();
    const g = createGuard(SERVED, { logger });
    g.judge(sipAttempt());
    g.judge(scanner());
    g.close();
    const verdicts = lines.filter((l) => l.event === 'verdict');
    expect(verdicts).toHaveLength(1);
    expect(verdicts[0]).toMatchObject({ source: '203.0.113.66', action: 'drop', method: 'INVITE' });
    expect(verdicts[0]!.rules).toContain('fp.ua.friendly-scanner');
    expect(lines.filter((l) => l.event === 'ban')).toHaveLength(1);
  });

  it('a banned source hammering writes one verdict line per window, the next one carrying the count of the rest', () => {
    const { logger, lines } = memoryLogger();
    let now = 1_800_000_000_000;
    const g = createGuard(SERVED, { logger, now: () => now });
    g.judge(scanner(undefined, now)); // banned here: one verdict line and one ban line
    for (let i = 1; i <= 1000; i++) g.judge(scanner(undefined, now + i));
    now += 60_000; // the refusal log's window (refusal-log.ts)
    g.judge(scanner(undefined, now));
    g.close();
    const verdicts = lines.filter((l) => l.event === 'verdict');
    expect(verdicts).toHaveLength(2);
    expect(verdicts[1]!.previous).toMatchObject({ refusals: 1000, actions: { drop: 1000 } });
    expect(Object.keys(verdicts[1]!.previous as object)).toContain('reasons');
    expect(lines.filter((l) => l.event === 'ban')).toHaveLength(1);
  });

  it('refusals by a room caller policy alone are throttled too (they never ban)', () => {
    const { logger, lines } = memoryLogger();
    const g = createGuard(
      { ...SERVED, rooms: { callers: { others: 'known' } } },
      { logger, now: () => 1_800_000_000_000 },
    );
    for (let i = 0; i < 50; i++) expect(g.judge(sipAttempt({ time: 1_800_000_000_000 + i })).action).toBe('reject');
    g.close();
    expect(lines.filter((l) => l.event === 'verdict')).toHaveLength(1);
  });

  it('emits verdict events with how long judge took', () => {
    withGuard(SERVED, (g) => {
      const seen: Array<[Verdict, number]> = [];
      g.on('verdict', (_a, v, timing) => seen.push([v, timing.seconds]));
      g.judge(sipAttempt());
      expect(seen).toHaveLength(1);
      expect(seen[0]![1]).toBeGreaterThanOrEqual(0);
      expect(seen[0]![1]).toBeLessThan(60);
    });
  });
});

describe('tarpit budget', () => {
  it('hands out at most maxConcurrent slots and takes them back once', () => {
    withGuard({ ...SERVED, tarpit: { maxConcurrent: 2 } }, (g) => {
      const a = g.tarpits.tryAcquire();
      const b = g.tarpits.tryAcquire();
      expect(g.tarpits.tryAcquire()).toBeUndefined();
      a?.release();
      a?.release();
      expect(g.tarpits.inUse).toBe(1);
      expect(g.tarpits.tryAcquire()).toBeDefined();
      b?.release();
    });
  });
});

describe('guard.judgeMalformed', () => {
  const malformed = (ip: string, time = Date.now()) => ({
    protocol: 'h323' as const,
    method: 'SETUP',
    source: { ip, port: 1720 },
    time,
    detail: 'H.225 ... needs 4 bytes',
    adapter: 'h323-gate',
  });

  it('refuses an undecodable request from an unknown source whatever onInternalError says, and says why', () => {
    for (const onInternalError of ['open', 'closed'] as const) {
      withGuard({ ...SERVED, policy: { onInternalError } }, (g) => {
        const v = g.judgeMalformed(malformed('198.51.100.70'));
        expect(v).toMatchObject({ action: 'reject', score: 60, reasons: [{ rule: 'input.undecodable' }] });
        expect(v.reasons[0]?.detail).toContain('needs 4 bytes');
      });
    }
  });

  it('judges what could be read (partial) by every rule, on top of the undecodable signal', () => {
    withGuard(SERVED, (g) => {
      const partial = scanner();
      const v = g.judgeMalformed({ ...malformed(partial.source.ip), partial });
      expect(v.reasons.map((r) => r.rule)).toContain('input.undecodable');
      expect(v.reasons.some((r) => r.rule.startsWith('fp.'))).toBe(true);
      expect(v.score).toBeGreaterThan(60);
    });
  });

  it('an attempt the decoder read with parts skipped (anomalies) is scored the same way', () => {
    withGuard(SERVED, (g) => {
      const v = g.judge(sipAttempt({ anomalies: ['140 header fields past the cap of 128'] }));
      expect(v).toMatchObject({ action: 'reject', reasons: [{ rule: 'input.undecodable', weight: 60 }] });
    });
  });

  it('the undecodable weight is a rule weight like any other', () => {
    withGuard({ ...SERVED, rules: { weights: { 'input.undecodable': 90 } } }, (g) => {
      expect(g.judgeMalformed(malformed('198.51.100.72')).score).toBe(90);
    });
  });

  it('still refuses a banned source, and passes an allowlisted one whatever it sent', () => {
    withGuard({ ...SERVED, trust: { cidrs: ['192.0.2.0/24'] } }, (g) => {
      g.bans.add('198.51.100.71', { reason: 'earlier scan' });
      expect(g.judgeMalformed(malformed('198.51.100.71'))).toMatchObject({
        action: 'drop',
        reasons: [{ rule: 'known-bad.banned' }],
      });
      expect(g.judgeMalformed(malformed('::ffff:198.51.100.71'))).toMatchObject({ action: 'drop' });
    });
    withGuard({ ...SERVED, trust: { cidrs: ['192.0.2.0/24'] }, policy: { onInternalError: 'closed' } }, (g) => {
      expect(g.judgeMalformed(malformed('192.0.2.9')).action).toBe('allow');
    });
  });

  it('never throws on junk', () => {
    withGuard(SERVED, (g) => {
      expect(g.judgeMalformed({ ...malformed('nope'), detail: 42 as unknown as string }).action).toBe('allow');
      expect(g.judgeMalformed(null as never).action).toBe('allow');
    });
  });
});
