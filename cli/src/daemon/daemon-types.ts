import type { GuardStats } from '@ghostguard/core';
import type { ComponentChanges, ComponentStatus } from './supervisor.js';

/** The outcome of a reload (SIGHUP or `POST /v1/reload`). */
export type ReloadResult =
  | ({
      ok: true;
      /** Guard state carried over (bans, rooms, tarpits in use, behaviour counters…). */
      kept: string[];
      /** Settings that only take effect after a restart of the daemon (dataDir). */
      needsRestart: string[];
    } & ComponentChanges)
  | {
      ok: false;
      /** `code` GG_CONFIG_INVALID, GG_CONFIG_READ…: the running configuration was kept. */
      error: { code: string; message: string };
    };

export interface DaemonStatus {
  configPath: string;
  /** ms since the epoch. */
  startedAt: number;
  /** When the running configuration was loaded (start or last good reload). */
  configLoadedAt: number;
  reloads: { ok: number; failed: number };
  guard: GuardStats;
  components: ComponentStatus[];
}

/** What the admin endpoint serves besides the guard itself. */
export interface DaemonControl {
  reload(): Promise<ReloadResult>;
  status(): DaemonStatus;
}
