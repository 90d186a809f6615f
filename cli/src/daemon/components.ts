import type { Component } from './component.js';
import { h323GateComponent } from './h323-gate-component.js';
import { asteriskComponent, freeswitchComponent } from './pbx-components.js';
import { feedsComponent, sharedBansComponent } from './store-components.js';

/**
 * The adapters and stores the daemon can run, each started when its section is in the configuration, in this
 * order (stopped in reverse). The shared store and the feeds go first so adapters start with their lists; add
 * an adapter by writing a `Component` (see h323-gate-component.ts) and listing it here.
 */
export const ADAPTER_COMPONENTS: readonly Component[] = [
  sharedBansComponent,
  feedsComponent,
  h323GateComponent,
  asteriskComponent,
  freeswitchComponent,
];
