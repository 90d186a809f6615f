import type { CallAttempt, Guard } from '@ghostguard/core';
/** Measurement helpers and the result table. */

export interface Goal {
  /** `min`: the value must reach the goal (throughput); `max`: it must stay at or below it (latency, memory). */
  kind: 'min' | 'max';
  value: number;
  /** Shown instead of the number when the goal is not a plain threshold. */
  label?: string;
}

export interface Row {
  name: string;
  value: number;
  unit: string;
  goal?: Goal;
  /** Shown under the table. */
  note?: string;
}

export interface ScenarioResult {
  scenario: string;
  rows: Row[];
  /** Sanity checks and context, printed under the table. */
  notes: string[];
  seconds: number;
}

/** Keeps results observable so the JIT cannot drop judge calls. */
export const sink = { n: 0 };

/** Judges every attempt of `batch`; the sum of reason counts keeps the calls observable. */
export function judgeAll(guard: Guard, batch: readonly CallAttempt[]): number {
  let acc = 0;
  for (let i = 0; i < batch.length; i++) acc += guard.judge(batch[i]!).reasons.length;
  return acc;
}

/** Runs `batch` once and returns judge calls per second. */
export function timedRun(guard: Guard, batch: readonly CallAttempt[]): number {
  const t0 = performance.now();
  sink.n += judgeAll(guard, batch);
  return (batch.length / (performance.now() - t0)) * 1000;
}

export function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (!g) throw new Error('run with --expose-gc (pnpm bench does)');
  g();
  g();
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Nearest-rank percentile of an already sorted array (p in 0..100). */
export function percentile(sorted: Float64Array | readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function spread(xs: readonly number[], digits = 0): string {
  const f = (x: number) => fmt(x, digits);
  return `reps ${xs.map(f).join(' / ')}`;
}

export function fmt(x: number, digits?: number): string {
  if (!Number.isFinite(x)) return String(x);
  const d = digits ?? (Math.abs(x) >= 100 ? 0 : Math.abs(x) >= 10 ? 1 : 2);
  return x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}

function status(r: Row): { status: string; ratio: string; goal: string } {
  if (!r.goal) return { status: 'info', ratio: '', goal: '' };
  const g = r.goal;
  const goal = g.label ?? `${g.kind === 'min' ? '>=' : '<='} ${fmt(g.value)}`;
  const pass = g.kind === 'min' ? r.value >= g.value : r.value <= g.value;
  // Ratio > 1 always means "better than the goal by that factor".
  const ratio = g.kind === 'min' ? r.value / g.value : g.value / r.value;
  return { status: pass ? 'PASS' : 'MISS', ratio: `${ratio.toFixed(ratio >= 10 ? 0 : ratio >= 1 ? 2 : 3)}x`, goal };
}

export function renderTable(results: readonly ScenarioResult[]): string {
  const header = ['scenario', 'measurement', 'value', 'unit', 'goal', 'status', 'vs goal'];
  const body: string[][] = [];
  for (const res of results) {
    for (const r of res.rows) {
      const s = status(r);
      body.push([res.scenario, r.name, fmt(r.value), r.unit, s.goal, s.status, s.ratio]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const right = new Set([2, 6]);
  const line = (cells: string[]) =>
    cells.map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)];
  return out.join('\n');
}

export function renderNotes(results: readonly ScenarioResult[]): string {
  const out: string[] = [];
  for (const res of results) {
    out.push(`[${res.scenario}] (${res.seconds.toFixed(1)} s)`);
    for (const r of res.rows) if (r.note) out.push(`  ${r.name}: ${r.note}`);
    for (const n of res.notes) out.push(`  ${n}`);
  }
  return out.join('\n');
}
