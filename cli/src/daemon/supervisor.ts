import { type GhostguardConfig, type Guard, isCodedError, type Logger } from '@ghostguard/core';
import { withTimeout } from './bounded.js';
import type { Component, DownEffect, ListenAddress, RunningComponent } from './component.js';
import { DaemonError } from './errors.js';

export interface ComponentStatus {
  name: string;
  /** Running, and healthy by its own account (a store connected to its server). */
  up: boolean;
  whenDown: DownEffect;
  address?: ListenAddress;
  health?: Record<string, unknown>;
  /** Why it is down, when it failed. */
  error?: string;
}

/** What a reload did to the components. */
export interface ComponentChanges {
  /** Started for a section that is new in the file. */
  started: string[];
  /** Section changed: closed and started again with the new settings. */
  restarted: string[];
  /** Section removed: closed. */
  stopped: string[];
  /** Section unchanged: left running. */
  unchanged: string[];
  /** Could not (re)start. `keptPrevious`: it runs on with its previous settings. */
  failed: Array<{ name: string; error: string; keptPrevious: boolean }>;
}

interface Slot {
  readonly component: Component;
  running: RunningComponent | undefined;
  /** The section (as JSON) the running instance, or the last attempt, was started from. */
  sectionJson: string | undefined;
  /** The configuration `running` was started with (for putting it back when a restart fails). */
  startedWith: GhostguardConfig | undefined;
  /** The child logger `running` was given (its level follows the guard's on reload). */
  logger: Logger | undefined;
  error: string | undefined;
}

export interface SupervisorDeps {
  guard: Guard;
  logger: Logger;
  /** Longest wait for one component to start or close (a reload may change it). */
  timeoutMs: number;
}

const sectionJsonOf = (component: Component, config: GhostguardConfig): string | undefined => {
  const s = component.section(config);
  return s === undefined ? undefined : JSON.stringify(s);
};

