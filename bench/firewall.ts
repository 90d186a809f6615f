/**
 * The kernel bouncer (@ghostguard/nftables) against the real nft and kernel, inside a network namespace made
 * here (never the machine's own ruleset; `ip netns exec <ns> nft` is the command, so every run also pays the
 * namespace switch, which a production `nft` does not):
 * 1. ban → kernel set latency, one ban at a time: from guard.bans.add() to the nft run holding it having
 *    committed (the element is in the kernel set when nft exits);
 * 2. a burst of 10,000 bans made in one go: until the last is in the kernel, and how many nft runs it took;
 * 3. reconcile of 100,000 bans on start: attachFirewall() on a guard holding 100,000 bans, until `ready` (table
 *    made, listed, every element added); then again with the table already full (a restart: list and diff).
 * Every figure is checked against `nft list set` at the end of its step.
 *
 * The plugin is imported by relative path: the root package does not depend on `@ghostguard/nftables`.
 */
import { execFileSync } from 'node:child_process';
import { createGuard, type Guard } from '@ghostguard/core';
import { attachFirewall, type Firewall, type NftRunner, spawnRunner } from '../plugins/nftables/src/index.js';
import { createNetnsPair, type NetnsPair } from '../plugins/nftables/src/testing.js';
import { fmt, percentile, type Row, type ScenarioResult } from './harness.js';

const LATENCY_BANS = 300;
const BURST = 10_000;
const RECONCILE = 100_000;
const TABLE = 'ggbench';

function address(i: number): string {
  return `10.${100 + ((i >> 16) & 127)}.${(i >> 8) & 255}.${i & 255}`;
}

function newGuard(): Guard {
  // aggregate.after 0: every address stays a ban of its own (the figures are per element).
  return createGuard({
    log: { level: 'silent' },
    dataDir: null,
    bans: { aggregate: { after: 0 }, maxBans: 1_000_000 },
  });
}

function kernelCount(pair: NetnsPair, set: string): number {
  const out = execFileSync('ip', ['netns', 'exec', pair.server, 'nft', '-j', 'list', 'set', 'inet', TABLE, set], {
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
  });
  const items = (JSON.parse(out) as { nftables: Array<{ set?: { elem?: unknown[] } }> }).nftables;
  return items.find((i) => i.set !== undefined)?.set?.elem?.length ?? 0;
}

/**
 * nft through a runner that tells when each run ended: a waiter looks at the bouncer right after each run
 * instead of polling (a busy poll would take a core from the nft process it waits for).
 */
function watchedRunner(pair: NetnsPair): { runner: NftRunner; ran: Array<() => void> } {
  const base = spawnRunner(pair.nft, 30_000);
  const ran: Array<() => void> = [];
  const runner: NftRunner = async (args, input) => {
    const out = await base(args, input);
    // after the bouncer's own continuation (which records what the run put in the kernel)
    setImmediate(() => {
      for (const f of ran.splice(0)) f();
    });
    return out;
  };
  return { runner, ran };
}

/** Resolves with the time at which `fw` says `ip` is in the kernel (checked once after each nft run). */
function inKernel(fw: Firewall, ran: Array<() => void>, ip: string, timeoutMs = 30_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = () => {
      if (fw.inKernel(ip)) resolve(performance.now());
      else if (performance.now() > deadline) reject(new Error(`${ip} not in the kernel after ${timeoutMs} ms`));
      else ran.push(check);
    };
    check();
  });
}

