import { fileURLToPath } from 'node:url';
import { type ConfigInput, createGuard, type GhostguardConfig, loadConfigFile, type Verdict } from '@ghostguard/core';
import { TpktFramer } from '@ghostguard/core/h323';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyFirstMessage, type FirstMessage, judgeSetup } from './attempt.js';
import { afterRead } from './first-frame.js';
import { recordedOoh323Call } from './test-support/ooh323-call.js';
import { scannerSetups } from './test-support/scanner-setups.js';
import { mutateSetupAll, type SetupMutation, setupMutations } from './test-support/setup-mutations.js';

/**
 * Hostile input never buys a pass (issue 13): whatever a prober does to a scanner's SETUP (bytes after it, a
 * UUIE cut short, zeroed or with a bit flipped, an IE length that lies), what the gate cannot read whole is
 * refused, at or above the reject tier. Each mutant goes through the gate's own steps (afterRead,
 * classifyFirstMessage, judgeSetup) and is judged by a fresh guard, under the default config and the demo's.
 *
 * `GG_PADDING_RUNS=20000` runs the property that many times and prints what it saw.
 */

const REJECT_TIER = 50;
const RUNS = Number(process.env.GG_PADDING_RUNS ?? 2_500);
const SOURCE = { ip: '198.51.100.77', port: 40_000 };
/** The gate's default maxFirstBytes. */
const MAX = 16_384;

const demo: GhostguardConfig = loadConfigFile(
  fileURLToPath(new URL('../../../examples/demo/ghostguard.yaml', import.meta.url)),
);
const CONFIGS: ReadonlyArray<readonly [string, ConfigInput]> = [
  ['default config', { log: { level: 'silent' }, dataDir: null }],
  ['demo config', { ...demo, log: { level: 'silent' }, dataDir: null }],
];

/** What the gate makes of bytes arriving in one segment, up to the verdict. */
interface GateOutcome {
  /** undefined: the gate would not judge them (not a SETUP, not complete). */
  message: Exclude<FirstMessage, { kind: 'not-setup' }> | undefined;
  verdict: Verdict | undefined;
  /** ms spent decoding and judging (the guard made beforehand). */
  ms: number;
}

function throughGate(bytes: Uint8Array, config: ConfigInput): GateOutcome {
  const guard = createGuard(config);
  try {
    const t0 = performance.now();
    const raw = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    const first = afterRead(new TpktFramer({ maxFrameBytes: MAX }), raw, raw.length, () => raw, { maxBytes: MAX });
    if (first?.kind !== 'frame') return { message: undefined, verdict: undefined, ms: performance.now() - t0 };
    const time = Date.now();
    const message = classifyFirstMessage(first.payload, { source: SOURCE, time }, first.trailing);
    if (message.kind === 'not-setup') return { message: undefined, verdict: undefined, ms: performance.now() - t0 };
    const verdict = judgeSetup(guard, message, SOURCE, time);
    return { message, verdict, ms: performance.now() - t0 };
  } finally {
    guard.close();
  }
}

/** How the gate read a SETUP: every byte, in part (anomalies noted), or nothing past its header. */
function howRead(message: Exclude<FirstMessage, { kind: 'not-setup' }>): 'whole' | 'part' | 'header' {
  if (message.kind === 'undecodable-setup') return 'header';
  return message.attempt.anomalies === undefined ? 'whole' : 'part';
}

function vendorCode(message: FirstMessage | undefined): string | undefined {
  const v = message?.kind === 'setup' ? message.attempt.h323.vendor : undefined;
  return v === undefined ? undefined : `${v.t35CountryCode}/${v.t35Extension}/${v.manufacturerCode}`;
}

interface Case {
  label: string;
  frame: Uint8Array;
  configName: string;
  config: ConfigInput;
  /** The intact SETUP's verdict and vendor code under this config. */
  intactRefused: boolean;
  intactVendor: string | undefined;
}

function casesFor(configs: ReadonlyArray<readonly [string, ConfigInput]>): Case[] {
  return configs.flatMap(([configName, config]) =>
    scannerSetups().map((s) => {
      const intact = throughGate(s.frame, config);
      return {
        label: s.label,
        frame: s.frame,
        configName,
        config,
        intactRefused: intact.verdict !== undefined && intact.verdict.action !== 'allow',
        intactVendor: vendorCode(intact.message),
      };
    }),
  );
}

interface Tally {
  runs: number;
  whole: number;
  part: number;
  header: number;
  /** Mutants read in part or not at all and allowed anyway: must stay 0. */
  allowedUnread: number;
  /** Mutants read whole and allowed (a well-formed SETUP; only where the intact one is allowed, or claims another vendor). */
  allowedWhole: number;
  ms: number;
}

