import type { GhostguardConfig, Guard, Logger } from '@ghostguard/core';

/**
 * What calls meet while a component is down, stated in every log line about it:
 * `fail-open` calls pass unguarded, `fail-closed` calls are refused (nothing answers on the gate's port),
 * `no-calls` no call goes through it (admin, metrics).
 */
export type DownEffect = 'fail-open' | 'fail-closed' | 'no-calls';

export interface ListenAddress {
  host: string;
  port: number;
}

/** A started component: the daemon closes it on shutdown and when its section changes. */
export interface RunningComponent {
  /** Stops it and resolves once its sockets are closed. Never rejects for a normal close. */
  close(): Promise<void>;
  /** Counters or state for `GET /v1/stats` (a snapshot, JSON-serializable). */
  health?(): Record<string, unknown>;
  /**
   * False while running but degraded (a shared store that lost its server): ghostguard_component_up reads 0.
   * Called at every scrape: must be cheap. Absent: healthy whenever running.
   */
  healthy?(): boolean;
  /** Where it listens, when it listens. */
  readonly address?: ListenAddress;
}

/**
 * One part the daemon runs from one section of the configuration (an adapter, the admin endpoint, the
 * metrics endpoint, later the shared store). Adding one is a new object in `components.ts`.
 */
export interface Component {
  readonly name: string;
  readonly whenDown: DownEffect;
  /**
   * The settings it runs from, or undefined when the configuration does not ask for it (not started).
   * Compared as JSON across reloads: a component restarts only when this changed.
   */
  section(config: GhostguardConfig): unknown;
  /** Throws GG_CONFIG_INVALID / GG_CONFIG_READ for a bad section, before anything is applied. */
  validate(config: GhostguardConfig, origin: string): void;
  start(guard: Guard, config: GhostguardConfig, logger: Logger): Promise<RunningComponent>;
}