async function latency(pair: NetnsPair, notes: string[]): Promise<Row[]> {
  const guard = newGuard();
  const { runner, ran } = watchedRunner(pair);
  const fw = attachFirewall(guard, { table: TABLE, reconcileEvery: 0 }, runner);
  await fw.ready;
  const times: number[] = [];
  for (let i = 0; i < LATENCY_BANS; i++) {
    const ip = address(i);
    const t0 = performance.now();
    guard.bans.add(ip, { reason: 'bench', ttl: 600_000 });
    times.push((await inKernel(fw, ran, ip)) - t0);
  }
  const inSet = kernelCount(pair, 'ban4');
  notes.push(
    `${inSet === LATENCY_BANS ? 'check ok' : 'CHECK FAILED'} (latency): ${inSet} of ${LATENCY_BANS} bans in the kernel set, ${fw.stats().runs} nft runs, ${fw.stats().syncErrors} errors`,
  );
  const burst = await burstOf(guard, fw, ran, pair, notes);
  await fw.close();
  guard.close();
  times.sort((a, b) => a - b);
  return [
    {
      name: 'ban → kernel set, one at a time, p99',
      value: percentile(times, 99),
      unit: 'ms',
      goal: { kind: 'max', value: 50 },
      note: `p50 ${fmt(percentile(times, 50))} ms, max ${fmt(times.at(-1)!)} ms over ${LATENCY_BANS} bans, each awaited before the next`,
    },
    burst,
  ];
}

async function burstOf(
  guard: Guard,
  fw: Firewall,
  ran: Array<() => void>,
  pair: NetnsPair,
  notes: string[],
): Promise<Row> {
  const runs0 = fw.stats().runs;
  const t0 = performance.now();
  for (let i = 0; i < BURST; i++) guard.bans.add(address(LATENCY_BANS + i), { reason: 'burst', ttl: 600_000 });
  const made = performance.now() - t0;
  let done = t0;
  for (let i = 0; i < BURST; i++) done = Math.max(done, await inKernel(fw, ran, address(LATENCY_BANS + i)));
  const ms = done - t0;
  const runs = fw.stats().runs - runs0;
  const inSet = kernelCount(pair, 'ban4');
  notes.push(
    `${inSet === LATENCY_BANS + BURST ? 'check ok' : 'CHECK FAILED'} (burst): ${inSet} of ${LATENCY_BANS + BURST} in the kernel set`,
  );
  return {
    name: `burst of ${BURST.toLocaleString('en-US')} bans → kernel`,
    value: ms,
    unit: 'ms',
    goal: { kind: 'max', value: 1_000 },
    note: `${runs} nft runs; ${fmt(made)} ms of it making the bans in the guard`,
  };
}

async function reconcile(pair: NetnsPair, notes: string[]): Promise<Row[]> {
  const guard = newGuard();
  for (let i = 0; i < RECONCILE; i++) guard.bans.add(address(i), { reason: 'on file', ttl: 3_600_000 });
  const rows: Row[] = [];
  for (const label of ['empty table', 'table already full (restart)']) {
    const t0 = performance.now();
    const fw = attachFirewall(guard, { command: [...pair.nft], table: TABLE, reconcileEvery: 0 });
    await fw.ready;
    const ms = performance.now() - t0;
    const s = fw.stats();
    await fw.close();
    const inSet = kernelCount(pair, 'ban4');
    notes.push(
      `${inSet === RECONCILE ? 'check ok' : 'CHECK FAILED'} (reconcile, ${label}): ${inSet} of ${RECONCILE} in the kernel set, ${s.runs} nft runs, ${s.added} added`,
    );
    rows.push({
      name: `reconcile of ${RECONCILE.toLocaleString('en-US')} bans on start, ${label}`,
      value: ms,
      unit: 'ms',
      goal: { kind: 'max', value: 5_000 },
      note: `${s.runs} nft runs (structure, listing, batches of up to 20,000)`,
    });
  }
  guard.close();
  return rows;
}

export async function firewall(): Promise<Omit<ScenarioResult, 'seconds' | 'scenario'>> {
  const notes: string[] = [];
  const pair = await createNetnsPair();
  try {
    const rows = [...(await latency(pair, notes))];
    execFileSync('ip', ['netns', 'exec', pair.server, 'nft', 'delete', 'table', 'inet', TABLE]);
    rows.push(...(await reconcile(pair, notes)));
    notes.push(
      `nft ${execFileSync('nft', ['--version'], { encoding: 'utf8' }).trim()}, run as ${pair.nft.join(' ')} (a namespace made for the bench)`,
    );
    return { rows, notes };
  } finally {
    await pair.close();
  }
}
