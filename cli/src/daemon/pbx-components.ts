import { AsteriskSectionSchema, amiAccess, attachAsterisk } from '@ghostguard/asterisk';
import { parseAdapterSection } from '@ghostguard/core';
import { attachFreeswitch, eventSocketAccess, freeswitchSection } from '@ghostguard/freeswitch';
import type { Component } from './component.js';

/**
 * Asterisk over AMI (`adapters.asterisk`). While AMI is down the dialplan's check routine gets no verdict and
 * follows GHOSTGUARD_FAIL_POLICY (open in the example). The attachment reconnects by itself, so an Asterisk
 * that is not up yet does not stop the daemon; a refused login is logged at error by the adapter.
 */
export const asteriskComponent: Component = {
  name: 'asterisk',
  whenDown: 'fail-open',
  section: (config) => config.adapters.asterisk,
  validate(config, origin) {
    parseAdapterSection(AsteriskSectionSchema, config, 'asterisk', origin);
  },
  async start(guard, config, logger) {
    const section = parseAdapterSection(AsteriskSectionSchema, config, 'asterisk');
    const asterisk = attachAsterisk(guard, amiAccess(section), { ...section, logger });
    // Observed so an early refusal is not an unhandled rejection; the adapter logs it and keeps retrying.
    asterisk.ready.catch(() => undefined);
    return {
      close: () => asterisk.close(),
      health: () => ({ ...asterisk.stats() }),
      healthy: () => asterisk.connected,
    };
  },
};

/**
 * FreeSWITCH over the Event Socket (`adapters.freeswitch`). While the outbound socket is down the dialplan's
 * fallback runs (fail-open in the example: the call continues unjudged).
 */
export const freeswitchComponent: Component = {
  name: 'freeswitch',
  whenDown: 'fail-open',
  section: (config) => config.adapters.freeswitch,
  validate(config, origin) {
    freeswitchSection(config, origin);
  },
  async start(guard, config, logger) {
    const section = freeswitchSection(config);
    const fs = attachFreeswitch(guard, eventSocketAccess(section), { ...section, logger });
    // A port that cannot be listened on fails the start (the dialplan would connect to nothing).
    await fs.listening;
    return {
      close: () => fs.close(),
      health: () => ({ ...fs.stats() }),
      ...(fs.outbound ? { address: { host: fs.outbound.host, port: fs.outbound.port } } : {}),
    };
  },
};
