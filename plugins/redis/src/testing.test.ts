import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startRedisServer } from './testing.js';

function answers(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    let got = '';
    s.on('error', (err) => resolve(`error: ${(err as NodeJS.ErrnoException).code}`));
    s.on('connect', () => s.write('CONFIG GET save\r\nCONFIG GET appendonly\r\n'));
    s.on('data', (c) => {
      got += c.toString();
      if ((got.match(/\r\n/g) ?? []).length >= 10) {
        s.destroy();
        resolve(got);
      }
    });
  });
}

describe('the test redis-server', () => {
  it('runs on a random loopback port without persistence, dies, restarts on the same port, and stops', async () => {
    const server = await startRedisServer();
    try {
      expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
      const config = await answers(server.port);
      expect(config).toContain('$4\r\nsave\r\n$0\r\n\r\n');
      expect(config).toContain('appendonly\r\n$2\r\nno');
      await server.kill();
      expect(server.running).toBe(false);
      expect(await answers(server.port)).toBe('error: ECONNREFUSED');
      await server.restart();
      expect(server.running).toBe(true);
      expect(await answers(server.port)).toContain('appendonly');
    } finally {
      await server.stop();
    }
    expect(server.running).toBe(false);
    await expect(server.restart()).rejects.toThrow(/stopped/);
  });

  it('names the binary when it cannot start one', async () => {
    await expect(startRedisServer({ bin: '/nonexistent/redis-server' })).rejects.toThrow(/nonexistent/);
  });
});
