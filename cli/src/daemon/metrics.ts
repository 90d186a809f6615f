import type { BanInfo, BanOrigin, CallAttempt, Guard, Verdict } from '@ghostguard/core';
import { Counter, collectDefaultMetrics, Gauge, type Metric, Registry } from 'prom-client';
import { JudgeHistogram } from './judge-histogram.js';
import { VerdictTally } from './verdict-tally.js';

/**
 * What an adapter did with the calls it handled, apart from the guard's verdicts: an allowed H.323 call with no
 * room system to go to is a verdict `allow` but an outcome `no-route`; connections closed before any SETUP have
 * no verdict at all. Read from each running component's counters (its health) under these names.
 */
export const OUTCOME_FIELDS: ReadonlyArray<readonly [field: string, outcome: string]> = [
  ['relayed', 'relayed'],
  ['noRoute', 'no-route'],
  ['upstreamErrors', 'upstream-error'],
  ['closedWithoutVerdict', 'closed-before-setup'],
];

/** A component as the metrics see it: up or not, and its counters (for the outcomes) when it reports them. */
export interface ComponentState {
  name: string;
  up: boolean;
  health?: Record<string, unknown>;
}

/** judge() takes about a microsecond on the ban fast path and tens of microseconds on a full evaluation. */
export const JUDGE_BUCKETS = [1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2];

/**
 * The daemon's Prometheus metrics, in a registry of its own (never prom-client's global one). Lives as long
 * as the daemon: counters survive config reloads and restarts of the metrics endpoint. Verdicts are counted
 * in flat arrays on the hot path and read into prom-client when scraped.
 */
export class DaemonMetrics {
  readonly registry = new Registry();
  private guard: Guard | undefined;
  private detachGuard: (() => void) | undefined;
  private readonly tally = new VerdictTally();
  private readonly judgeSeconds = new JudgeHistogram(
    'ghostguard_judge_seconds',
    'Time spent in guard.judge() per call attempt',
    JUDGE_BUCKETS,
  );
  private readonly bansTotal: Counter<'origin'>;
  private componentStates: () => ReadonlyArray<ComponentState> = () => [];

