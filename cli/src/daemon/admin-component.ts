import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Guard, type Logger, LogThrottle } from '@ghostguard/core';
import { BearerCheck } from './admin-auth.js';
import { routeAdmin } from './admin-routes.js';
import type { Component } from './component.js';
import { parseDaemonSection, resolveAdminToken } from './daemon-config.js';
import type { DaemonControl } from './daemon-types.js';
import { DaemonError, isDaemonError } from './errors.js';
import { sendError, sendJson } from './http-json.js';
import { startHttpEndpoint } from './http-server.js';
import { isLoopback } from './loopback.js';

export interface AdminComponentDeps {
  control: DaemonControl;
  /** A relative tokenFile is read from the configuration file's directory. */
  configPath: string;
  env: NodeJS.ProcessEnv;
}

function handler(check: BearerCheck, guard: Guard, control: DaemonControl, logger: Logger) {
  // Anyone who reaches the port can send wrong tokens at will: one line a second, with how many were not logged.
  const authFailedLog = new LogThrottle(1000);
  return (req: IncomingMessage, res: ServerResponse): void => {
    const method = req.method ?? 'GET';
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://admin.invalid');
    } catch {
      sendError(res, new DaemonError('GG_ADMIN_BAD_REQUEST', 'unreadable request URL'));
      req.resume();
      return;
    }
    const pathname = url.pathname;
    const auth = check.check(req.headers.authorization);
    if (auth !== 'ok') {
      // Logged without the header: a wrong token is often a real token for something else.
      const suppressed = authFailedLog.take();
      if (suppressed !== undefined) {
        logger.warn(
          {
            event: 'admin-auth-failed',
            remote: req.socket.remoteAddress,
            method,
            path: pathname.slice(0, 128),
            auth,
            suppressed,
          },
          auth === 'missing' ? 'admin request without a token refused' : 'admin request with a wrong token refused',
        );
      }
      const err =
        auth === 'missing'
          ? new DaemonError('GG_ADMIN_UNAUTHORIZED', 'send Authorization: Bearer <token>')
          : new DaemonError('GG_ADMIN_FORBIDDEN', 'wrong token');
      sendError(res, err, { 'www-authenticate': 'Bearer realm="ghostguard"' });
      req.resume();
      return;
    }
    routeAdmin({ guard, control, logger }, method, url, req).then(
      (reply) => sendJson(res, reply.status, reply.body),
      (err: unknown) => {
        if (isDaemonError(err)) {
          sendError(res, err);
          req.resume();
          return;
        }
        logger.error({ event: 'admin-error', err, method, path: pathname.slice(0, 128) }, 'admin request failed');
        sendError(res, new DaemonError('GG_ADMIN_INTERNAL', 'internal error (see the daemon log)'));
      },
    );
  };
}

/**
 * The admin endpoint (`daemon.admin`): bans, rooms, stats, reload behind a bearer token. It refuses to start
 * without a token (a configuration error), so it can never be open by accident.
 */
export function adminComponent(deps: AdminComponentDeps): Component {
  const adminOf = (config: Parameters<Component['section']>[0]) => {
    const admin = parseDaemonSection(config).admin;
    return admin === false ? undefined : admin;
  };
  return {
    name: 'admin',
    whenDown: 'no-calls',
    section(config) {
      const admin = adminOf(config);
      if (admin === undefined) return undefined;
      // A new token (in tokenFile or the environment) restarts the endpoint even when the file's keys did not change.
      const digest = createHash('sha256')
        .update(resolveAdminToken(admin, { configPath: deps.configPath, env: deps.env }))
        .digest('hex');
      return { listen: admin.listen, token: digest };
    },
    validate(config, origin) {
      const admin = parseDaemonSection(config, origin).admin;
      if (admin !== false) resolveAdminToken(admin, { configPath: deps.configPath, env: deps.env });
    },
    async start(guard, config, logger) {
      const admin = adminOf(config);
      if (admin === undefined) throw new DaemonError('GG_DAEMON_INTERNAL', 'admin endpoint started while switched off');
      const check = new BearerCheck(resolveAdminToken(admin, { configPath: deps.configPath, env: deps.env }));
      if (!isLoopback(admin.listen.host)) {
        logger.warn(
          { event: 'admin-not-loopback', host: admin.listen.host },
          'the admin endpoint listens beyond loopback: anyone who can reach it and knows the token can lift bans',
        );
      }
      const endpoint = await startHttpEndpoint(admin.listen, handler(check, guard, deps.control, logger), (err) =>
        logger.error({ event: 'admin-server-error', err }, 'admin endpoint error'),
      );
      logger.info({ event: 'admin-listening', ...endpoint.address }, 'admin endpoint listening');
      return { close: () => endpoint.close(), address: endpoint.address };
    },
  };
}
