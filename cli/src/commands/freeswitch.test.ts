import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@ghostguard/core';
import { waitUntil } from '@ghostguard/freeswitch/testing';
import { type EslInboundServer, placeCall, startEslInbound } from '@ghostguard/stand-ins/esl';
import { afterEach, describe, expect, it } from 'vitest';
import { bufferOutput } from '../output.js';
import { EXIT_LISTEN, runFreeswitch } from './freeswitch.js';

const dirs: string[] = [];
let fs: EslInboundServer | undefined;

afterEach(async () => {
  await fs?.close();
  fs = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function configFile(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'gg-fs-'));
  dirs.push(dir);
  const path = join(dir, 'ghostguard.yaml');
  writeFileSync(path, yaml);
  return path;
}

const silent = { logger: createLogger({ log: { level: 'silent' } }) };

/** A guard logger whose lines the test can wait on. */
function capturing(): { guardOptions: { logger: ReturnType<typeof createLogger> }; lines: string[] } {
  const lines: string[] = [];
  const stream = { write: (s: string) => void lines.push(s) } as unknown as NodeJS.WritableStream;
  return { guardOptions: { logger: createLogger({ log: { level: 'info' } }, stream) }, lines };
}

describe('ghostguard freeswitch', () => {
  it('judges calls on the outbound socket, learns from the inbound one, and stops cleanly', async () => {
    fs = await startEslInbound({ password: 'Secret-8021' });
    const port = await freePort();
    const path = configFile(
      [
        'log: { level: silent }',
        'bans: { failuresToBan: 2 }',
        'adapters:',
        '  freeswitch:',
        `    outbound: { host: 127.0.0.1, port: ${port} }`,
        `    inbound: { host: 127.0.0.1, port: ${fs.port}, password: Secret-8021, reconnect: { initialDelay: 20ms } }`,
      ].join('\n'),
    );
    let stop: () => void = () => {};
    const until = new Promise<void>((r) => {
      stop = r;
    });
    const out = bufferOutput();
    const log = capturing();
    const running = runFreeswitch({ configPath: path, until, guardOptions: log.guardOptions }, out);
    await waitUntil(() => fs!.subscriptions.length === 1, 5_000, 'the inbound subscription');
    fs.registerFailure({ networkIp: '203.0.113.50', toUser: '1000', userAgent: 'friendly-scanner' });
    fs.registerFailure({ networkIp: '203.0.113.50', toUser: '1001', userAgent: 'friendly-scanner' });
    // The guesser is banned by what the inbound socket reported: its call is refused.
    await waitUntil(() => log.lines.some((l) => l.includes('"203.0.113.50"') && l.includes('ban')), 5_000, 'the ban');
    const r = await placeCall({
      port,
      call: {
        protocol: 'sip',
        source: { ip: '203.0.113.50', port: 5060 },
        requestUri: { user: 'room-boardroom', host: 'video.example.com' },
        from: { user: 'alice', host: 'partner.example.net', tag: 'x1' },
        to: { user: 'room-boardroom', host: 'video.example.com' },
        callId: 'cli-1',
        userAgent: 'Cisco/CE',
      },
    });
    expect(r.reached).toBe(false);
    stop();
    expect(await running).toBe(0);
    expect(out.stdout[0]).toContain(`outbound socket 127.0.0.1:${port}`);
    expect(out.stdout.at(-1)).toMatch(/stopped; calls 1: .*reports: auth failures 2/);
    // Everything is closed: the port can be listened on again.
    const again = createServer();
    await new Promise<void>((resolve, reject) => {
      again.once('error', reject);
      again.listen(port, '127.0.0.1', () => resolve());
    });
    await new Promise<void>((resolve) => again.close(() => resolve()));
  });

  it('exits 2 when the outbound port is taken, and rejects a bad adapters.freeswitch section', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    const port = (taken.address() as { port: number }).port;
    try {
      const out = bufferOutput();
      const path = configFile(
        `log: { level: silent }\nadapters:\n  freeswitch:\n    outbound: { port: ${port} }\n    inbound: { enabled: false }\n`,
      );
      expect(await runFreeswitch({ configPath: path, until: new Promise(() => {}), guardOptions: silent }, out)).toBe(
        EXIT_LISTEN,
      );
      expect(out.stderr[0]).toMatch(/cannot listen/);
    } finally {
      await new Promise<void>((r) => taken.close(() => r()));
    }
    const bad = configFile('adapters:\n  freeswitch:\n    reject: { code: 200 }\n');
    await expect(runFreeswitch({ configPath: bad, until: Promise.resolve() }, bufferOutput())).rejects.toThrow(
      /adapters\.freeswitch\.reject\.code/,
    );
  });
});
