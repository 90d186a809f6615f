import { z } from 'zod';

/**
 * APIBAN's `banned` answers, as its reference clients read them:
 * - 200 `{"ipaddress": [...], "ID": "<next id>"}`: a page; ask again from ID.
 * - 400 `{"ipaddress": ["no new bans"], "ID": "none"}`: nothing newer than the ID asked for.
 * - 400 `{"ipaddress": "rate limit exceeded", …}`: too many requests; wait.
 * - 400/403 `{"ID": "unauthorized"}`: bad key.
 */
export type ApibanPage =
  | { kind: 'page'; ips: string[]; nextId: string }
  | { kind: 'done' }
  | { kind: 'rate-limited' }
  | { kind: 'unauthorized' }
  | { kind: 'error'; detail: string };

const Body = z.object({
  ID: z.union([z.string(), z.number()]).transform(String).optional(),
  ipaddress: z.union([z.array(z.string()), z.string()]).optional(),
});

/** The first page of a full pull starts here (the reference clients' starting ID). */
export const APIBAN_FIRST_ID = '100';

export function interpretApiban(status: number, text: string): ApibanPage {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: 'error', detail: `HTTP ${status} with a body that is not JSON` };
  }
  const parsed = Body.safeParse(json);
  if (!parsed.success) return { kind: 'error', detail: `HTTP ${status} with an unexpected JSON shape` };
  const { ID: id, ipaddress } = parsed.data;
  if (ipaddress === 'rate limit exceeded') return { kind: 'rate-limited' };
  if (id === 'unauthorized') return { kind: 'unauthorized' };
  if (id === 'none') return { kind: 'done' };
  if (status === 200 && id !== undefined && /^\d{1,20}$/.test(id) && Array.isArray(ipaddress)) {
    return { kind: 'page', ips: ipaddress, nextId: id };
  }
  return { kind: 'error', detail: `HTTP ${status}${id ? ` (ID ${JSON.stringify(id.slice(0, 40))})` : ''}` };
}
