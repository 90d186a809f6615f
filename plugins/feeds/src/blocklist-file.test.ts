import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGuard } from '@ghostguard/core';
import { sipAttempt, waitUntil } from '@ghostguard/core/testing';
import { describe, expect, it } from 'vitest';
import { attachFeeds } from './attach.js';
import { parseBlocklist } from './blocklist-file.js';

describe('blocklist files', () => {
  it('reads one address or CIDR per line with comments and blank lines', () => {
    expect(
      parseBlocklist('# scanners\n203.0.113.7\r\n\n198.51.100.0/24 ; hosting range\n  2001:db8::/32  # v6\n'),
    ).toEqual(['203.0.113.7', '198.51.100.0/24', '2001:db8::/32']);
  });

  it('keeps the file in the guard, reloads it when it changes, and keeps the last good list when it goes away', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gg-blocklist-'));
    const path = join(dir, 'blocklist.txt');
    writeFileSync(path, '203.0.113.7\nnot-an-address\n');
    const guard = createGuard({ log: { level: 'silent' } });
    const feeds = attachFeeds(guard, { files: [{ name: 'office', path, pollInterval: '100ms' }] });
    const action = (ip: string) => guard.judge(sipAttempt({ source: { ip, port: 5060, transport: 'udp' } })).action;
    try {
      expect(action('203.0.113.7')).toBe('drop');
      expect(feeds.health().files[0]).toMatchObject({ entries: 1, invalid: 1 });
      writeFileSync(path, '198.51.100.0/24\n203.0.113.99\n');
      await waitUntil(() => action('198.51.100.5') === 'drop');
      expect(action('203.0.113.7')).toBe('allow');
      rmSync(path);
      await waitUntil(() => feeds.health().files[0]?.lastError !== undefined);
      expect(action('198.51.100.5')).toBe('drop');
    } finally {
      await feeds.close();
      guard.close();
    }
  });

  it('rejects a bad feeds section with the full key path', () => {
    const guard = createGuard({ log: { level: 'silent' } });
    try {
      expect(() => attachFeeds(guard, { files: [{ name: 'x', path: '/tmp/x', pollInterval: 'soon' }] })).toThrow(
        /feeds\.files\.0\.pollInterval/,
      );
    } finally {
      guard.close();
    }
  });
});
