/**
 * ghostguard benchmarks: `pnpm bench` runs every scenario, each in its own child process (clean heap
 * and JIT state), and prints one table; `pnpm bench heap latency` runs only the named ones, in-process.
 */
import { fork } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { renderNotes, renderTable, type ScenarioResult } from './harness.js';
import { SCENARIOS, type ScenarioName } from './scenarios.js';

const CHILD_FLAG = 'GG_BENCH_CHILD';
const names = Object.keys(SCENARIOS) as ScenarioName[];

function isScenario(s: string): s is ScenarioName {
  return (names as string[]).includes(s);
}

/** Scenarios may be synchronous (the guard) or asynchronous (anything on a socket). */
async function runHere(name: ScenarioName): Promise<ScenarioResult> {
  const t0 = performance.now();
  const r = await SCENARIOS[name]();
  return { scenario: name, ...r, seconds: (performance.now() - t0) / 1000 };
}

function runChild(name: ScenarioName): Promise<ScenarioResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [name], {
      env: { ...process.env, [CHILD_FLAG]: '1' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result: ScenarioResult | undefined;
    child.on('message', (m) => {
      result = m as ScenarioResult;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (result && code === 0) resolve(result);
      else reject(new Error(`scenario ${name} exited with code ${code}`));
    });
  });
}

function header(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return [
    `ghostguard bench — node ${process.version} (${process.arch}), V8 ${process.versions.v8}`,
    `CPU: ${cpu} (${os.cpus().length} logical CPUs; the guard is single-threaded), ${os.platform()} ${os.release()}`,
  ].join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (process.env[CHILD_FLAG] === '1') {
    const name = args[0];
    if (name === undefined || !isScenario(name)) throw new Error(`unknown scenario ${name}`);
    const result = await runHere(name);
    await new Promise<void>((done) => process.send!(result, () => done()));
    return;
  }
  const unknown = args.filter((a) => !isScenario(a));
  if (unknown.length > 0) {
    console.error(`unknown scenario: ${unknown.join(', ')}\nusage: pnpm bench [${names.join('|')} ...]`);
    process.exitCode = 2;
    return;
  }
  console.log(header());
  const t0 = performance.now();
  const results: ScenarioResult[] = [];
  if (args.length > 0) {
    for (const name of args as ScenarioName[]) {
      console.log(`running ${name} …`);
      results.push(await runHere(name));
    }
  } else {
    for (const name of names) {
      console.log(`running ${name} (child process) …`);
      results.push(await runChild(name));
    }
  }
  console.log(`\n${renderTable(results)}\n\n${renderNotes(results)}`);
  console.log(`\ntotal ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

await main();
