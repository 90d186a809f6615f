import { readFileSync } from 'node:fs';

/**
 * Room system accounts: SIP username → password. A room registers with its username as the AOR user
 * (`room-a@video.example.com` authenticates as `room-a`). Kept in a JSON file next to the config, e.g.
 * `{ "room-a": "a long random secret" }`.
 */
export type Accounts = ReadonlyMap<string, string>;

export function accountsFrom(record: Record<string, unknown>): Accounts {
  const map = new Map<string, string>();
  for (const [user, password] of Object.entries(record)) {
    if (typeof password !== 'string' || password.length === 0)
      throw new Error(`account ${user}: password must be a non-empty string`);
    map.set(user.toLowerCase(), password);
  }
  return map;
}

export function loadAccounts(path: string): Accounts {
  const data: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new Error(`${path}: expected an object of username → password`);
  return accountsFrom(data as Record<string, unknown>);
}
