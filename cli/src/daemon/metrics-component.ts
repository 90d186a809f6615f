import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@ghostguard/core';
import type { Component } from './component.js';
import { parseDaemonSection } from './daemon-config.js';
import { DaemonError } from './errors.js';
import { startHttpEndpoint } from './http-server.js';
import { isLoopback } from './loopback.js';
import type { DaemonMetrics } from './metrics.js';

function handler(metrics: DaemonMetrics, path: string, logger: Logger) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const pathname = (req.url ?? '/').split('?', 1)[0];
    req.resume();
    if (pathname !== path) {
      res.writeHead(404, { 'content-type': 'text/plain', connection: 'close' }).end('not found\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain', connection: 'close' }).end();
      return;
    }
    metrics.render().then(
      ({ contentType, body }) => {
        res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (err: unknown) => {
        logger.error({ event: 'metrics-error', err }, 'metrics collection failed');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain', connection: 'close' });
        res.end('metrics collection failed\n');
      },
    );
  };
}

/**
 * The Prometheus endpoint (`daemon.metrics`). The metrics count the guard's verdicts only while it runs
 * (judge() is timed only while someone listens); their registry outlives it, so counters survive restarts.
 */
export function metricsComponent(metrics: DaemonMetrics): Component {
  return {
    name: 'metrics',
    whenDown: 'no-calls',
    section(config) {
      const m = parseDaemonSection(config).metrics;
      return m === false ? undefined : m;
    },
    validate(config, origin) {
      parseDaemonSection(config, origin);
    },
    async start(guard, config, logger) {
      const section = parseDaemonSection(config).metrics;
      if (section === false) throw new DaemonError('GG_DAEMON_INTERNAL', 'metrics endpoint started while switched off');
      if (!isLoopback(section.listen.host)) {
        logger.warn(
          { event: 'metrics-not-loopback', host: section.listen.host },
          'metrics endpoint listens beyond loopback',
        );
      }
      metrics.attach(guard);
      try {
        const endpoint = await startHttpEndpoint(section.listen, handler(metrics, section.path, logger), (err) =>
          logger.error({ event: 'metrics-server-error', err }, 'metrics endpoint error'),
        );
        logger.info(
          { event: 'metrics-listening', ...endpoint.address, path: section.path },
          'metrics endpoint listening',
        );
        return {
          address: endpoint.address,
          close: async () => {
            metrics.detach();
            await endpoint.close();
          },
        };
      } catch (err) {
        metrics.detach();
        throw err;
      }
    },
  };
}
