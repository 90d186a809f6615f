import { connect } from 'node:net';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  admin,
  daemonConfig,
  startRoom,
  startTestDaemon,
  TOKEN,
  tempDir,
  WAIT_MS,
  writeConfig,
} from './test-support/daemon-harness.js';

/** Sends raw bytes to the admin port and resolves with whatever comes back before the server closes. */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    let got = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error('no close from the admin endpoint'));
    }, WAIT_MS);
    s.on('data', (b) => {
      if (got.length < 65_536) got += b.toString('latin1');
    });
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
    s.on('connect', () => s.end(bytes));
  });
}

describe('admin endpoint under hostile input', () => {
  it('answers any JSON body for POST /v1/bans with 201 or a typed 4xx, never a 500, and keeps serving', async () => {
    const dir = tempDir();
    const room = await startRoom();
    const { daemon, log } = await startTestDaemon(writeConfig(join(dir, 'gg.yaml'), daemonConfig(dir, room)));
    const body = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.record(
        {
          ip: fc.oneof(fc.ipV4(), fc.ipV6(), fc.string({ maxLength: 80 }), fc.integer()),
          reason: fc.oneof(fc.string({ maxLength: 600 }), fc.constant(''), fc.integer()),
          ttl: fc.oneof(fc.integer(), fc.double(), fc.constantFrom('1h', '0', '-1s', '99999d', 'x', '1e400')),
        },
        { requiredKeys: [] },
      ),
    );
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const r = await admin(daemon, 'POST', '/v1/bans', { rawBody: JSON.stringify(b) ?? 'null' });
        if (r.status === 201) return;
        expect([400, 409]).toContain(r.status);
        expect(r.body).toEqual({ error: { code: expect.stringMatching(/^GG_ADMIN_/), message: expect.any(String) } });
      }),
      { numRuns: 150 },
    );
    expect(log.find('admin-error')).toEqual([]);
    expect((await admin(daemon, 'GET', '/v1/stats')).status).toBe(200);
  });

  it('survives garbage, oversized headers and unknown paths on the raw socket', async () => {
    const dir = tempDir();
    const room = await startRoom();
    const { daemon } = await startTestDaemon(writeConfig(join(dir, 'gg.yaml'), daemonConfig(dir, room)));
    const port = daemon.addresses.admin!.port;
    const auth = `Authorization: Bearer ${TOKEN}\r\n`;
    const answers = await Promise.all([
      raw(port, '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http at all'),
      raw(port, `GET /v1/bans HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`),
      raw(port, `GET /v1/bans/${'%41'.repeat(200)} HTTP/1.1\r\nHost: x\r\n${auth}Connection: close\r\n\r\n`),
      raw(port, `GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n${auth}Connection: close\r\n\r\n`),
      raw(port, `POST /v1/bans HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 99999999\r\n\r\n{`),
    ]);
    expect(answers[0]).toMatch(/^HTTP\/1\.1 400/);
    expect(answers[1]).toMatch(/^HTTP\/1\.1 431/);
    expect(answers[2]).toMatch(/^HTTP\/1\.1 400/);
    expect(answers[3]).toMatch(/^HTTP\/1\.1 404/);
    expect(answers[4]).toMatch(/^HTTP\/1\.1 413/);
    expect((await admin(daemon, 'GET', '/v1/bans')).status).toBe(200);
  });
});
