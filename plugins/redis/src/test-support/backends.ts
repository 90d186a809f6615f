/**
 * The two store backends behind one face, so that one table of behaviour tests runs against both: a real
 * redis-server (one per file, a key prefix per test) and an in-memory hub (one per test).
 */
import type { BanInfo, ConfigInput } from '@ghostguard/core';
import { MemoryBanHub } from '../memory-hub.js';
import type { RedisBansOptions } from '../options.js';
import { startRedisServer, type TestRedisServer } from '../testing.js';
import { inspector, startMemoryNode, startNode, type TestNode } from './nodes.js';

export interface Backend {
  readonly name: string;
  /** Before the file's tests (a Redis starts) and after them. */
  setup(): Promise<void>;
  teardown(): Promise<void>;
  /** Before each test: a fresh key space. */
  fresh(): void;
  /** A node (guard + attachment) on this backend's store; `blacklistKey` keeps a blacklist set in step. */
  node(nodeId: string, config?: ConfigInput, options?: RedisBansOptions, blacklistKey?: string): TestNode;
  /** The store goes away for every node. */
  outage(): Promise<void>;
  /** It comes back empty, as a Redis without persistence does. */
  restore(): Promise<void>;
  /** The ban the store holds on `ip` (undefined once expired or lifted). */
  stored(ip: string): Promise<BanInfo | undefined>;
  /** When the store remembers a lift of `ip` by hand. */
  liftedAt(ip: string): Promise<number | undefined>;
  members(blacklistKey: string): Promise<string[]>;
  /** Publishes `payload` on the channel, as another (or a hostile) publisher. */
  publish(payload: string): Promise<void>;
}

export function redisBackend(): Backend {
  let server: TestRedisServer | undefined;
  let n = 0;
  const prefix = () => `c${n}:`;
  const r = () => inspector(server!.url);
  return {
    name: 'redis',
    async setup() {
      server = await startRedisServer();
    },
    async teardown() {
      await server?.stop();
    },
    fresh() {
      n++;
    },
    node: (nodeId, config = {}, options = {}, blacklistKey) =>
      startNode(server!.url, nodeId, config, {
        keyPrefix: prefix(),
        ...(blacklistKey === undefined ? {} : { drachtioBlacklistKey: `${prefix()}${blacklistKey}` }),
        ...options,
      }),
    outage: () => server!.kill(),
    restore: () => server!.restart(),
    async stored(ip) {
      const value = await r().get(`${prefix()}ban:${ip}`);
      return value === null ? undefined : (JSON.parse(value) as BanInfo);
    },
    async liftedAt(ip) {
      const value = await r().get(`${prefix()}lifted:${ip}`);
      return value === null ? undefined : Number(value);
    },
    members: async (key) => (await r().smembers(`${prefix()}${key}`)).sort(),
    async publish(payload) {
      await r().publish(`${prefix()}bans`, payload);
    },
  };
}

export function memoryBackend(): Backend {
  let hub = new MemoryBanHub();
  return {
    name: 'memory',
    setup: async () => {},
    teardown: async () => {},
    fresh() {
      hub = new MemoryBanHub();
    },
    node: (nodeId, config = {}, options = {}, blacklistKey) =>
      startMemoryNode(hub, nodeId, config, options, blacklistKey),
    outage: async () => hub.down(),
    async restore() {
      hub.clear();
      hub.up();
    },
    stored: async (ip) => hub.get(ip),
    liftedAt: async (ip) => hub.liftedAt(ip),
    members: async (key) => hub.members(key),
    publish: async (payload) => hub.publish(payload),
  };
}
