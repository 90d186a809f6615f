import type { StoreState } from './link-state.js';
import type { RejectKind } from './messages.js';
import type { ReconcileReport } from './reconcile.js';
import type { ReplicationCounters } from './replication.js';
import type { SharedReportsHealth } from './report-sharing.js';

export type { SharedReportsHealth } from './report-sharing.js';

/** A snapshot of the attachment: `stats()` (and `health()`, its older name). */
export interface RedisBansStats extends ReplicationCounters {
  state: StoreState;
  /** ms since the epoch of the last state change. */
  since: number;
  nodeId: string;
  /** Where it connects (never the credentials). */
  target: string;
  lastError: string | undefined;
  /** Times the store became unreachable. */
  outages: number;
  /** Writes sent and not answered yet (bounded by maxPendingWrites). */
  inFlight: number;
  /** Manual removals waiting for the store to come back, and those forgotten past the bound. */
  pendingRemovals: number;
  droppedRemovals: number;
  /** Messages from other nodes received (valid or not; what they changed: `merged`, `removed`). */
  received: number;
  /** Messages ignored, by why (hostile or broken payloads are never thrown). */
  ignored: Record<RejectKind, number>;
  reconciles: number;
  /** Reconnect attempts scheduled, over every connection. */
  reconnects: number;
  lastReconcile: ReconcileReport | undefined;
  /** Failures reported by the PBX, shared between nodes (fire-and-forget: none is replayed after an outage). */
  reports: SharedReportsHealth;
}

/** The name of {@link RedisBansStats} before the adapter contract. */
export type RedisBansHealth = RedisBansStats;
