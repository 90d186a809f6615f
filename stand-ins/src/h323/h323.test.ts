import { encodeSetup, setupShapeSpec } from '@ghostguard/core/h323';
import { afterEach, describe, expect, it } from 'vitest';
import { waitUntil } from '../wait-until.js';
import { dial } from './caller.js';
import { type StandInRoom, startStandInRoom } from './stand-in-room.js';

let room: StandInRoom | undefined;
afterEach(async () => {
  await room?.close();
  room = undefined;
});

describe('H.323 stand-ins', () => {
  it('the room records the frames that reach it and answers as told; the caller collects the answer', async () => {
    const setup = encodeSetup(setupShapeSpec({ shape: 'toll-fraud', dialledDigits: '900441224000000' }));
    const answer = Uint8Array.from([3, 0, 0, 8, 8, 2, 0x80, 0x2b]);
    room = await startStandInRoom({ answer: () => answer });
    const caller = await dial({ host: room.host, port: room.port, send: setup });
    const frames = await caller.waitForFrames(1);
    expect(Buffer.from(frames[0]!)).toEqual(Buffer.from(answer.subarray(4)));
    expect(room.frameCount()).toBe(1);
    expect(Buffer.from(room.calls[0]!.bytes())).toEqual(Buffer.from(setup));
    expect(room.calls[0]!.frames[0]).toEqual(setup.subarray(4));
    caller.socket.end();
    await waitUntil(() => room!.calls[0]!.ended, 2_000, 'the FIN at the room');
    await caller.closed;
    expect(caller.isClosed).toBe(true);
  });

  it('the caller rejects when nothing listens', async () => {
    room = await startStandInRoom();
    const port = room.port;
    await room.close();
    room = undefined;
    await expect(dial({ host: '127.0.0.1', port })).rejects.toThrow();
  });
});
