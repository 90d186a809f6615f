/**
 * Header names are case-insensitive and several have one-letter compact forms
 * (RFC 3261 §7.3.3 and the extensions that registered one).
 */
const COMPACT_FORMS: ReadonlyMap<string, string> = new Map([
  ['a', 'accept-contact'], // RFC 3841
  ['b', 'referred-by'], // RFC 3892
  ['c', 'content-type'],
  ['d', 'request-disposition'], // RFC 3841
  ['e', 'content-encoding'],
  ['f', 'from'],
  ['i', 'call-id'],
  ['j', 'reject-contact'], // RFC 3841
  ['k', 'supported'],
  ['l', 'content-length'],
  ['m', 'contact'],
  ['n', 'identity-info'], // RFC 4474
  ['o', 'event'], // RFC 6665
  ['r', 'refer-to'], // RFC 3515
  ['s', 'subject'],
  ['t', 'to'],
  ['u', 'allow-events'], // RFC 6665
  ['v', 'via'],
  ['x', 'session-expires'], // RFC 4028
  ['y', 'identity'], // RFC 4474
]);

/** Lowercase full name for any spelling: `V`, `via` and `VIA` all give `via`. */
export function canonicalHeaderName(name: string): string {
  const lower = name.toLowerCase();
  return lower.length === 1 ? (COMPACT_FORMS.get(lower) ?? lower) : lower;
}

/**
 * Headers whose grammar is a comma-separated list, so one line may carry several values
 * (`Via: a, b`). Others (User-Agent, Date, Authorization, WWW-Authenticate…) contain commas
 * that do not separate values and are never split.
 */
export const LIST_HEADERS: ReadonlySet<string> = new Set([
  'via',
  'contact',
  'route',
  'record-route',
  'path',
  'service-route',
  'allow',
  'allow-events',
  'supported',
  'require',
  'proxy-require',
  'unsupported',
  'accept',
  'accept-encoding',
  'accept-language',
  'accept-contact',
  'reject-contact',
  'content-encoding',
  'content-language',
  'in-reply-to',
  'alert-info',
  'call-info',
  'error-info',
  'reason',
  'p-asserted-identity', // RFC 3325 §9.1; like Remote-Party-ID, no compact form
  'remote-party-id', // draft-ietf-sip-privacy-04: rpid *(COMMA rpid)
]);
