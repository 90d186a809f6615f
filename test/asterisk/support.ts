/** Shared pieces of the Asterisk end-to-end tests: recorded SIP turned into scripted calls, a guard, an attachment. */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type AsteriskAttachment, type AsteriskOptions, attachAsterisk } from '@ghostguard/asterisk';
import { captureLogs, type LogCapture } from '@ghostguard/asterisk/testing';
import { type ConfigInput, createGuard, type Guard, loadConfigFile } from '@ghostguard/core';
import {
  type AmiPeer,
  type ChannelTech,
  invitesAsCalls as recordedInvites,
  type ScriptedCall,
} from '@ghostguard/stand-ins/ami';

export const ROOT = resolve(import.meta.dirname, '../..');
export const SHARED = resolve(ROOT, '../shared/fixtures');
export const AST_FIXTURES = join(SHARED, 'asterisk-20.20.1');

/** The INVITEs of a `.sip.txt` recording as scripted calls (see invitesAsCalls in the peer). */
export function invitesAsCalls(file: string, tech: ChannelTech): ScriptedCall[] {
  return recordedInvites(readFileSync(file, 'utf8'), tech);
}

/** dialShape and the policy of the demo configuration (rooms of the legitimate recordings, 5551234 for H.323). */
export function demoConfig(over: ConfigInput = {}): ConfigInput {
  const demo = loadConfigFile(join(ROOT, 'examples/demo/ghostguard.yaml'));
  return { dialShape: demo.dialShape, rules: demo.rules, policy: demo.policy, ...over, log: { level: 'silent' } };
}

export interface Rig {
  guard: Guard;
  attachment: AsteriskAttachment;
  logs: LogCapture;
}

/** A guard (logging into memory) attached to `peer` with fast reconnects. */
export function rig(peer: AmiPeer, config: ConfigInput = demoConfig(), options: Partial<AsteriskOptions> = {}): Rig {
  const logs = captureLogs('debug');
  const guard = createGuard({ dataDir: null, ...config }, { logger: logs.logger });
  const {
    host = peer.host,
    port = peer.port,
    username = 'ghostguard',
    secret = 'ghostguard-secret',
    ...rest
  } = options;
  const attachment = attachAsterisk(
    guard,
    { host, port, username, secret },
    { reconnect: { minDelay: 20, maxDelay: 200 }, ...rest },
  );
  return { guard, attachment, logs };
}
