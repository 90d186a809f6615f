import * as roomProxyExample from '@ghostguard/example-drachtio-room-proxy';
import { describe, expect, it } from 'vitest';
import { ROOM_PROXY_EXAMPLE, type RoomProxyExample, runLiveDrachtioDemo } from './live-drachtio.js';
import { DEMO_CONFIG } from './recordings.js';

// The demo loads the example (an optional dependency) when the registry part runs: the type checker holds its
// declared shape to the module.
const exampleShape: RoomProxyExample = roomProxyExample;

describe('live drachtio demo', () => {
  it('sends the recorded traffic through the plugin: no scanner request reaches the app, every legitimate one does', async () => {
    const r = await runLiveDrachtioDemo(DEMO_CONFIG);
    expect(r.title).toMatch(/drachtio-server stand-in/);
    expect(r.scannerRequests).toBeGreaterThanOrEqual(100);
    expect(r.scannerReachedApp).toBe(0);
    expect(r.legitRequests).toBeGreaterThanOrEqual(50);
    expect(r.legitReachedApp).toBe(r.legitRequests);
    const text = r.lines.join('\n');
    expect(text).toMatch(/svwar REGISTER/);

    // The room registry part: rooms registered through the example's registrar, nothing moved them.
    expect(ROOM_PROXY_EXAMPLE).toBe('@ghostguard/example-drachtio-room-proxy');
    expect(typeof exampleShape.installRoomProxy).toBe('function');
    const reg = r.registry!;
    expect(reg.registered).toBe(2);
    expect(reg.rooms.map((room) => [room.aor, room.contact, room.adapter, room.static])).toEqual([
      ['room-boardroom', expect.stringMatching(/^sip:room-boardroom@127\.4\.0\.5:\d+$/), 'drachtio', false],
      ['101', expect.stringMatching(/^sip:101@127\.4\.0\.6:\d+$/), 'drachtio', false],
    ]);
    expect(reg.sweepRequests).toBe(30);
    expect(reg.sweepHitRooms).toEqual(['101']);
    expect(reg.roomsAdded).toBe(0);
    expect(reg.roomsMoved).toBe(0);
    expect(reg.hijackBanned).toBe(true);
    expect(reg.partnerCallReachedRoom).toBe(true);
    expect(reg.strangerCallAnswer).toBe(404);
    expect(reg.otherCallsReachedRoom).toBe(0);
    expect(text).toMatch(/room registry \(2\)/);
    expect(text).toMatch(/room-boardroom -> sip:room-boardroom@127\.4\.0\.5:\d+ {2}\[registered via drachtio\]/);
  }, 90_000);
});
