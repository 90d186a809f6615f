import { createLogger, type Guard, type Logger } from '@ghostguard/core';
import { attachDrachtio, type DrachtioAttachment } from '../attach.js';
import type { DrachtioOptions } from '../options.js';
import { type DetachedRequest, type DetachedResponse, srfRequestPair } from '../testing.js';

export type Handler = (req: DetachedRequest, res: DetachedResponse, next: () => void) => void;

const open: Array<() => Promise<void>> = [];

/** Closes every attachment (then its guard) the harness made; call it in `afterEach`. */
export async function closeAll(): Promise<void> {
  for (const c of open.splice(0)) await c();
}

/**
 * Attaches to a stand-in srf that only records what is routed, and returns the layer and a function that runs one
 * recorded request through it. The attachment and its guard are closed by {@link closeAll}.
 */
export function harness(guard: Guard, options?: DrachtioOptions) {
  let recorded: Handler | undefined;
  const routed: string[] = [];
  const srf = {
    use: (method: string, h: unknown) => {
      routed.push(method);
      recorded = h as Handler;
    },
  };
  const attachment: DrachtioAttachment = attachDrachtio(guard, srf, options);
  open.push(async () => {
    await attachment.close();
    guard.close();
  });
  const layer = recorded!;
  const run = (raw: string, ip: string) => {
    const pair = srfRequestPair(raw, { address: ip, port: 5060 });
    let nexts = 0;
    layer(pair.req, pair.res, () => {
      nexts++;
    });
    return { ...pair, nexts: () => nexts };
  };
  return { attachment, routed, layer, run };
}

/** A logger whose JSON lines are kept in `lines` (level info and above). */
export function capturedLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) };
  return { logger: createLogger({ log: { level: 'info' } }, stream as unknown as NodeJS.WritableStream), lines };
}

/** The lines of one `event`. */
export function eventsOf(lines: ReadonlyArray<Record<string, unknown>>, event: string): Array<Record<string, unknown>> {
  return lines.filter((l) => l.event === event);
}
