import { parseAdapterSection } from '@ghostguard/core';
import { attachH323Gate, H323GateSectionSchema } from '@ghostguard/h323-gate';
import type { Component } from './component.js';

/**
 * The H.323 gate from `adapters.h323Gate`. While it is down nothing answers on its port, so calls are
 * refused: fail-closed.
 */
export const h323GateComponent: Component = {
  name: 'h323Gate',
  whenDown: 'fail-closed',
  section: (config) => config.adapters.h323Gate,
  validate(config, origin) {
    // The schema checks the ReleaseComplete reason with the encoder too (adapters.h323Gate.reject.reason).
    parseAdapterSection(H323GateSectionSchema, config, 'h323Gate', origin);
  },
  async start(guard, config, logger) {
    const { listen, ...options } = parseAdapterSection(H323GateSectionSchema, config, 'h323Gate');
    const gate = attachH323Gate(guard, listen, { ...options, logger });
    try {
      await gate.ready;
    } catch (err) {
      await gate.close();
      throw err;
    }
    const a = gate.address();
    return {
      close: () => gate.close(),
      health: () => ({ ...gate.stats() }),
      ...(a !== undefined ? { address: { host: a.address, port: a.port } } : {}),
    };
  },
};
