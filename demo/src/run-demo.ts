import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import {
  analyzeFile,
  emptyActions,
  type JudgedAttempt,
  type Output,
  renderTable,
  sourceTable,
  totals,
} from '@ghostguard/cli';
import { createGuard, createLogger, loadConfigFile } from '@ghostguard/core';
import { runAnalyzeH323Demo } from './analyze-h323.js';
import { runLiveAsteriskDemo } from './live-asterisk.js';
import { runLiveDrachtioDemo } from './live-drachtio.js';
import { runLiveFreeswitchDemo } from './live-freeswitch.js';
import { runLiveH323Demo } from './live-h323.js';
import { DEMO_CONFIG } from './recordings.js';
import { DEMO_SCENARIOS, type DemoScenario } from './scenarios.js';

interface ScenarioResult {
  scenario: DemoScenario;
  judged: JudgedAttempt[];
  bans: number;
}

function runScenario(scenario: DemoScenario, configPath: string): ScenarioResult {
  const config = { ...loadConfigFile(configPath), dataDir: null };
  // Each recording is its own story (they all come from 127.0.0.1): a fresh guard per scenario.
  const guard = createGuard(config, { logger: createLogger({ log: { level: 'silent' } }) });
  let bans = 0;
  guard.on('ban', () => {
    bans++;
  });
  try {
    const judged = scenario.files.flatMap((f) => analyzeFile(f, guard).judged);
    return { scenario, judged, bans };
  } finally {
    guard.close();
  }
}

function scenarioRows(results: readonly ScenarioResult[], lastColumn: (r: ScenarioResult) => number) {
  return results.map((r) => {
    const t = totals(r.judged);
    return [r.scenario.title, r.judged.length, t.allow, t.reject, t.drop, t.tarpit, lastColumn(r)];
  });
}

/** `pnpm demo`: the guard over the bundled recordings, with a readable account of what it did. Returns the exit code. */
export async function runDemo(opts: { configPath?: string | undefined }, out: Output): Promise<number> {
  const configPath = opts.configPath ?? DEMO_CONFIG;
  const missing = DEMO_SCENARIOS.flatMap((s) => s.files).filter((f) => !existsSync(f));
  if (missing.length > 0) {
    out.error(`demo: recordings missing from the installed package: ${missing.join(', ')}`);
    return 2;
  }
  const results = DEMO_SCENARIOS.map((s) => runScenario(s, configPath));
  const scanners = results.filter((r) => r.scenario.kind === 'scanner');
  const legit = results.filter((r) => r.scenario.kind === 'legitimate');
  const ghosts = results.filter((r) => r.scenario.kind === 'ghost');
  const allowedCount = (r: ScenarioResult) => r.judged.filter((j) => j.verdict.intended === 'allow').length;
  const blockedCount = (r: ScenarioResult) => r.judged.length - allowedCount(r);

  out.line('ghostguard demo: the detection core run over recorded traffic, no PBX needed');
  out.line(`config: ${relative(process.cwd(), configPath) || configPath}\n`);
  out.line('Scanner traffic (real SIPVicious 0.3.3 runs, recorded on loopback)');
  out.line(
    renderTable(
      ['scenario', 'attempts', 'allow', 'reject', 'drop', 'tarpit', 'reached a room'],
      scenarioRows(scanners, allowedCount),
    ),
  );
  out.line(
    '\nLegitimate traffic (a real baresip UA, hand-written Cisco/Poly/Lifesize rooms, a bridge dialling 30 rooms)',
  );
  out.line(
    renderTable(
      ['scenario', 'attempts', 'allow', 'reject', 'drop', 'tarpit', 'blocked'],
      scenarioRows(legit, blockedCount),
    ),
  );

  out.line(
    '\nGhost calls that look like real calls (no scanner marker: a softphone User-Agent, a normal SDP; ten INVITEs at one room each)',
  );
  out.line(
    renderTable(
      ['caller', 'attempts', 'allow', 'reject', 'drop', 'tarpit', 'reached a room'],
      scenarioRows(ghosts, allowedCount),
    ),
  );

  out.line('\nPer source, all scenarios (each scenario judged by a fresh guard)');
  out.line(
    sourceTable(
      results.flatMap((r) => r.judged),
      2,
    ),
  );

  const sum = (rs: readonly ScenarioResult[], f: (r: ScenarioResult) => number) => rs.reduce((n, r) => n + f(r), 0);
  const all = results.flatMap((r) => r.judged);
  const t = all.length ? totals(all) : emptyActions();
  out.line('');
  for (const l of (await runAnalyzeH323Demo(configPath)).lines) out.line(l);
  out.line('');
  const live = await runLiveH323Demo(configPath);
  for (const l of live.lines) out.line(l);
  out.line('');
  const sip = await runLiveDrachtioDemo(configPath);
  for (const l of sip.lines) out.line(l);
  out.line('');
  const ast = await runLiveAsteriskDemo(configPath);
  for (const l of ast.lines) out.line(l);
  out.line('');
  const fs = await runLiveFreeswitchDemo(configPath);
  for (const l of fs.lines) out.line(l);
  const reached =
    sum(scanners, allowedCount) +
    live.scannerReachedRoom +
    sip.scannerReachedApp +
    ast.scannerReachedRoom +
    fs.scannerReachedRoom;
  const blocked =
    sum(legit, blockedCount) +
    (live.legitSetups - live.legitReachedRoom) +
    (sip.legitRequests - sip.legitReachedApp) +
    (ast.legitCalls - ast.legitReachedRoom) +
    (fs.legitCalls - fs.legitReachedRoom);

  out.line(
    '\nTotals (recordings replayed through the core, and the live H.323, drachtio, Asterisk and FreeSWITCH parts)',
  );
  out.line(
    `  recorded attempts judged: ${all.length}  (allowed ${t.allow}, rejected ${t.reject}, dropped ${t.drop}, tarpitted ${t.tarpit})`,
  );
  out.line(`  bans set: ${sum(results, (r) => r.bans)}`);
  out.line(
    `  scanner attempts: ${sum(scanners, (r) => r.judged.length) + live.scannerSetups + sip.scannerRequests + ast.scannerCalls + fs.scannerCalls}; would have reached a room system: ${reached}${reached === 0 ? ' (goal: 0)' : '  <-- goal is 0'}`,
  );
  const ghostReached = sum(ghosts, allowedCount);
  const ghostCallers = ghosts.length;
  const ghostGoalMet = ghosts.every((r) => allowedCount(r) * 10 <= r.judged.length);
  out.line(
    `  ghost calls that look like real calls: ${sum(ghosts, (r) => r.judged.length)} from ${ghostCallers} callers; reached a room: ${ghostReached}${ghostGoalMet ? ' (goal: at most 1 in 10 per caller)' : '  <-- goal is at most 1 in 10 per caller'}`,
  );
  out.line(
    `  legitimate attempts: ${sum(legit, (r) => r.judged.length) + live.legitSetups + sip.legitRequests + ast.legitCalls + fs.legitCalls}; blocked: ${blocked}${blocked === 0 ? ' (goal: 0)' : '  <-- goal is 0'}`,
  );
  out.line(
    '\nNext: `pnpm ghostguard analyze <capture.pcap>` on your own traffic; README.md says how to attach the guard to a PBX.',
  );
  return 0;
}
