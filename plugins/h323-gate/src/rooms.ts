import type { Guard } from '@ghostguard/core';
import type { Upstream } from './options.js';

/**
 * The gate's rooms: the upstreams by alias are room systems that never register, so the guard's dial-shape
 * layer must be told of them (a call to one of them is not a call to an unknown target). Declared once, at
 * attach time; guard.rooms decides what is stored.
 */
export function declareRooms(guard: Guard, byAlias: ReadonlyMap<string, Upstream>): void {
  for (const [alias, up] of byAlias) guard.rooms.declare({ name: alias, address: `${up.host}:${up.port}` });
}
