import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfigFile, parseAdapterSection, parseConfig } from './config.js';

function file(content: string, name = 'ghostguard.yaml'): string {
  const path = join(mkdtempSync(join(tmpdir(), 'gg-cfg-')), name);
  writeFileSync(path, content);
  return path;
}

describe('config', () => {
  it('has sensible defaults with no config at all', () => {
    const c = parseConfig(undefined);
    expect(c.mode).toBe('enforce');
    expect(c.policy.onInternalError).toBe('open');
    expect(c.behaviour.window).toBe(10_000);
    expect(c.bans.ttl).toBe(600_000);
    expect(c.policy.tiers[0]).toEqual({ minScore: 80, action: 'drop' });
  });

  it('reads YAML with durations', () => {
    const c = loadConfigFile(file('mode: monitor\nbans:\n  ttl: 15m\n  maxTtl: 2d\nbehaviour:\n  window: 500ms\n'));
    expect(c).toMatchObject({
      mode: 'monitor',
      bans: { ttl: 900_000, maxTtl: 172_800_000 },
      behaviour: { window: 500 },
    });
  });

  it('reads JSON too', () => {
    expect(loadConfigFile(file('{"mode":"monitor"}', 'g.json')).mode).toBe('monitor');
  });

  it('names the path of every bad key and what was expected', () => {
    const path = file(
      'mode: watch\nbans:\n  ttl: soon\npolicy:\n  tiers:\n    - minScore: 10\n      action: explode\nbogus: 1\n',
    );
    let message = '';
    try {
      loadConfigFile(path);
    } catch (err) {
      expect(err).toMatchObject({ code: 'GG_CONFIG_INVALID' });
      message = (err as Error).message;
    }
    expect(message).toContain(path);
    expect(message).toMatch(/mode: .*"enforce"/);
    expect(message).toContain('bans.ttl: a duration like');
    expect(message).toContain('policy.tiers.0.action');
    expect(message).toMatch(/bogus/);
  });

  it('rejects an invalid regular expression and a tarpit hold past the SIP transaction timeout', () => {
    expect(() => parseConfig({ dialShape: { tollFraudPatterns: ['(('] } })).toThrow(/dialShape.tollFraudPatterns.0/);
    expect(() => parseConfig({ tarpit: { holdFor: '70s' } })).toThrow(/tarpit.holdFor/);
  });

  it('reports unreadable and non-YAML files clearly', () => {
    expect(() => loadConfigFile('/nonexistent/ghostguard.yaml')).toThrow(
      expect.objectContaining({ code: 'GG_CONFIG_READ' }),
    );
    expect(() => loadConfigFile(file('a: [1, 2'))).toThrow(expect.objectContaining({ code: 'GG_CONFIG_INVALID' }));
  });

  it('keeps adapter sections opaque and lets each plugin validate its own, naming the full key path', () => {
    const config = parseConfig({ adapters: { asterisk: { port: 'x' } } });
    const schema = z.object({ port: z.number().default(5038) }).strict();
    expect(() => parseAdapterSection(schema, config, 'asterisk')).toThrow(/adapters\.asterisk\.port/);
    expect(parseAdapterSection(schema, parseConfig({}), 'asterisk')).toEqual({ port: 5038 });
    expect(() => parseConfig({ adapters: { asterix: {} } })).toThrow(/adapters/);
  });
});