  constructor() {
    const registers = [this.registry];
    const tally = this.tally;
    const self = this;
    collectDefaultMetrics({ register: this.registry });
    new Counter({
      name: 'ghostguard_verdicts_total',
      help: 'Verdicts by enforced action, intended action (differs in monitor mode), protocol and adapter; what the adapter then did is ghostguard_call_outcomes_total',
      labelNames: ['action', 'intended', 'protocol', 'adapter'],
      registers,
      collect() {
        this.reset();
        for (const [labels, n] of tally.verdictCounts()) this.inc(labels, n);
      },
    });
    new Counter({
      name: 'ghostguard_verdict_reasons_total',
      help: 'Rules that contributed to a verdict, by rule id (ids past the cardinality cap count as other)',
      labelNames: ['rule'],
      registers,
      collect() {
        this.reset();
        for (const [rule, n] of tally.reasonCounts()) this.inc({ rule }, n);
      },
    });
    // Not a prom-client Histogram (see judge-histogram.ts); the registry only calls get() and reset().
    this.registry.registerMetric(this.judgeSeconds as unknown as Metric);
    this.bansTotal = new Counter({
      name: 'ghostguard_bans_total',
      help: 'Bans made: by this node (local) or merged from elsewhere (replica)',
      labelNames: ['origin'],
      registers,
    });
    new Gauge({
      name: 'ghostguard_component_up',
      help: '1 when the daemon component (adapter, endpoint, store) runs and is healthy, 0 when it is down',
      labelNames: ['component'],
      registers,
      collect() {
        // Only configured components: one removed by a reload disappears rather than reading as an outage.
        this.reset();
        for (const c of self.componentStates()) this.set({ component: c.name }, c.up ? 1 : 0);
      },
    });
    new Counter({
      name: 'ghostguard_call_outcomes_total',
      help: 'What adapters did with calls apart from verdicts: relayed, no-route (allowed, nowhere to go), upstream-error, closed-before-setup (no verdict); since the component started',
      labelNames: ['adapter', 'outcome'],
      registers,
      collect() {
        this.reset();
        for (const c of self.componentStates()) {
          const h = c.health;
          if (h === undefined) continue;
          for (const [field, outcome] of OUTCOME_FIELDS) {
            const n = h[field];
            if (typeof n === 'number' && Number.isFinite(n)) this.inc({ adapter: c.name, outcome }, n);
          }
        }
      },
    });
    new Gauge({
      name: 'ghostguard_tarpits_active',
      help: 'Call attempts held in a tarpit now',
      registers,
      collect() {
        if (self.guard) this.set(self.guard.tarpits.inUse);
      },
    });
    new Gauge({
      name: 'ghostguard_bans_active',
      help: 'Active bans',
      registers,
      collect() {
        if (self.guard) this.set(self.guard.stats().bans);
      },
    });
    new Gauge({
      name: 'ghostguard_feed_entries',
      help: 'Addresses and networks on each reputation feed (APIBAN, blocklist files)',
      labelNames: ['feed'],
      registers,
      collect() {
        this.reset();
        for (const f of self.guard?.feeds.list() ?? []) this.set({ feed: f.name }, f.entries);
      },
    });
    new Gauge({
      name: 'ghostguard_feed_age_seconds',
      help: 'Seconds since each reputation feed was last updated (its freshness)',
      labelNames: ['feed'],
      registers,
      collect() {
        this.reset();
        const now = Date.now();
        for (const f of self.guard?.feeds.list() ?? [])
          this.set({ feed: f.name }, Math.max(0, (now - f.updatedAt) / 1000));
      },
    });
    // The kernel bouncer (firewall component), read from its health while it runs (0 when it does not).
    const firewall = (): Record<string, unknown> | undefined =>
      self.componentStates().find((c) => c.name === 'firewall')?.health;
    const firewallNumber = (field: string): number | undefined => {
      const v = firewall()?.[field];
      return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
    };
    new Gauge({
      name: 'ghostguard_firewall_elements',
      help: 'Addresses and prefixes the kernel bouncer holds in its nftables sets now',
      registers,
      collect() {
        this.reset();
        const n = firewallNumber('elements');
        if (n !== undefined) this.set(n);
      },
    });
    new Counter({
      name: 'ghostguard_firewall_sync_errors_total',
      help: 'nft runs of the kernel bouncer that failed (missing nft, no CAP_NET_ADMIN, refused batch, timeout); since the component started',
      registers,
      collect() {
        this.reset();
        const n = firewallNumber('syncErrors');
        if (n !== undefined) this.inc(n);
      },
    });
    new Gauge({
      name: 'ghostguard_firewall_last_sync_seconds',
      help: "Unix time of the kernel bouncer's last successful nft run (0 before the first)",
      registers,
      collect() {
        this.reset();
        const n = firewallNumber('lastSyncAt');
        if (n !== undefined) this.set(n / 1000);
      },
    });
    new Gauge({
      name: 'ghostguard_rooms',
      help: 'Room systems on file (registered, declared by adapters, static)',
      registers,
      collect() {
        if (self.guard) this.set(self.guard.rooms.size);
      },
    });
  }

  /** Starts counting the guard's verdicts and bans (and timing judge(), which only happens while attached). */
  attach(guard: Guard): void {
    if (this.guard === guard) return;
    this.detach();
    const onVerdict = (attempt: CallAttempt, verdict: Verdict, timing: { seconds: number }): void => {
      this.tally.count(attempt, verdict);
      this.judgeSeconds.observe(timing.seconds);
    };
    const onBan = (_ban: BanInfo, origin: BanOrigin): void => {
      this.bansTotal.inc({ origin: origin === 'replica' ? 'replica' : 'local' });
    };
    guard.on('verdict', onVerdict);
    guard.on('ban', onBan);
    this.guard = guard;
    this.detachGuard = () => {
      guard.off('verdict', onVerdict);
      guard.off('ban', onBan);
    };
  }

  detach(): void {
    this.detachGuard?.();
    this.detachGuard = undefined;
    this.guard = undefined;
  }

  /**
   * Where ghostguard_component_up and ghostguard_call_outcomes_total are read from at each scrape (the daemon's
   * supervisor: its status(), with each component's counters).
   */
  watchComponents(states: () => ReadonlyArray<ComponentState>): void {
    this.componentStates = states;
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
