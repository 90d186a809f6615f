import type { Guard, Logger } from '@ghostguard/core';
import { withMethods } from '@ghostguard/drachtio';
import type Srf from 'drachtio-srf';
import type { Accounts } from './accounts.js';
import type { Bindings } from './bindings.js';
import { targetUser } from './registrar.js';

export interface ProxyOptions {
  guard: Guard;
  accounts: Accounts;
  bindings: Bindings;
  logger: Logger;
}

/**
 * INVITEs that passed the guard go to the registered room they dial (drachtio-server proxies the transaction;
 * the call's media and later requests flow between the parties). A room that exists but is not registered now
 * gets 480 (offline: nothing the caller did wrong); a target that is no account gets 404 and is reported to the
 * guard as an unknown target (enumeration evidence).
 */
export function installProxy(app: Srf, o: ProxyOptions): void {
  const srf = withMethods(app);
  srf.invite(async (req, res) => {
    const user = targetUser(req.uri);
    const binding = user === undefined ? undefined : o.bindings.get(user);
    if (user !== undefined && binding === undefined && o.accounts.has(user)) {
      res.send(480);
      return;
    }
    if (user === undefined || binding === undefined) {
      res.send(404);
      o.guard.report({
        kind: 'unknown-target',
        source: { ip: req.source_address },
        ...(user ? { target: user.slice(0, 256) } : {}),
        adapter: 'drachtio',
      });
      return;
    }
    try {
      const result = (await srf.proxyRequest(req, [binding.contact])) as unknown as {
        connected: boolean;
        finalStatus?: number;
      };
      o.logger.info(
        {
          event: 'call-proxied',
          room: user,
          contact: binding.contact,
          status: result.finalStatus,
          connected: result.connected,
        },
        'call proxied to room',
      );
      if (result.connected)
        o.guard.report({ kind: 'completed-call', source: { ip: req.source_address }, adapter: 'drachtio' });
    } catch (err) {
      o.logger.warn({ event: 'proxy-failed', room: user, err }, 'could not proxy the call');
      if (!res.finalResponseSent) res.send(503);
    }
  });
}
