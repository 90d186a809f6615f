import type { ChainableCommander, Redis } from 'ioredis';
import type { KeyNames } from './keys.js';
import type { BanLift, BanWrite, LiftResult, WriteResult } from './store.js';

/**
 * Server-side steps that must not interleave with another node's: each runs atomically in Redis. Key counts
 * vary (the drachtio blacklist set is optional), so every command takes `numkeys` first.
 * (`until` is a Lua keyword, hence `obj['until']`.)
 */

/**
 * KEYS: ban key, lifted key [, blacklist set]. ARGV: ban JSON, until, ttl ms, channel, message, ip, since.
 * Writes the ban unless the stored one ends at least as late (racing nodes never shorten a ban), keeps the
 * blacklist set in step either way, and publishes only what it wrote. Returns 1 when written, 0 when a longer
 * ban was kept, -1 when the ban was lifted by hand after it began (the lifted key holds when): not written.
 */
const KEEP_LONGER_BAN = `
local lifted = tonumber(redis.call('GET', KEYS[2]) or '')
if lifted and lifted >= tonumber(ARGV[7]) then return -1 end
local cur = redis.call('GET', KEYS[1])
if cur then
  local ok, obj = pcall(cjson.decode, cur)
  if ok and type(obj) == 'table' and type(obj['until']) == 'number' and obj['until'] >= tonumber(ARGV[2]) then
    if KEYS[3] then redis.call('SADD', KEYS[3], ARGV[6]) end
    return 0
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
if KEYS[3] then redis.call('SADD', KEYS[3], ARGV[6]) end
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1
`;

/**
 * KEYS: ban key, lifted key [, blacklist set]. ARGV: channel, message, ip, removedAt, conditional ('1'/'0'),
 * lifted ttl ms. Lifts a ban everywhere and remembers when (the lifted key), so that a node that still holds the
 * ban and pushes it back later is told it was lifted. Conditional (a removal replayed after an outage): a ban
 * that began after removedAt is newer news and stays. Returns 1 when lifted, 0 when a newer ban was kept.
 */
const LIFT_BAN = `
local cur = redis.call('GET', KEYS[1])
if cur and ARGV[5] == '1' then
  local ok, obj = pcall(cjson.decode, cur)
  if ok and type(obj) == 'table' and type(obj['since']) == 'number' and obj['since'] > tonumber(ARGV[4]) then
    return 0
  end
end
redis.call('DEL', KEYS[1])
local prev = tonumber(redis.call('GET', KEYS[2]) or '')
if not prev or prev < tonumber(ARGV[4]) then redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[6]) end
if KEYS[3] then redis.call('SREM', KEYS[3], ARGV[3]) end
redis.call('PUBLISH', ARGV[1], ARGV[2])
return 1
`;

/**
 * KEYS: blacklist set, ban key 1..n. ARGV: now (ms), member 1..n. Puts each address in drachtio-server's
 * blacklist set when its stored ban runs past `now` and takes it out otherwise (no key, a ban already over but
 * not yet expired by Redis, or a value that is not a ban), atomically with the check: a ban set or lifted
 * meanwhile by another node cannot leave a stale member behind. Returns how many members changed.
 */
const SYNC_BLACKLIST = `
local changed = 0
local now = tonumber(ARGV[1])
for i = 2, #ARGV do
  local live = false
  local cur = redis.call('GET', KEYS[i])
  if cur then
    local ok, obj = pcall(cjson.decode, cur)
    live = ok and type(obj) == 'table' and type(obj['until']) == 'number' and obj['until'] > now
  end
  if live then
    changed = changed + redis.call('SADD', KEYS[1], ARGV[i])
  else
    changed = changed + redis.call('SREM', KEYS[1], ARGV[i])
  end
end
return changed
`;

interface ScriptCommands<R> {
  ggKeepLongerBan(numKeys: number, ...keysAndArgs: Array<string | number>): R;
  ggLiftBan(numKeys: number, ...keysAndArgs: Array<string | number>): R;
  ggSyncBlacklist(numKeys: number, ...keysAndArgs: Array<string | number>): R;
}
export type ScriptClient = Redis & ScriptCommands<Promise<number>>;
export type ScriptPipeline = ChainableCommander & ScriptCommands<ScriptPipeline>;

/** Registers the scripts on a connection (ioredis sends EVALSHA and falls back to EVAL after a server restart). */
export function defineScripts(client: Redis): ScriptClient {
  client.defineCommand('ggKeepLongerBan', { lua: KEEP_LONGER_BAN });
  client.defineCommand('ggLiftBan', { lua: LIFT_BAN });
  client.defineCommand('ggSyncBlacklist', { lua: SYNC_BLACKLIST });
  return client as ScriptClient;
}

export function scriptPipeline(client: ScriptClient): ScriptPipeline {
  return client.pipeline() as ScriptPipeline;
}

/** numkeys followed by keys and arguments, as the scripts above take them. */
export type ScriptCall = [numKeys: number, ...keysAndArgs: Array<string | number>];

function keysFor(names: KeyNames, blacklistKey: string | undefined, ip: string): string[] {
  const keys = [names.ban(ip), names.lifted(ip)];
  if (blacklistKey !== undefined) keys.push(blacklistKey);
  return keys;
}

/** KEEP_LONGER_BAN's arguments for one write. */
export function keepLongerBanCall(names: KeyNames, blacklistKey: string | undefined, w: BanWrite): ScriptCall {
  const keys = keysFor(names, blacklistKey, w.ban.ip);
  const { ip, since, until } = w.ban;
  return [
    keys.length,
    ...keys,
    JSON.stringify(w.ban),
    String(until),
    String(w.ttl),
    names.channel,
    w.announce,
    ip,
    String(since),
  ];
}

/** LIFT_BAN's arguments for one lift. */
export function liftBanCall(names: KeyNames, blacklistKey: string | undefined, l: BanLift): ScriptCall {
  const keys = keysFor(names, blacklistKey, l.ip);
  const conditional = l.conditional ? '1' : '0';
  return [keys.length, ...keys, names.channel, l.announce, l.ip, String(l.removedAt), conditional, String(l.remember)];
}

/** SYNC_BLACKLIST's arguments: the membership of `ips` in line with their stored bans as of `now`. */
export function syncBlacklistCall(
  names: KeyNames,
  blacklistKey: string,
  ips: readonly string[],
  now: number,
): ScriptCall {
  return [1 + ips.length, blacklistKey, ...ips.map((ip) => names.ban(ip)), String(now), ...ips];
}

/** What KEEP_LONGER_BAN answers: 1 written, 0 a longer ban kept, -1 lifted by hand after it began. */
export function writeResult(answer: unknown): WriteResult {
  return answer === 1 ? 'written' : answer === -1 ? 'lifted' : 'kept-longer';
}

/** What LIFT_BAN answers: 1 lifted, 0 a newer ban kept. */
export function liftResult(answer: unknown): LiftResult {
  return answer === 1 ? 'lifted' : 'kept-newer';
}
