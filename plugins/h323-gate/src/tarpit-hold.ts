import type { Socket } from 'node:net';
import type { TarpitSlot } from '@ghostguard/core';
import { encodeAlerting, encodeCallProceeding, type H225ReplyOptions } from '@ghostguard/core/h323';

export type HoldEnd = 'caller-left' | 'max-hold' | 'flooded' | 'error';

export interface HoldOptions {
  alertAfter: number;
  maxHold: number;
  maxDiscardBytes: number;
}

/**
 * Keeps a scanner's call "ringing": CallProceeding at once, Alerting after `alertAfter`, then nothing
 * until the caller gives up or `maxHold` passes, when the connection is closed without a ReleaseComplete.
 * Whatever the caller sends meanwhile is read and discarded (at most `maxDiscardBytes`), so its FIN is seen.
 * The tarpit slot is released, and the timers cleared, when the socket closes, whatever closed it (or at once,
 * before anything is sent, if the answers cannot be encoded: the error is thrown to the caller).
 */
export function holdTarpit(
  socket: Socket,
  slot: TarpitSlot,
  callReference: number,
  reply: H225ReplyOptions,
  opts: HoldOptions,
  onEnd: (why: HoldEnd, heldMs: number) => void,
): void {
  let proceeding: Uint8Array;
  let alerting: Uint8Array;
  try {
    proceeding = encodeCallProceeding(callReference, reply);
    alerting = encodeAlerting(callReference, reply);
  } catch (err) {
    slot.release();
    throw err;
  }
  const started = Date.now();
  let why: HoldEnd | undefined;
  let discarded = 0;
  const end = (reason: HoldEnd): void => {
    why ??= reason;
    socket.destroy();
  };

  socket.write(proceeding);
  const alertTimer = setTimeout(() => socket.write(alerting), opts.alertAfter);
  const holdTimer = setTimeout(() => end('max-hold'), opts.maxHold);

  socket.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > opts.maxDiscardBytes) end('flooded');
  });
  socket.once('end', () => end('caller-left'));
  socket.once('close', (hadError) => {
    clearTimeout(alertTimer);
    clearTimeout(holdTimer);
    slot.release();
    onEnd(why ?? (hadError ? 'error' : 'caller-left'), Date.now() - started);
  });
  socket.resume();
}
