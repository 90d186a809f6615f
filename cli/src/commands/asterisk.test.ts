import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureLogs, waitUntil } from '@ghostguard/asterisk/testing';
import { type AmiPeer, startAmiPeer } from '@ghostguard/stand-ins/ami';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bansOnDisk } from '../daemon/test-support/daemon-harness.js';
import { bufferOutput } from '../output.js';
import { runAsterisk } from './asterisk.js';

let dir: string;
let peer: AmiPeer | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gg-asterisk-'));
});
afterEach(async () => {
  await peer?.close();
  peer = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function config(port: number, secret = 'ghostguard-secret'): string {
  const path = join(dir, 'ghostguard.yaml');
  writeFileSync(
    path,
    [
      'log: { level: silent }',
      `dataDir: ${JSON.stringify(dir)}`,
      'dialShape: { knownTargets: ["room-*"], domains: [video.example.com] }',
      'adapters:',
      '  asterisk:',
      '    host: 127.0.0.1',
      `    port: ${port}`,
      '    username: ghostguard',
      `    secret: ${secret}`,
      '    reconnect: { minDelay: 20ms, maxDelay: 200ms }',
    ].join('\n'),
  );
  return path;
}

describe('ghostguard asterisk', () => {
  it('attaches to Asterisk with adapters.asterisk, judges calls until told to stop, then closes cleanly', async () => {
    peer = await startAmiPeer({ checkTimeoutMs: 5_000 });
    const out = bufferOutput();
    let stop!: () => void;
    const until = new Promise<void>((r) => {
      stop = r;
    });
    const logs = captureLogs('info');
    const running = runAsterisk({ configPath: config(peer.port), until, guardOptions: { logger: logs.logger } }, out);
    await waitUntil(() => out.stdout.some((l) => l.includes('connected; judging calls')), 10_000, 'the connection');
    const outcome = await peer.placeCall({
      tech: 'PJSIP',
      source: { ip: '203.0.113.5', port: 5060 },
      exten: '100',
      userAgent: 'friendly-scanner',
      via: 'SIP/2.0/UDP 203.0.113.5:5060;branch=z9hG4bK-2151235;rport',
      from: '"sipvicious"<sip:100@1.1.1.1>;tag=6331323334',
      to: '"sipvicious"<sip:100@1.1.1.1>',
      requestUri: 'sip:100@198.51.100.1',
    }).outcome;
    expect(outcome.kind).not.toBe('allowed');
    stop();
    expect(await running).toBe(0);
    expect(out.stdout.at(-1)).toMatch(/stopped; checks 1: allow 0/);
    await waitUntil(() => peer!.sessions() === 0, 5_000, 'the AMI session to close');
    // the ban the scanner earned was written to dataDir on close
    expect(bansOnDisk(dir)).toContain('203.0.113.5');
  });

  it('stops with exit code 2 and a clear message when Asterisk refuses the login', async () => {
    peer = await startAmiPeer();
    const out = bufferOutput();
    const code = await runAsterisk(
      {
        configPath: config(peer.port, 'wrong-secret'),
        until: new Promise(() => {}),
        guardOptions: { logger: captureLogs().logger },
      },
      out,
    );
    expect(code).toBe(2);
    expect(out.stderr.join('\n')).toMatch(/Asterisk refused the manager login of "ghostguard"/);
  });

  it('refuses a configuration whose adapters.asterisk section is invalid, naming the key', async () => {
    const path = join(dir, 'bad.yaml');
    writeFileSync(path, 'adapters:\n  asterisk:\n    port: "x"\n    username: u\n    secret: s\n');
    await expect(runAsterisk({ configPath: path, until: Promise.resolve() }, bufferOutput())).rejects.toThrow(
      /adapters\.asterisk\.port/,
    );
  });
});
