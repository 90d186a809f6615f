import type { BanInfo, Logger } from '@ghostguard/core';
import type { Redis } from 'ioredis';
import { type ConnectionRole, createConnection, describeTarget } from './connection.js';
import { type KeyNames, keyNames } from './keys.js';
import { decodeStoredBan } from './messages.js';
import type { ResolvedRedisBansOptions } from './options.js';
import {
  defineScripts,
  keepLongerBanCall,
  liftBanCall,
  liftResult,
  type ScriptClient,
  type ScriptPipeline,
  scriptPipeline,
  syncBlacklistCall,
  writeResult,
} from './scripts.js';
import {
  type BanLift,
  type BanWrite,
  type BatchResult,
  type BlacklistSet,
  chunks,
  type LiftResult,
  type SharedBanStore,
  type StoreListener,
  type WriteResult,
} from './store.js';

/**
 * The shared-ban store on Redis, standalone or Sentinel: `<prefix>ban:<ip>` keys holding the ban's JSON with its
 * TTL, `<prefix>lifted:<ip>` for lifts, the channel `<prefix>bans`, the Lua scripts of scripts.ts, and
 * optionally drachtio-server's blacklist set. Two connections: commands (auto-pipelined) and the subscriber.
 * `up` once both are ready and subscribed, `down` when either closes; both are PINGed every `pingInterval`
 * and dropped when they stop answering, so a silent network failure is noticed too.
 */
export function createRedisStore(o: ResolvedRedisBansOptions, logger: Logger): SharedBanStore {
  return new RedisBanStore(o, logger);
}

