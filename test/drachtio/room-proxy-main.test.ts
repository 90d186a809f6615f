import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBanSink } from '@ghostguard/drachtio';
import { buildRequest, SipUdpAgent, waitUntil } from '@ghostguard/drachtio/testing';
import { startDrachtioServerPeer } from '@ghostguard/stand-ins/drachtio-server';
import { afterEach, describe, expect, it } from 'vitest';
import { runRoomProxy } from '../../examples/drachtio-room-proxy/src/index.js';
import { EXAMPLE_CONFIG } from './support/room-proxy.js';

const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

/** The example's files in a temp dir: its ghostguard.yaml (made quiet) and an accounts file. */
function exampleFiles(): { config: string; accounts: string } {
  const dir = mkdtempSync(join(tmpdir(), 'gg-room-proxy-'));
  closers.push(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'ghostguard.yaml');
  writeFileSync(config, `${readFileSync(EXAMPLE_CONFIG, 'utf8')}\nlog: { level: silent }\n`);
  const accounts = join(dir, 'accounts.json');
  writeFileSync(accounts, JSON.stringify({ 'room-a': 'secret' }));
  return { config, accounts };
}

describe('examples/drachtio-room-proxy main', () => {
  it('runs from its config files and answers through the drachtio-server stand-in', async () => {
    const peer = await startDrachtioServerPeer({ secret: 'main-secret' });
    closers.push(() => peer.close());
    const files = exampleFiles();
    const running = await runRoomProxy([files.config, files.accounts], {
      DRACHTIO_SECRET: 'main-secret',
      DRACHTIO_HOST: peer.host,
      DRACHTIO_PORT: String(peer.adminPort),
    });
    closers.push(running.stop);
    await peer.waitForRoutes(['invite', 'register', 'options']);
    const ua = await SipUdpAgent.open();
    closers.push(() => ua.close());
    const callId = `main-${Date.now()}`;
    ua.send(
      buildRequest({
        method: 'OPTIONS',
        uri: 'sip:video.example.com',
        from: { address: ua.address, port: ua.port },
        callId,
      }),
      peer.sipPort,
    );
    await waitUntil(() => ua.responsesFor(callId).some((r) => r.status === 200), 10_000, 'the 200');
  });

  it('mirrors the guard bans into a ban sink (the drachtio-server blacklist set)', async () => {
    const peer = await startDrachtioServerPeer({ secret: 'main-secret' });
    closers.push(() => peer.close());
    const files = exampleFiles();
    const sink = new MemoryBanSink();
    const running = await runRoomProxy(
      [files.config, files.accounts],
      { DRACHTIO_SECRET: 'main-secret', DRACHTIO_HOST: peer.host, DRACHTIO_PORT: String(peer.adminPort) },
      sink,
    );
    closers.push(running.stop);
    await peer.waitForRoutes(['register']);
    const scanner = await SipUdpAgent.open('127.0.0.9');
    closers.push(() => scanner.close());
    scanner.send(
      buildRequest({
        method: 'REGISTER',
        uri: 'sip:127.0.0.1',
        from: { address: scanner.address, port: scanner.port },
        fromUri: 'sip:100@127.0.0.1',
        userAgent: 'friendly-scanner',
      }),
      peer.sipPort,
    );
    await waitUntil(() => sink.has('127.0.0.9'), 10_000, 'the mirrored ban');
    running.guard.bans.remove('127.0.0.9');
    expect(sink.has('127.0.0.9')).toBe(false);
  });

  it('a refused connection to drachtio-server is logged, not thrown out of the process', async () => {
    // A port that was free a moment ago: nothing listens there.
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((r) => server.close(() => r()));
    const files = exampleFiles();
    const running = await runRoomProxy([files.config, files.accounts], {
      DRACHTIO_SECRET: 'x',
      DRACHTIO_HOST: '127.0.0.1',
      DRACHTIO_PORT: String(port),
    });
    const errors: Error[] = [];
    running.srf.on('error', (err: Error) => errors.push(err));
    // drachtio-srf retries with back-off; each refusal is an 'error' event the example handles.
    await waitUntil(() => errors.length >= 2, 10_000, 'two refused connections');
    expect(errors[0]?.message).toMatch(/ECONNREFUSED/);
    running.stop();
  });

  it('refuses to start without a secret or with a bad accounts file', async () => {
    const files = exampleFiles();
    await expect(runRoomProxy([files.config, files.accounts], {})).rejects.toThrow(/DRACHTIO_SECRET/);
    writeFileSync(files.accounts, '["room-a"]');
    await expect(runRoomProxy([files.config, files.accounts], { DRACHTIO_SECRET: 'x' })).rejects.toThrow(/username/);
  });
});
