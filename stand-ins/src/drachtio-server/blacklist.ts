import { connect, type Socket } from 'node:net';

/**
 * drachtio-server's Redis blacklist, as v0.9.10 has it (drachtio/drachtio-server at v0.9.10 and at the newest
 * commit, 9c2dd4cb6a: src/blacklist.cpp, src/blacklist.hpp, src/controller.cpp). Read, not guessed:
 * - `--blacklist-redis-address`/`-port` (6379 when only the address is given)/`-key`/`-password`, or
 *   `--blacklist-redis-sentinels` + `-master`; `--blacklist-refresh-secs` is parsed (300 when 0) but
 *   `Blacklist::threadFunc` never sleeps for it: the thread runs `SMEMBERS <key>` once the server starts
 *   (`DrachtioController::run`), and **stops after the first query that succeeds** (`if (initialized) break;`), an
 *   empty or missing set included. A query that fails (Redis down, wrong password, not a set) is retried every 60 s
 *   (`if (!initialized) interval = 60;`). So the set is read once per drachtio-server start: an address added later is
 *   not seen until drachtio-server restarts, and one removed later stays blacklisted until then.
 * - membership is an exact string match of the source address as `su_inet_ntop` prints it
 *   (`isBlackListed(host)`: `m_ips.find(srcAddress)`; `getSourceAddressForMsg`, src/drachtio.cpp): `192.0.2.1`,
 *   `2001:db8::1`; no CIDR, no port.
 * - what a blacklisted source's message gets: `DrachtioController::processMessageStatelessly` (every message that
 *   matches no transaction and no dialog) returns -1 before anything else (before the sanity check's 400, the 503
 *   for unrouted methods, the 481 for an unknown dialog, the transaction, the 100 Trying and the app), so it gets no
 *   answer at all and the app never hears of it; only a debug line is logged (`__sofiasip_logger_func`).
 *   Retransmissions of a transaction and requests inside a dialog that exists are handled by the stack before that
 *   point and are not checked (they cannot come from a source blacklisted at start, which never got a transaction).
 */
export interface BlacklistOptions {
  /** `--blacklist-redis-address` (default 127.0.0.1) and `--blacklist-redis-port` (default 6379). */
  address?: string;
  port?: number;
  /** `--blacklist-redis-key`: the Redis set of addresses. */
  key: string;
  /** `--blacklist-redis-password`: sent with AUTH before SMEMBERS. */
  password?: string;
  /** `--blacklist-refresh-secs`: accepted and, as in v0.9.10, never used. */
  refreshSecs?: number;
  /** Wait after a failed query, ms: 60 s in v0.9.10 (tests shorten it). */
  retryMs?: number;
}

export interface BlacklistState {
  /** The first query succeeded (since the last start): the set below is what the server enforces until restart. */
  loaded: boolean;
  size: number;
  /** SMEMBERS queries sent since the stand-in started (over all restarts), and how many failed. */
  queries: number;
  failures: number;
}

/** The part of drachtio-server that holds the set and its one-shot loader. */
export class Blacklist {
  private ips = new Set<string>();
  private loaded = false;
  private queries = 0;
  private failures = 0;
  private retry: NodeJS.Timeout | undefined;
  private generation = 0;
  private socket: Socket | undefined;

  constructor(private readonly options: BlacklistOptions) {}

  /** A (re)start of drachtio-server: the set is empty until the first query succeeds. */
  start(): void {
    this.stop();
    this.ips = new Set();
    this.loaded = false;
    this.query(++this.generation);
  }

  stop(): void {
    this.generation++;
    if (this.retry) clearTimeout(this.retry);
    this.retry = undefined;
    this.socket?.destroy();
    this.socket = undefined;
  }

  has(address: string): boolean {
    return this.ips.has(address);
  }

  state(): BlacklistState {
    return { loaded: this.loaded, size: this.ips.size, queries: this.queries, failures: this.failures };
  }

  private query(generation: number): void {
    this.queries++;
    const o = this.options;
    const commands: string[][] = [];
    if (o.password) commands.push(['AUTH', o.password]);
    commands.push(['SMEMBERS', o.key]);
    const socket = connect({ host: o.address ?? '127.0.0.1', port: o.port ?? 6379 });
    this.socket = socket;
    const replies: Reply[] = [];
    let buffered = Buffer.alloc(0);
    let settled = false;
    const done = (members: string[] | undefined): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      if (generation !== this.generation) return;
      if (members === undefined) {
        this.failures++;
        this.retry = setTimeout(() => this.query(generation), o.retryMs ?? 60_000);
        this.retry.unref();
        return;
      }
      this.ips = new Set(members);
      this.loaded = true; // and never queried again until the next start
    };
    socket.on('connect', () => socket.write(commands.map(encodeCommand).join('')));
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const parsed = parseReply(buffered, 0);
        if (parsed === undefined) return;
        replies.push(parsed.reply);
        buffered = buffered.subarray(parsed.end);
        if (replies.length < commands.length) continue;
        const auth = o.password ? replies[0] : undefined;
        const last = replies[replies.length - 1]!;
        if (auth?.error || last.error || !Array.isArray(last.value)) done(undefined);
        else done(last.value.filter((m): m is string => typeof m === 'string'));
        return;
      }
    });
    socket.on('error', () => done(undefined));
    socket.on('close', () => done(undefined));
  }
}

interface Reply {
  error: boolean;
  value: string | Array<string | null> | number | null;
}

function encodeCommand(args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

/** One RESP2 reply from `at`, or undefined when more bytes are needed. */
function parseReply(buf: Buffer, at: number): { reply: Reply; end: number } | undefined {
  const nl = buf.indexOf('\r\n', at);
  if (nl === -1) return undefined;
  const type = String.fromCharCode(buf[at]!);
  const line = buf.toString('utf8', at + 1, nl);
  switch (type) {
    case '+':
      return { reply: { error: false, value: line }, end: nl + 2 };
    case '-':
      return { reply: { error: true, value: line }, end: nl + 2 };
    case ':':
      return { reply: { error: false, value: Number(line) }, end: nl + 2 };
    case '$': {
      const len = Number(line);
      if (len < 0) return { reply: { error: false, value: null }, end: nl + 2 };
      if (buf.length < nl + 2 + len + 2) return undefined;
      return { reply: { error: false, value: buf.toString('utf8', nl + 2, nl + 2 + len) }, end: nl + 2 + len + 2 };
    }
    case '*': {
      const n = Number(line);
      const items: Array<string | null> = [];
      let end = nl + 2;
      for (let i = 0; i < n; i++) {
        const item = parseReply(buf, end);
        if (item === undefined) return undefined;
        items.push(typeof item.reply.value === 'string' ? item.reply.value : null);
        end = item.end;
      }
      return { reply: { error: false, value: n < 0 ? null : items }, end };
    }
    default:
      return { reply: { error: true, value: line }, end: nl + 2 };
  }
}
