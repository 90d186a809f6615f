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

/**
 * An Asterisk .conf file as its config loader reads it (main/config.c): `[name]`, `[name](!)` (a template),
 * `[name](template,…)` (inherits the templates' keys, in order), `key = value`, `;` comments. Sections are
 * listed in file order; a name may repeat (pjsip.conf: an endpoint and an AOR both named room1).
 */
export interface ConfSection {
  name: string;
  template: boolean;
  values: Record<string, string>;
}

export function readAsteriskConf(text: string): ConfSection[] {
  const out: ConfSection[] = [];
  let current: ConfSection | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/;.*$/, '').trim();
    if (line === '') continue;
    const head = /^\[([^\]]+)\](?:\(([^)]*)\))?$/.exec(line);
    if (head) {
      const opts = (head[2] ?? '')
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);
      const inherited: Record<string, string> = {};
      for (const t of opts.filter((o) => o !== '!')) {
        const base = [...out].reverse().find((x) => x.name === t && x.template);
        if (!base) throw new Error(`template ${t} used before it is defined`);
        Object.assign(inherited, base.values);
      }
      current = { name: head[1]!, template: opts.includes('!'), values: inherited };
      out.push(current);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0 || current === undefined) throw new Error(`not a key = value line: ${line}`);
    current.values[line.slice(0, eq).replace(/>$/, '').trim()] = line.slice(eq + 1).trim();
  }
  return out;
}
