/**
 * Test helper of @ghostguard/nftables (not for production): two network namespaces joined by a veth pair, so that
 * the bouncer's nft runs against a kernel of its own and never against the machine's ruleset. `server` is where
 * the table goes (the PBX's side), `edge` is where the scanners send from. Needs root and iproute2; when a
 * namespace cannot be made the promise rejects with GG_FIREWALL_NETNS and the output (no silent skip).
 *
 * Addresses (test-only ranges, inside the namespaces only): the server is 10.<n>.0.1/16 and fd00:<n>::1/48; the
 * edge gets the addresses a test asks for with {@link NetnsPair.addEdgeAddress} (10.<n>.x.y, fd00:<n>:…).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { FirewallError } from './errors.js';

const run = promisify(execFile);

export interface NetnsPair {
  /** Namespace names. */
  readonly server: string;
  readonly edge: string;
  /** The second octet of 10.x and the second group of fd00:x:: used by this pair. */
  readonly net: number;
  readonly serverV4: string;
  readonly serverV6: string;
  /**
   * The nft command for the server's namespace: attachFirewall's `command`. `nsenter --net=…` (util-linux) rather
   * than `ip netns exec`, which also remounts /sys for every run: measured here, that alone put a one-ban run's
   * p99 at 120–180 ms under load instead of ~10–20 ms.
   */
  readonly nft: readonly string[];
  /** Gives the edge one more source address (`10.<n>.5.7`, `fd00:<n>:0:5::7`). */
  addEdgeAddress(address: string): Promise<void>;
  /** Runs a command in a namespace (argv; resolves stdout, rejects on a non-zero exit). */
  exec(ns: string, argv: readonly string[], input?: string): Promise<string>;
  /** Deletes both namespaces (and so the veth pair and the table inside). Idempotent; never throws. */
  close(): Promise<void>;
}

let counter = 0;

async function ip(args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await run('ip', [...args], { timeout: 10_000 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new FirewallError('GG_FIREWALL_NETNS', `ip ${args.join(' ')}: ${(e.stderr ?? e.message).trim()}`, {
      cause: err,
    });
  }
}

/** Makes the pair; `net` (1–250) keeps concurrent pairs apart (default: from the pid). */
export async function createNetnsPair(net?: number): Promise<NetnsPair> {
  const n = net ?? 100 + ((process.pid + counter) % 150);
  const tag = `${process.pid % 100_000}${counter++}`;
  const server = `ggs${tag}`;
  const edge = `gge${tag}`;
  const vs = `ggvs${tag}`.slice(0, 15);
  const ve = `ggve${tag}`.slice(0, 15);
  const created: string[] = [];
  const close = async () => {
    for (const ns of created.splice(0)) await ip(['netns', 'del', ns]).catch(() => {});
  };
  try {
    for (const ns of [server, edge]) {
      await ip(['netns', 'add', ns]);
      created.push(ns);
      await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    await ip(['link', 'add', vs, 'netns', server, 'type', 'veth', 'peer', 'name', ve, 'netns', edge]);
    await ip(['-n', server, 'addr', 'add', `10.${n}.0.1/16`, 'dev', vs]);
    await ip(['-n', server, 'addr', 'add', `fd00:${n}::1/48`, 'dev', vs, 'nodad']);
    await ip(['-n', server, 'link', 'set', vs, 'up']);
    await ip(['-n', edge, 'link', 'set', ve, 'up']);
  } catch (err) {
    await close();
    throw err;
  }
  return {
    server,
    edge,
    net: n,
    serverV4: `10.${n}.0.1`,
    serverV6: `fd00:${n}::1`,
    nft: ['nsenter', `--net=/run/netns/${server}`, 'nft'],
    async addEdgeAddress(address: string) {
      const v6 = address.includes(':');
      await ip(['-n', edge, 'addr', 'add', `${address}/${v6 ? 48 : 16}`, 'dev', ve, ...(v6 ? ['nodad'] : [])]);
    },
    async exec(ns: string, argv: readonly string[], input?: string) {
      const child = run('ip', ['netns', 'exec', ns, ...argv], { timeout: 30_000, maxBuffer: 256 * 1024 * 1024 });
      if (input !== undefined) {
        child.child.stdin?.end(input);
      }
      return (await child).stdout;
    },
    close,
  };
}
