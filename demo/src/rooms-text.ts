import type { Guard } from '@ghostguard/core';

/** The guard's room registry as demo lines: name, other names, where calls go, and where it came from. */
export function roomsText(guard: Guard): string[] {
  const rooms = guard.rooms.list();
  if (rooms.length === 0) return ['  room registry: empty (every dialled name is an unknown target)'];
  const lines = [`  room registry (${rooms.length}): what the dial-shape layer counts as a real destination`];
  for (const r of rooms) {
    const names = r.aliases.length > 0 ? ` (also ${r.aliases.join(', ')})` : '';
    const origin = r.static ? 'static' : `registered${r.adapter ? ` via ${r.adapter}` : ''}`;
    lines.push(`    ${r.aor}${names} -> ${r.contact || '(no address)'}  [${origin}]`);
  }
  return lines;
}
