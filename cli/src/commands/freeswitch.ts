import { createGuard, type GuardOptions, loadConfigFile } from '@ghostguard/core';
import { attachFreeswitch, eventSocketAccess, type FreeswitchStats, freeswitchSection } from '@ghostguard/freeswitch';
import type { Output } from '../output.js';
import { untilSignal } from './until-signal.js';

export interface FreeswitchCommandOptions {
  configPath: string;
  /** Resolves when the command should stop; default: the first SIGINT or SIGTERM. */
  until?: Promise<unknown>;
  /** Passed to createGuard (tests give a logger). */
  guardOptions?: GuardOptions;
}

/** Exit code when the outbound socket cannot listen (port taken, no permission): the user must fix it. */
export const EXIT_LISTEN = 2;

function summary(s: FreeswitchStats): string {
  const r = s.inbound.reported;
  return (
    `calls ${s.judged}: allowed ${s.allowed} (transferred ${s.transferred}), rejected ${s.rejected}, dropped ${s.dropped}, ` +
    `tarpitted ${s.tarpitted} (cap reached ${s.tarpitNoSlot}); fail policy open ${s.failedOpen}, closed ${s.failedClosed}; ` +
    `reports: auth failures ${r.authFailures}, completed calls ${r.completedCalls}, unknown targets ${r.unknownTargets}; ` +
    `inbound connects ${s.inbound.connects}, refused logins ${s.inbound.authFailures}`
  );
}

/**
 * `ghostguard freeswitch --config f`: loads the configuration (`adapters.freeswitch`), creates the guard,
 * listens for FreeSWITCH's outbound socket, logs in to its inbound socket, and runs until SIGINT/SIGTERM; then
 * closes both and the guard (bans are written to dataDir). An unreachable FreeSWITCH inbound socket is
 * retried with backoff; calls meanwhile follow the dialplan (examples/freeswitch).
 */
export async function runFreeswitch(opts: FreeswitchCommandOptions, out: Output): Promise<number> {
  const config = loadConfigFile(opts.configPath);
  const section = freeswitchSection(config, opts.configPath);
  const signal = opts.until === undefined ? untilSignal() : undefined;
  const stop = opts.until ?? signal!.done;
  const guard = createGuard(config, opts.guardOptions);
  const attachment = attachFreeswitch(guard, eventSocketAccess(section), section);
  try {
    await attachment.listening;
  } catch (err) {
    signal?.dispose();
    await attachment.close();
    guard.close();
    if ((err as { code?: string })?.code === 'GG_ESL_LISTEN') {
      out.error(`ghostguard freeswitch: cannot listen for the outbound socket: ${(err as Error).message}`);
      return EXIT_LISTEN;
    }
    throw err;
  }
  const ob = attachment.outbound;
  const inbound =
    section.inbound?.enabled === false
      ? 'off'
      : `${section.inbound?.host ?? '127.0.0.1'}:${section.inbound?.port ?? 8021}`;
  out.line(
    `ghostguard freeswitch: outbound socket ${ob ? `${ob.host}:${ob.port}` : 'off'}, inbound socket ${inbound} (mode ${config.mode}); Ctrl-C to stop`,
  );
  try {
    await stop;
  } finally {
    signal?.dispose();
    await attachment.close();
    guard.close();
  }
  out.line(`ghostguard freeswitch: stopped; ${summary(attachment.stats())}`);
  return 0;
}
