import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isUp, roomCall, scannerAttempt, startNode } from './test-support/nodes.js';
import { startRedisServer, type TestRedisServer, waitUntil } from './testing.js';

let master: TestRedisServer;
let sentinel: TestRedisServer;
beforeAll(async () => {
  master = await startRedisServer();
  sentinel = await startRedisServer({ sentinel: { masterName: 'gg-master', masterPort: master.port } });
});
afterAll(async () => {
  await sentinel?.stop();
  await master?.stop();
});

describe('through Redis Sentinel', () => {
  it('two nodes that find the master through a sentinel share a ban', async () => {
    const options = { sentinels: [{ host: '127.0.0.1', port: sentinel.port }], name: 'gg-master' };
    const a = startNode('redis://unused', 'node-a', {}, options);
    const b = startNode('redis://unused', 'node-b', {}, options);
    await waitUntil(() => isUp(a) && isUp(b), 15_000, 'both nodes up via the sentinel');
    expect(a.shared.health().target).toBe(`sentinel gg-master via 127.0.0.1:${sentinel.port}`);
    const ip = '198.51.100.77';
    a.guard.judge(scannerAttempt(ip));
    await waitUntil(() => b.guard.bans.get(ip) !== undefined, 5_000, 'the ban on B');
    expect(b.guard.judge(roomCall(ip)).action).not.toBe('allow');
  });
});
