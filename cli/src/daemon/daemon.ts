import {
  createGuard,
  createLogger,
  type GhostguardConfig,
  type Guard,
  isCodedError,
  type Logger,
  loadConfigFile,
} from '@ghostguard/core';
import { adminComponent } from './admin-component.js';
import type { Component, ListenAddress } from './component.js';
import { ADAPTER_COMPONENTS, guardedComponents } from './components.js';
import { parseDaemonSection } from './daemon-config.js';
import type { DaemonControl, DaemonStatus, ReloadResult } from './daemon-types.js';
import { DaemonError } from './errors.js';
import { DaemonMetrics } from './metrics.js';
import { metricsComponent } from './metrics-component.js';
import { Supervisor, validateComponents } from './supervisor.js';

export interface DaemonOptions {
  /** The configuration file; re-read on every reload. */
  configPath: string;
  /** A pino logger; default: JSON lines on stdout at the file's `log.level`. */
  logger?: Logger;
  /** Where $GHOSTGUARD_ADMIN_TOKEN is looked up; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** The adapters and stores it can run; default ADAPTER_COMPONENTS. */
  components?: readonly Component[];
}

export interface Daemon {
  readonly guard: Guard;
  /** Where each running component listens (admin, metrics, h323Gate…); changes when one restarts. */
  readonly addresses: Record<string, ListenAddress>;
  /**
   * Re-reads the file. Invalid: nothing changes, the error is logged and returned. Valid: the guard is
   * reconfigured (state kept) and only components whose section changed restart. Reloads run one at a time.
   */
  reload(): Promise<ReloadResult>;
  /** Stops every component, then closes the guard (bans written to dataDir). Idempotent. */
  stop(): Promise<void>;
  status(): DaemonStatus;
}

/** The code of a failed reload: the error's own (GG_CONFIG_INVALID…), else GG_RELOAD_FAILED. */
const codeOf = (err: unknown): string => (isCodedError(err) ? err.code : 'GG_RELOAD_FAILED');
const notStarted = (): DaemonError =>
  new DaemonError('GG_DAEMON_INTERNAL', 'daemon control used before the daemon started');
const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * `ghostguard run`: one guard, and the components its configuration asks for (the H.323 gate, the admin
 * endpoint, the metrics endpoint; more adapters as they land). Throws GG_CONFIG_* for a bad file, and
 * GG_DAEMON_START when a component cannot start and `daemon.requireAllComponents` is on (the default).
 */
export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const { configPath } = options;
  const env = options.env ?? process.env;
  let config: GhostguardConfig = loadConfigFile(configPath);
  let section = parseDaemonSection(config, configPath);
  const metrics = new DaemonMetrics();
  const startedAt = Date.now();
  let configLoadedAt = startedAt;
  const reloads = { ok: 0, failed: 0 };

  let daemon: Daemon | undefined;
  const control: DaemonControl = {
    reload: () => (daemon ? daemon.reload() : Promise.reject(notStarted())),
    status: () => {
      if (!daemon) throw notStarted();
      return daemon.status();
    },
  };
  // Adapters first, the endpoints last: the admin endpoint answers once everything it reports on runs.
  const components = [
    ...(options.components ?? ADAPTER_COMPONENTS),
    metricsComponent(metrics),
    adminComponent({ control, configPath, env }),
  ];

  // Before the guard exists: a bad file must not touch dataDir.
  validateComponents(components, config, configPath);
  const guard = createGuard(config, { logger: options.logger ?? createLogger(config) });
  const log = guard.logger.child({ component: 'daemon' });
  const supervisor = new Supervisor(components, {
    guard,
    logger: guard.logger,
    timeoutMs: section.stopTimeout,
  });
  metrics.watchComponents(() => supervisor.status());
  try {
    await supervisor.startAll(config, section.requireAllComponents);
  } catch (err) {
    metrics.detach();
    guard.close();
    throw err;
  }
  log.info(
    { event: 'daemon-started', config: configPath, components: supervisor.addresses(), mode: config.mode },
    'ghostguard daemon started',
  );

  let chain: Promise<unknown> = Promise.resolve();
  let stopping: Promise<void> | undefined;

  const applyReload = async (): Promise<ReloadResult> => {
    if (stopping) return { ok: false, error: { code: 'GG_DAEMON_STOPPING', message: 'the daemon is stopping' } };
    let next: GhostguardConfig;
    let nextSection: typeof section;
    let kept: { kept: string[]; needsRestart: string[] };
    try {
      next = loadConfigFile(configPath);
      nextSection = parseDaemonSection(next, configPath);
      supervisor.validate(next, configPath);
      kept = guard.reconfigure(next);
    } catch (err) {
      reloads.failed++;
      const error = { code: codeOf(err), message: messageOf(err) };
      log.error(
        { event: 'reload-failed', config: configPath, code: error.code, detail: error.message },
        'configuration reload failed: the running configuration is kept',
      );
      return { ok: false, error };
    }
    config = next;
    section = nextSection;
    log.level = guard.logger.level;
    // `run` refuses to start like this; a reload that drops the last adapter is applied, but said loudly
    if (guardedComponents(options.components ?? ADAPTER_COMPONENTS, next).length === 0) {
      log.warn(
        { event: 'nothing-to-guard', config: configPath },
        'the reloaded configuration has no adapter: no call is judged until one is configured again',
      );
    }
    configLoadedAt = Date.now();
    supervisor.setTimeout(section.stopTimeout);
    const changes = await supervisor.apply(next);
    reloads.ok++;
    log.info(
      {
        event: 'reloaded',
        config: configPath,
        restarted: changes.restarted,
        started: changes.started,
        stopped: changes.stopped,
        unchanged: changes.unchanged,
        failed: changes.failed,
        needsRestart: kept.needsRestart,
      },
      changes.restarted.length + changes.started.length + changes.stopped.length === 0
        ? 'configuration reloaded; no component needed a restart'
        : `configuration reloaded; restarted: ${changes.restarted.join(', ') || 'none'}, started: ${
            changes.started.join(', ') || 'none'
          }, stopped: ${changes.stopped.join(', ') || 'none'}`,
    );
    return { ok: true, kept: kept.kept, needsRestart: kept.needsRestart, ...changes };
  };

  daemon = {
    guard,
    get addresses() {
      return supervisor.addresses();
    },
    reload() {
      const run = chain.then(applyReload, applyReload);
      chain = run;
      return run;
    },
    stop() {
      stopping ??= (async () => {
        await chain.catch(() => {});
        log.info({ event: 'daemon-stopping' }, 'ghostguard daemon stopping');
        await supervisor.stopAll();
        metrics.detach();
        guard.close();
        metrics.registry.clear();
        log.info(
          { event: 'daemon-stopped', bans: guard.stats().bans, dataDir: config.dataDir },
          'ghostguard daemon stopped',
        );
      })();
      return stopping;
    },
    status: () => ({
      configPath,
      startedAt,
      configLoadedAt,
      reloads: { ...reloads },
      guard: guard.stats(),
      components: supervisor.status(),
    }),
  };
  return daemon;
}