class RedisBanStore implements SharedBanStore {
  readonly target: string;
  readonly blacklist: BlacklistSet | undefined;
  private readonly names: KeyNames;
  private readonly client: ScriptClient;
  private readonly sub: Redis;
  private readonly ready: Record<ConnectionRole, boolean> = { commands: false, subscriber: false };
  private listener: StoreListener | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly o: ResolvedRedisBansOptions,
    private readonly logger: Logger,
  ) {
    this.target = describeTarget(o);
    this.names = keyNames(o.keyPrefix);
    this.client = defineScripts(createConnection(o, 'commands'));
    this.sub = createConnection(o, 'subscriber');
    const key = o.drachtioBlacklistKey;
    this.blacklist = key === undefined ? undefined : new RedisBlacklist(this.client, this.names, key);
  }

  open(listener: StoreListener): void {
    this.listener = listener;
    this.watch(this.client, 'commands', () => this.setReady('commands'));
    this.watch(this.sub, 'subscriber', () => this.subscribe());
    this.sub.on('message', (channel: string, payload: string) => {
      if (channel === this.names.channel) listener.message(payload);
    });
    this.pingTimer = setInterval(() => this.ping(), this.o.pingInterval);
    this.pingTimer.unref();
    // connect() rejects when the first attempt fails; the retry strategy keeps trying and 'ready' reports success.
    this.client.connect().catch(() => {});
    this.sub.connect().catch(() => {});
  }

  // ------------------------------------------------------------------------------------------------------------
  // Connections

  private watch(conn: Redis, role: ConnectionRole, onReady: () => void): void {
    // Without an 'error' listener ioredis' errors would be unhandled: every one is expected here (refused,
    // reset, timed out) and the state change is what gets logged.
    conn.on('error', (err: Error) => {
      if (!this.closed) this.listener?.error(role, err.message);
    });
    conn.on('ready', () => {
      if (!this.closed) onReady();
    });
    conn.on('close', () => {
      this.ready[role] = false;
      if (!this.closed) this.listener?.down(role);
    });
    conn.on('reconnecting', () => this.listener?.reconnecting());
  }

  private setReady(role: ConnectionRole): void {
    this.ready[role] = true;
    if (this.ready.commands && this.ready.subscriber) this.listener?.up();
  }

  private subscribe(): void {
    this.sub.subscribe(this.names.channel).then(
      () => {
        if (!this.closed) this.setReady('subscriber');
      },
      (err: Error) => {
        if (this.closed) return;
        // Subscribed nowhere means deaf to other nodes: drop the link and let the retry strategy reconnect.
        this.logger.warn(
          { event: 'shared-store-subscribe-failed', code: 'GG_REDIS_SUBSCRIBE_FAILED', err: err.message },
          'could not subscribe; reconnecting',
        );
        this.sub.disconnect(true);
      },
    );
  }

  /** A link that stops answering (no RST, no FIN) is dropped so the reconnect logic notices it. */
  private ping(): void {
    for (const [conn, role] of [
      [this.client, 'commands'],
      [this.sub, 'subscriber'],
    ] as const) {
      if (conn.status !== 'ready') continue;
      conn.ping().catch((err: Error) => {
        if (this.closed || conn.status !== 'ready') return;
        this.logger.debug({ event: 'shared-store-ping-failed', connection: role, err: err.message }, 'ping failed');
        conn.disconnect(true);
      });
    }
  }

  // ------------------------------------------------------------------------------------------------------------
  // Operations

  async writeBan(w: BanWrite): Promise<WriteResult> {
    return writeResult(await this.client.ggKeepLongerBan(...keepLongerBanCall(this.names, this.blacklist?.key, w)));
  }

  async writeBans(writes: readonly BanWrite[]): Promise<Array<BatchResult<WriteResult>>> {
    const p = scriptPipeline(this.client);
    for (const w of writes) p.ggKeepLongerBan(...keepLongerBanCall(this.names, this.blacklist?.key, w));
    return (await run(p)).map(([err, value]) => err ?? writeResult(value));
  }

  async liftBan(l: BanLift): Promise<LiftResult> {
    return liftResult(await this.client.ggLiftBan(...liftBanCall(this.names, this.blacklist?.key, l)));
  }

  async liftBans(lifts: readonly BanLift[]): Promise<Array<BatchResult<LiftResult>>> {
    const p = scriptPipeline(this.client);
    for (const l of lifts) p.ggLiftBan(...liftBanCall(this.names, this.blacklist?.key, l));
    return (await run(p)).map(([err, value]) => err ?? liftResult(value));
  }

  /** SCAN pages, MGET per slice of `pageSize`: an empty page after each SCAN, so the caller may stop before the MGET. */
  async *scanBans(pageSize: number): AsyncIterable<ReadonlyArray<BanInfo | undefined>> {
    let cursor = '0';
    do {
      const [next, keys] = await this.client.scan(cursor, 'MATCH', this.names.banPattern, 'COUNT', pageSize);
      cursor = next;
      yield [];
      for (const page of chunks(keys, pageSize)) {
        const values = await this.client.mget(...page);
        const bans: Array<BanInfo | undefined> = [];
        page.forEach((key, i) => {
          const value = values[i];
          if (value === null || value === undefined) return; // expired or lifted between SCAN and MGET
          const ban = decodeStoredBan(value, this.o.maxMessageBytes);
          bans.push(ban !== undefined && this.names.ipOf(key) === ban.ip ? ban : undefined);
        });
        yield bans;
      }
    } while (cursor !== '0');
  }

  async publish(message: string): Promise<void> {
    await this.client.publish(this.names.channel, message);
  }

  async close(drained?: Promise<unknown>): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.pingTimer !== undefined) clearInterval(this.pingTimer);
    // Writes in flight get their answer or their timeout (commandTimeout), not more.
    await drained;
    this.ready.commands = false;
    this.ready.subscriber = false;
    await Promise.allSettled([quit(this.client), quit(this.sub)]);
  }
}

class RedisBlacklist implements BlacklistSet {
  constructor(
    private readonly client: ScriptClient,
    private readonly names: KeyNames,
    readonly key: string,
  ) {}

  sync(ips: readonly string[], now: number): Promise<number> {
    return this.client.ggSyncBlacklist(...syncBlacklistCall(this.names, this.key, ips, now));
  }

  async *members(pageSize: number): AsyncIterable<readonly string[]> {
    let cursor = '0';
    do {
      const [next, members] = await this.client.sscan(this.key, cursor, 'COUNT', pageSize);
      cursor = next;
      const pages = chunks(members, pageSize);
      if (pages.length === 0) yield [];
      for (const page of pages) yield page;
    } while (cursor !== '0');
  }
}

/** Runs a pipeline; returns each command's result, with errors in place (exec itself rejects when the link fails). */
async function run(p: ScriptPipeline): Promise<Array<[Error | null, unknown]>> {
  return ((await p.exec()) ?? []) as Array<[Error | null, unknown]>;
}

/** QUIT when connected (lets Redis finish what it has), otherwise just stop reconnecting. */
async function quit(conn: Redis): Promise<void> {
  if (conn.status === 'ready') {
    try {
      await conn.quit();
      return;
    } catch {
      // fall through to a hard disconnect
    }
  }
  conn.disconnect(false);
}
