import { GhostguardError, parseAdapterSection } from '@ghostguard/core';
import { encodeReleaseComplete } from '@ghostguard/core/h323';
import { createH323Gate, H323GateSectionSchema } from '@ghostguard/h323-gate';
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
    const section = parseAdapterSection(H323GateSectionSchema, config, 'h323Gate', origin);
    // The schema cannot know the H.225 ReleaseCompleteReason names; the encoder does (the gate checks it too).
    try {
      encodeReleaseComplete(0, section.reject);
    } catch (cause) {
      throw new GhostguardError(
        'GG_CONFIG_INVALID',
        `invalid configuration in ${origin}:\n  adapters.h323Gate.reject: ${(cause as Error).message}`,
        { cause },
      );
    }
  },
  async start(guard, config, logger) {
    const section = parseAdapterSection(H323GateSectionSchema, config, 'h323Gate');
    const gate = createH323Gate({ ...section, guard, logger });
    try {
      const a = await gate.listen();
      return {
        close: () => gate.close(),
        health: () => ({ ...gate.stats() }),
        address: { host: a.address, port: a.port },
      };
    } catch (err) {
      await gate.close();
      throw err;
    }
  },
};
