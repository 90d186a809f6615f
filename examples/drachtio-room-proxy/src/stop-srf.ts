import type Srf from 'drachtio-srf';

interface WireProtocolInternals {
  closing?: boolean;
  reconnectVars?: { retryTimer?: NodeJS.Timeout | null };
}

/**
 * Ends an Srf's connection to drachtio-server. `srf.disconnect()` throws when no connection was ever made (a
 * refused first attempt), and drachtio-srf then retries for good with no API to stop it: in that case the retry
 * loop is stopped the way drachtio-srf's own disconnect does (its `closing` flag), and the pending retry cleared.
 */
export function stopSrf(srf: Srf): void {
  try {
    srf.disconnect();
    return;
  } catch {
    // never connected: fall through
  }
  const wp = (srf as unknown as { app?: { client?: { wp?: WireProtocolInternals } } }).app?.client?.wp;
  if (wp === undefined) return;
  wp.closing = true;
  if (wp.reconnectVars?.retryTimer) clearTimeout(wp.reconnectVars.retryTimer);
  if (wp.reconnectVars) wp.reconnectVars.retryTimer = null;
}
