import type { GhostguardConfig } from '@ghostguard/core';
import type { Component } from './component.js';
import { firewallComponent } from './firewall-component.js';
import { h323GateComponent } from './h323-gate-component.js';
import { asteriskComponent, freeswitchComponent } from './pbx-components.js';
import { feedsComponent, sharedBansComponent } from './store-components.js';

/**
 * The adapters and stores the daemon can run, each started when its section is in the configuration, in this
 * order (stopped in reverse). The shared store and the feeds go first so adapters start with their lists, then the
 * kernel bouncer (filled from the bans on file before any adapter takes calls); add
 * an adapter by writing a `Component` (see h323-gate-component.ts) and listing it here.
 */
export const ADAPTER_COMPONENTS: readonly Component[] = [
  sharedBansComponent,
  feedsComponent,
  firewallComponent,
  h323GateComponent,
  asteriskComponent,
  freeswitchComponent,
];

/** The components that put the guard in front of calls (the others share bans, fetch feeds, serve endpoints). */
const CALL_GUARDS = new Set(['h323Gate', 'asterisk', 'freeswitch']);

/**
 * Which of `components` the configuration starts that guard calls. None: `ghostguard run` would hold bans and
 * serve its endpoints while every call goes by unjudged, so it refuses to start (and `check` says so).
 */
export function guardedComponents(components: readonly Component[], config: GhostguardConfig): string[] {
  return components.filter((c) => CALL_GUARDS.has(c.name) && c.section(config) !== undefined).map((c) => c.name);
}
