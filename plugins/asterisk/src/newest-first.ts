/**
 * Sets `key` as the newest entry of an insertion-ordered map, evicting the oldest one when the map already holds
 * `max` entries: a bounded record of recent events, constant time per call.
 */
export function putNewest<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  if (map.size >= max) {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
  map.set(key, value);
}
