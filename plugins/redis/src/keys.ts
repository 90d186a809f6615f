/** Names in Redis: one key per ban, one channel for every node. The prefix holds no glob characters (options). */
export interface KeyNames {
  /** `<prefix>ban:<ip>`: the ban's JSON, expiring with the ban (PX). */
  ban(ip: string): string;
  /** The ip a ban key names, or undefined for a key that is not one. */
  ipOf(key: string): string | undefined;
  /** `<prefix>lifted:<ip>`: when a ban on it was last lifted by hand (ms), so that no node pushes it back. */
  lifted(ip: string): string;
  /** SCAN MATCH pattern for every ban key. */
  readonly banPattern: string;
  /** `<prefix>bans`: ban and unban messages between nodes. */
  readonly channel: string;
}

export function keyNames(prefix: string): KeyNames {
  const banPrefix = `${prefix}ban:`;
  return {
    ban: (ip) => banPrefix + ip,
    lifted: (ip) => `${prefix}lifted:${ip}`,
    ipOf: (key) =>
      key.startsWith(banPrefix) && key.length > banPrefix.length ? key.slice(banPrefix.length) : undefined,
    banPattern: `${banPrefix}*`,
    channel: `${prefix}bans`,
  };
}
