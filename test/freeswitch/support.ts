/** Shared set-up of the FreeSWITCH end-to-end tests: a guard that knows the fixture rooms, the adapter, the peer. */
import { readFileSync } from 'node:fs';
import { type ConfigInput, createGuard, createLogger, type Guard } from '@ghostguard/core';
import { attachFreeswitch, type FreeswitchAttachment, type FreeswitchOptions } from '@ghostguard/freeswitch';
import { type RecordedInvite, recordedInvites } from '@ghostguard/stand-ins/esl';

const FIXTURES = new URL('../fixtures/', import.meta.url);

export function fixtureInvites(path: string): RecordedInvite[] {
  return recordedInvites(readFileSync(new URL(path, FIXTURES), 'utf8'));
}

/** The deployment the legitimate fixtures describe (test/fixtures/legit/rooms.yaml). */
export const ROOMS_CONFIG: ConfigInput = {
  log: { level: 'silent' },
  dataDir: null,
  dialShape: {
    domains: ['video.example.com'],
    localAddresses: ['203.0.113.10', '2001:db8::10', '127.0.0.1'],
    knownTargets: ['room-*'],
  },
};

/** Log lines the adapter wrote, parsed (the guard's pino logger writes into this array). */
export interface Captured {
  guard: Guard;
  lines: Array<Record<string, unknown>>;
}

export function capturingGuard(
  config: ConfigInput = ROOMS_CONFIG,
  level: 'debug' | 'info' | 'warn' = 'debug',
): Captured {
  const lines: Array<Record<string, unknown>> = [];
  const stream = {
    write: (s: string) => {
      for (const l of s.split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
    },
  };
  const logger = createLogger(
    { log: { level } } as Parameters<typeof createLogger>[0],
    stream as NodeJS.WritableStream,
  );
  return { guard: createGuard(config, { logger }), lines };
}

export async function attachOutbound(
  guard: Guard,
  extra: Partial<FreeswitchOptions> = {},
): Promise<FreeswitchAttachment> {
  const fs = attachFreeswitch(
    guard,
    {},
    {
      ...extra,
      outbound: { host: '127.0.0.1', port: 0, ...extra.outbound },
      inbound: { enabled: false, ...extra.inbound },
    },
  );
  await fs.listening;
  return fs;
}