function newTally(): Tally {
  return { runs: 0, whole: 0, part: 0, header: 0, allowedUnread: 0, allowedWhole: 0, ms: 0 };
}

/** The property's body: throws (an expect failure) on a counterexample. */
function check(c: Case, ms: readonly SetupMutation[], tally: Tally): void {
  const out = throughGate(mutateSetupAll(c.frame, ms), c.config);
  tally.runs++;
  tally.ms += out.ms;
  // Every mutant keeps its SETUP header and a matching TPKT length: the gate always reaches a verdict.
  expect(out.message, 'the gate judges every mutant').toBeDefined();
  const verdict = out.verdict!;
  const read = howRead(out.message!);
  tally[read]++;
  if (read !== 'whole') {
    if (verdict.action === 'allow') tally.allowedUnread++;
    expect(verdict.action, `${c.configName}, ${c.label}: read in ${read}`).not.toBe('allow');
    expect(verdict.score).toBeGreaterThanOrEqual(REJECT_TIER);
    expect(verdict.reasons.map((r) => r.rule)).toContain('input.undecodable');
    return;
  }
  // Read whole: a well-formed SETUP, judged on what it says. Still refused when the intact one is, unless
  // the flip made it claim another H.221 vendor code (another tool, not a damaged one).
  if (verdict.action === 'allow') {
    tally.allowedWhole++;
    if (c.intactRefused) expect(vendorCode(out.message), `${c.configName}, ${c.label}`).not.toBe(c.intactVendor);
  }
}

function caseArb(cases: readonly Case[]): fc.Arbitrary<Case> {
  return fc.constantFrom(...cases);
}

function report(name: string, tally: Tally): void {
  if (process.env.GG_PADDING_RUNS === undefined) return;
  const us = (tally.ms * 1000) / tally.runs;
  console.log(
    `${name}: ${tally.runs} mutated SETUPs (read whole ${tally.whole}, in part ${tally.part}, header only ${tally.header}); ` +
      `allowed though not read whole: ${tally.allowedUnread}; allowed, read whole: ${tally.allowedWhole}; ` +
      `decode + judge ${us.toFixed(1)} µs per mutated SETUP (a fresh guard each, made beforehand)`,
  );
}

describe('monotonic under padding: what the gate cannot read whole is never let through', () => {
  const cases = casesFor(CONFIGS);

  it('knows which scanner SETUPs each config refuses intact (the demo config refuses them all)', () => {
    const refused = (config: string) => cases.filter((c) => c.configName === config && c.intactRefused).length;
    expect(refused('demo config')).toBe(scannerSetups().length);
    // The default config lets toll-fraud dials (40) and an IP-only destination (15) through on their own.
    expect(refused('default config')).toBe(5);
  });

  it(`holds for ${RUNS} mutated scanner SETUPs under the default and the demo config`, () => {
    const tally = newTally();
    fc.assert(
      fc.property(caseArb(cases), setupMutations, (c, ms) => check(c, ms, tally)),
      { numRuns: RUNS },
    );
    report('property', tally);
    expect(tally.allowedUnread).toBe(0);
    // The mutations mostly break the encoding; enough stay whole that that side is exercised too.
    expect(tally.part).toBeGreaterThan(tally.runs * 0.8);
    expect(tally.whole).toBeGreaterThan(0);
  });

  it('fails with a guard that does not score undecodable input (the property has teeth)', () => {
    const weakened = CONFIGS.map(([name, config]): readonly [string, ConfigInput] => [
      `${name}, input.undecodable weighing 0`,
      {
        ...config,
        rules: { ...(config.rules ?? {}), weights: { ...(config.rules?.weights ?? {}), 'input.undecodable': 0 } },
      },
    ]);
    const tally = newTally();
    const result = fc.check(
      fc.property(caseArb(casesFor(weakened)), setupMutations, (c, ms) => check(c, ms, tally)),
      { numRuns: 2_000 },
    );
    expect(result.failed).toBe(true);
    expect(String(result.errorInstance)).toMatch(/read in (part|header)/);
  });

  it('passes the recorded chan_ooh323 SETUP, read whole, under both configs', () => {
    for (const [, config] of CONFIGS) {
      const out = throughGate(recordedOoh323Call().setup, config);
      expect(out.message?.kind).toBe('setup');
      expect(howRead(out.message!)).toBe('whole');
      expect(out.verdict).toMatchObject({ action: 'allow', score: 0 });
    }
  });
});
