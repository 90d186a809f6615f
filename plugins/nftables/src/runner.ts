import { spawn } from 'node:child_process';
import { FirewallError } from './errors.js';

/**
 * Runs nft once: `args` after the configured command, `input` on its stdin (a batch for `-f -`). Resolves with
 * stdout; rejects with a FirewallError (missing program, no permission, refused, timeout). A fake runner in the
 * unit tests records the scripts instead.
 */
export type NftRunner = (args: readonly string[], input?: string) => Promise<string>;

/** What nft wrote to stderr is kept up to this many characters in error messages. */
const MAX_ERROR_TEXT = 600;
/** stdout above this is refused (a listing of 1M elements is ~70 MB; more means something else is wrong). */
const MAX_STDOUT = 256 * 1024 * 1024;

/**
 * One process per run (nft's own netlink batching makes a run of 10,000 elements one transaction): `nft -f -` is
 * atomic, the program is the distribution's (no netlink code of our own to keep in step with the kernel), and
 * a crash of nft costs one run. Measured here (nft 1.0.6, Linux 6.18): a run adding one element costs ~3 ms,
 * one adding 100,000 ~330 ms.
 */
export function spawnRunner(command: readonly string[], timeoutMs: number): NftRunner {
  const [program, ...lead] = command;
  if (program === undefined) throw new FirewallError('GG_FIREWALL_NFT_MISSING', 'firewall.command is empty');
  return (args, input) =>
    new Promise<string>((resolve, reject) => {
      let settled = false;
      const finish = (err: Error | undefined, out?: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        err ? reject(err) : resolve(out ?? '');
      };
      const child = spawn(program, [...lead, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      let outBytes = 0;
      let errText = '';
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        finish(
          new FirewallError(
            'GG_FIREWALL_TIMEOUT',
            `${describe(command, args)} took longer than ${timeoutMs} ms (killed)`,
          ),
        );
      }, timeoutMs);
      child.stdout.on('data', (chunk: Buffer) => {
        outBytes += chunk.length;
        if (outBytes > MAX_STDOUT) {
          child.kill('SIGKILL');
          finish(new FirewallError('GG_FIREWALL_LIST_INVALID', `${describe(command, args)}: output too large`));
          return;
        }
        out.push(chunk);
      });
      child.stderr.on('data', (chunk: Buffer) => {
        if (errText.length < MAX_ERROR_TEXT * 4) errText += chunk.toString('utf8');
      });
      child.on('error', (err: NodeJS.ErrnoException) => {
        finish(
          err.code === 'ENOENT' || err.code === 'EACCES'
            ? new FirewallError(
                'GG_FIREWALL_NFT_MISSING',
                `cannot run ${JSON.stringify(program)} (${err.code}): install nftables or set firewall.command`,
                { cause: err },
              )
            : new FirewallError('GG_FIREWALL_REJECTED', `${describe(command, args)}: ${err.message}`, { cause: err }),
        );
      });
      child.on('close', (code, signal) => {
        if (code === 0) return finish(undefined, Buffer.concat(out).toString('utf8'));
        finish(classify(command, args, code, signal, errText));
      });
      // A child that died at once closes stdin under us: EPIPE is reported by 'close' above.
      child.stdin.on('error', () => {});
      child.stdin.end(input ?? '');
    });
}

function describe(command: readonly string[], args: readonly string[]): string {
  return [...command, ...args].join(' ');
}

function classify(
  command: readonly string[],
  args: readonly string[],
  code: number | null,
  signal: NodeJS.Signals | null,
  stderr: string,
): FirewallError {
  const text = stderr.trim().slice(0, MAX_ERROR_TEXT);
  const how = code === null ? `killed by ${signal}` : `exit ${code}`;
  // nft's own words for EPERM from netlink (no CAP_NET_ADMIN); `ip netns exec` says the same without root.
  if (/Operation not permitted/i.test(text)) {
    return new FirewallError(
      'GG_FIREWALL_NO_PERMISSION',
      `${describe(command, args)}: ${how}: ${text} (the daemon needs CAP_NET_ADMIN)`,
    );
  }
  // `ip netns exec ns nft` when nft is missing inside: exec fails in the child with this text.
  if (/No such file or directory/.test(text) && /exec of .* failed/.test(text)) {
    return new FirewallError('GG_FIREWALL_NFT_MISSING', `${describe(command, args)}: ${text}`);
  }
  return new FirewallError('GG_FIREWALL_REJECTED', `${describe(command, args)}: ${how}: ${text || '(no output)'}`);
}
