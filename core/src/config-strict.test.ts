import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfigFile, parseConfig, parseSection } from './config.js';

function file(content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'gg-strict-')), 'ghostguard.yaml');
  writeFileSync(path, content);
  return path;
}

/** The GG_CONFIG_INVALID message loading `content` from a file gives (the test fails when it loads). */
function errorOf(content: string): { path: string; message: string } {
  const path = file(content);
  try {
    loadConfigFile(path);
  } catch (err) {
    expect(err).toMatchObject({ code: 'GG_CONFIG_INVALID' });
    return { path, message: (err as Error).message };
  }
  throw new Error(`expected ${JSON.stringify(content)} to be refused`);
}

describe('configuration strictness', () => {
  it('refuses trust.cidr (for cidrs) naming the file, the key path and what was meant', () => {
    const { path, message } = errorOf('trust:\n  cidr: [10.0.0.0/8]\n');
    expect(message).toContain(path);
    expect(message).toContain('trust.cidr: unknown key (did you mean "cidrs"?)');
  });

  it('refuses bans.banscore and behaviour.windw with a did-you-mean each', () => {
    const { message } = errorOf('bans:\n  banscore: 50\nbehaviour:\n  windw: 5s\n');
    expect(message).toContain('bans.banscore: unknown key (did you mean "banScore"?)');
    expect(message).toContain('behaviour.windw: unknown key (did you mean "window"?)');
  });

  it('refuses unknown keys at any depth: list items, nested caller lists, policy, memory', () => {
    const { message } = errorOf(
      [
        'rooms:',
        '  static:',
        '    - name: boardroom',
        '      alias: ["4001"]',
        '  callers:',
        '    allow:',
        '      cidr: []',
        'policy:',
        '  tier: []',
        'log:',
        '  levl: debug',
        'dialShape:',
        '  domain: [example.com]',
        '',
      ].join('\n'),
    );
    expect(message).toContain('rooms.static.0.alias: unknown key (did you mean "aliases"?)');
    expect(message).toContain('rooms.callers.allow.cidr: unknown key (did you mean "cidrs"?)');
    expect(message).toContain('policy.tier: unknown key (did you mean "tiers"?)');
    expect(message).toContain('log.levl: unknown key (did you mean "level"?)');
    expect(message).toContain('dialShape.domain: unknown key (did you mean "domains"?)');
  });

  it('lists the known keys when nothing is close to an unknown one', () => {
    expect(() => parseConfig({ zzz: 1 }, 'f.yaml')).toThrow(/zzz: unknown key \(known keys here: mode, dataDir/);
  });

  it('names a misspelt key inside a named peer', () => {
    expect(() => parseConfig({ trust: { cidrs: [{ name: 'trunk', adress: '192.0.2.1' }] } })).toThrow(
      /trust\.cidrs\.0\.adress: unknown key \(did you mean "address"\?\)/,
    );
  });

  it('lists every bad CIDR of a list with the file and its key path, not only the first', () => {
    const { path, message } = errorOf(
      'trust:\n  cidrs: [10.0.0.0/33, 10.1.0.0/16, nonsense]\ndeny:\n  cidrs: [10.0.0.0/40]\n',
    );
    expect(message).toContain(path);
    expect(message).toContain('trust.cidrs.0: an IP address or CIDR with a prefix length 0 to 32 (got "10.0.0.0/33")');
    expect(message).toContain(
      'trust.cidrs.2: an IP address or CIDR like 192.0.2.0/24 or 2001:db8::/32 (got "nonsense")',
    );
    expect(message).toContain('deny.cidrs.0: an IP address or CIDR with a prefix length 0 to 32 (got "10.0.0.0/40")');
    expect(message).not.toContain('trust.cidrs.1');
  });

  it('refuses host bits set below the prefix and says both readings', () => {
    expect(() => parseConfig({ trust: { cidrs: ['1.2.3.4/8'] } })).toThrow(
      /trust\.cidrs\.0: an IP address or CIDR without host bits set \(got "1\.2\.3\.4\/8"\): write the network 1\.0\.0\.0\/8 or the single address 1\.2\.3\.4/,
    );
    expect(() => parseConfig({ deny: { cidrs: [{ name: 'x', address: '2001:db8::1/32' }] } })).toThrow(
      /deny\.cidrs\.0\.address: .*without host bits set .*: write the network 2001:db8::\/32/,
    );
    expect(() => parseConfig({ rooms: { callers: { deny: { cidrs: ['192.0.2.1/24'] } } } })).toThrow(
      /rooms\.callers\.deny\.cidrs\.0/,
    );
    expect(
      parseConfig({ trust: { cidrs: ['1.0.0.0/8', '192.0.2.7', '2001:db8::/32', '::ffff:10.0.0.0/104'] } }).trust.cidrs,
    ).toHaveLength(4);
  });

  it('refuses a zero behaviour.window, bans.ttl, bans.maxTtl and tarpit.holdFor', () => {
    const { message } = errorOf('behaviour:\n  window: 0s\nbans:\n  ttl: 0\n  maxTtl: 0m\ntarpit:\n  holdFor: 0\n');
    expect(message).toContain('behaviour.window: more than 0');
    expect(message).toContain('bans.ttl: more than 0');
    expect(message).toContain('bans.maxTtl: more than 0');
    expect(message).toContain('tarpit.holdFor: more than 0');
  });

  it('refuses negative durations', () => {
    expect(() => parseConfig({ bans: { offenseMemory: -5 } })).toThrow(/bans\.offenseMemory: a duration like/);
    expect(() => parseConfig({ memory: { redialWithin: '-1s' } })).toThrow(/memory\.redialWithin/);
  });

  it('makes a section validated by its owner strict too, with the full key path', () => {
    const schema = z.object({ admin: z.object({ listen: z.string().default('127.0.0.1:9733') }).prefault({}) });
    expect(() => parseSection(schema, { admin: { lisen: 'x' } }, ['daemon'], 'f.yaml')).toThrow(
      /f\.yaml:\n {2}daemon\.admin\.lisen: unknown key \(did you mean "listen"\?\)/,
    );
    expect(parseSection(schema, { admin: {} }, ['daemon'])).toEqual({ admin: { listen: '127.0.0.1:9733' } });
  });

  it('leaves free-form maps (rules.weights, policy.methods) to their values', () => {
    const config = parseConfig({
      rules: { weights: { 'fp.ua.sipsak': 0 } },
      policy: { methods: { OPTIONS: [{ minScore: 50, action: 'drop' }] } },
    });
    expect(config.rules.weights['fp.ua.sipsak']).toBe(0);
    expect(() => parseConfig({ policy: { methods: { OPTIONS: [{ minScore: 50, acton: 'drop' }] } } })).toThrow(
      /policy\.methods\.OPTIONS\.0\.acton: unknown key \(did you mean "action"\?\)/,
    );
  });
});