/** Running, and not reporting itself unhealthy; a throwing health check counts as unhealthy. */
function isUp(running: RunningComponent | undefined): boolean {
  if (!running) return false;
  try {
    return running.healthy?.() ?? true;
  } catch {
    return false;
  }
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Validates the section of every component the configuration asks for; throws the first GG_CONFIG_* error. */
export function validateComponents(components: readonly Component[], config: GhostguardConfig, origin: string): void {
  for (const component of components) {
    if (component.section(config) !== undefined) component.validate(config, origin);
  }
}

/**
 * Starts, restarts and stops the daemon's components, one per section present in the configuration. A
 * component that fails is logged (with what calls meet while it is down) and never takes the others down.
 */
export class Supervisor {
  private readonly slots: Slot[];

  private readonly deps: SupervisorDeps;

  constructor(components: readonly Component[], deps: SupervisorDeps) {
    this.deps = { ...deps };
    const names = new Set<string>();
    for (const c of components) {
      if (names.has(c.name)) throw new DaemonError('GG_DAEMON_INTERNAL', `two daemon components named ${c.name}`);
      names.add(c.name);
    }
    this.slots = components.map((component) => ({
      component,
      running: undefined,
      sectionJson: undefined,
      startedWith: undefined,
      logger: undefined,
      error: undefined,
    }));
  }

  setTimeout(ms: number): void {
    this.deps.timeoutMs = ms;
  }

  /** Validates every present component's section; throws the first GG_CONFIG_* error. */
  validate(config: GhostguardConfig, origin: string): void {
    validateComponents(
      this.slots.map((s) => s.component),
      config,
      origin,
    );
  }

  /**
   * Starts every component whose section is present. With `requireAll`, the first failure closes what was
   * started and rejects; otherwise failures are logged and the components stay down until a reload.
   */
  async startAll(config: GhostguardConfig, requireAll: boolean): Promise<void> {
    for (const slot of this.slots) {
      const json = sectionJsonOf(slot.component, config);
      if (json === undefined) continue;
      slot.sectionJson = json;
      const ok = await this.startSlot(slot, config);
      if (!ok && requireAll) {
        await this.stopAll();
        throw new DaemonError('GG_DAEMON_START', `${slot.component.name} could not start: ${slot.error}`);
      }
    }
  }

  /** Applies a new configuration (already validated, guard already reconfigured): restarts only what changed. */
  async apply(config: GhostguardConfig): Promise<ComponentChanges> {
    const changes: ComponentChanges = { started: [], restarted: [], stopped: [], unchanged: [], failed: [] };
    // pino children keep the level they were created with: carry a new log.level over to the running ones.
    for (const slot of this.slots) if (slot.logger) slot.logger.level = this.deps.logger.level;
    for (const slot of this.slots) {
      const name = slot.component.name;
      const json = sectionJsonOf(slot.component, config);
      if (json === undefined) {
        if (slot.running || slot.sectionJson !== undefined) {
          await this.closeSlot(slot, 'its section was removed');
          slot.sectionJson = undefined;
          slot.error = undefined;
          changes.stopped.push(name);
        }
        continue;
      }
      if (json === slot.sectionJson && slot.running) {
        changes.unchanged.push(name);
        continue;
      }
      const previous = slot.running ? { config: slot.startedWith, json: slot.sectionJson } : undefined;
      const why =
        slot.sectionJson === undefined
          ? 'new section'
          : slot.sectionJson === json
            ? 'it was down'
            : 'its section changed';
      if (slot.running) await this.closeSlot(slot, why);
      this.deps.logger.info({ event: 'component-starting', component: name, why }, `starting ${name}: ${why}`);
      slot.sectionJson = json;
      if (await this.startSlot(slot, config)) {
        (previous ? changes.restarted : changes.started).push(name);
        continue;
      }
      const error = slot.error ?? 'unknown error';
      let keptPrevious = false;
      if (previous?.config) {
        // Put the last working settings back rather than leave the component down.
        slot.sectionJson = previous.json;
        keptPrevious = await this.startSlot(slot, previous.config);
        if (keptPrevious) {
          this.deps.logger.warn(
            { event: 'component-kept-previous', component: name, error },
            `${name} runs on with its previous settings: the new ones failed (${error})`,
          );
        }
      }
      changes.failed.push({ name, error, keptPrevious });
    }
    return changes;
  }

  /** Closes every running component, last started first. */
  async stopAll(): Promise<void> {
    for (const slot of [...this.slots].reverse()) {
      if (!slot.running) continue;
      await this.closeSlot(slot, 'the daemon is stopping');
    }
  }

  status(): ComponentStatus[] {
    const out: ComponentStatus[] = [];
    for (const slot of this.slots) {
      if (slot.sectionJson === undefined && !slot.running) continue;
      const s: ComponentStatus = {
        name: slot.component.name,
        up: isUp(slot.running),
        whenDown: slot.component.whenDown,
      };
      if (slot.running?.address) s.address = slot.running.address;
      if (slot.error !== undefined && !slot.running) s.error = slot.error;
      try {
        const h = slot.running?.health?.();
        if (h) s.health = h;
      } catch (err) {
        s.health = { error: messageOf(err) };
      }
      out.push(s);
    }
    return out;
  }

  /** Every configured component and whether it is up (running and healthy): the component_up metric. */
  states(): Array<{ name: string; up: boolean }> {
    const out: Array<{ name: string; up: boolean }> = [];
    for (const slot of this.slots) {
      if (slot.sectionJson === undefined && !slot.running) continue;
      out.push({ name: slot.component.name, up: isUp(slot.running) });
    }
    return out;
  }

  /** Where each running component listens. */
  addresses(): Record<string, ListenAddress> {
    const out: Record<string, ListenAddress> = {};
    for (const slot of this.slots) if (slot.running?.address) out[slot.component.name] = slot.running.address;
    return out;
  }

  private async startSlot(slot: Slot, config: GhostguardConfig): Promise<boolean> {
    const { component } = slot;
    const logger = this.deps.logger.child({ component: component.name });
    try {
      slot.running = await withTimeout(
        component.start(this.deps.guard, config, logger),
        this.deps.timeoutMs,
        `starting ${component.name}`,
        (late) => void late.close().catch(() => {}),
      );
      slot.startedWith = config;
      slot.logger = logger;
      slot.error = undefined;
      this.deps.logger.info(
        { event: 'component-started', component: component.name, address: slot.running.address },
        `${component.name} started`,
      );
      return true;
    } catch (err) {
      slot.running = undefined;
      slot.startedWith = undefined;
      slot.error = messageOf(err);
      this.deps.logger.error(
        {
          event: 'component-failed',
          component: component.name,
          code: isCodedError(err) ? err.code : undefined,
          err,
          whenDown: component.whenDown,
        },
        `${component.name} could not start (${slot.error}); while it is down: ${component.whenDown}`,
      );
      return false;
    }
  }

  private async closeSlot(slot: Slot, why: string): Promise<void> {
    const running = slot.running;
    if (!running) return;
    slot.running = undefined;
    const name = slot.component.name;
    this.deps.logger.info({ event: 'component-stopping', component: name, why }, `stopping ${name}: ${why}`);
    try {
      await withTimeout(running.close(), this.deps.timeoutMs, `closing ${name}`);
    } catch (err) {
      this.deps.logger.error(
        { event: 'component-close-failed', component: name, code: isCodedError(err) ? err.code : undefined, err },
        `${name} did not close cleanly: ${messageOf(err)}`,
      );
    }
  }
}
