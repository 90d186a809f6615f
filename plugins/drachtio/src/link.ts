/**
 * Where the plugin meets drachtio-srf: the layer's shape, routing the guarded methods on an Srf, moving the
 * guard's layer to the front, and forgetting an INVITE the guard never answers. The plugin reaches into
 * drachtio-srf beyond its documented API only here, each access guarded so a different drachtio-srf version
 * degrades to "not done" instead of an exception.
 *
 * There is no connection of the plugin's own: drachtio-srf sends its routes to drachtio-server on every
 * (re)connect, so a layer routed before `srf.connect()` or after is in force as soon as the app is connected.
 */
import type { Logger } from '@ghostguard/core';
import type { DrachtioRequestLike } from './attempt.js';

/**
 * The part of an `Srf` instance the plugin uses (an `Srf` is one): `use(method, handler)`. Typed loosely because
 * drachtio-srf declares `use` as overloads whose handler types differ from the plugin's request view.
 */
export interface SrfLike {
  use: (...args: never[]) => unknown;
  readonly app?: unknown;
}

/** What the plugin needs of a drachtio-srf request: its text and source, the CANCEL event, drachtio-srf's links. */
export interface GuardedRequest extends DrachtioRequestLike {
  once(event: 'cancel', listener: () => void): unknown;
  removeListener(event: 'cancel', listener: () => void): unknown;
  /** drachtio-server sets it on a request it matched to a dialog an app owns. */
  stackDialogId?: unknown;
  agent?: unknown;
  socket?: unknown;
  get?: (name: string) => unknown;
}
export interface GuardedResponse {
  send(status: number): void;
}
export type Next = (err?: unknown) => void;
export type GuardMiddleware = (req: GuardedRequest, res: GuardedResponse, next: Next) => void;

type UseMethod = (method: string, handler: GuardMiddleware) => unknown;

/**
 * Routes each of `methods` to `layer` (drachtio-server forwards only methods some app routed, so a `'*'` layer alone
 * would never see an unrouted REGISTER or OPTIONS) and moves the layer before the app's handlers, wherever they
 * were registered. drachtio-srf has no way to take a route back: the layer stays routed for the app's lifetime.
 */
export function routeLayer(srf: SrfLike, methods: readonly string[], layer: GuardMiddleware, log: Logger): void {
  const use = srf.use as unknown as UseMethod;
  for (const method of methods) use.call(srf, method, layer);
  if (!moveLayersToFront(srf.app, new Set([layer]))) {
    log.warn(
      { event: 'layer-order-unknown' },
      'could not place the guard before existing handlers: attach it before registering them',
    );
  }
}

interface Layer {
  method: string;
  handle: unknown;
}

/**
 * Moves the guard's layers to run right after drachtio-srf's own dialog layer (the first layer an `Srf` installs,
 * which only takes in-dialog requests), so the guard sees a request before every handler however early the app
 * registered them. Returns false when the app's layer stack is not where drachtio-srf 5 keeps it.
 */
export function moveLayersToFront(app: unknown, handles: ReadonlySet<unknown>): boolean {
  const stack = (app as { stack?: unknown } | undefined)?.stack;
  if (!Array.isArray(stack)) return false;
  const ours = (stack as Layer[]).filter((l) => handles.has(l.handle));
  const others = (stack as Layer[]).filter((l) => !handles.has(l.handle));
  const insertAt = Math.min(1, others.length);
  stack.length = 0;
  stack.push(...others.slice(0, insertAt), ...ours, ...others.slice(insertAt));
  return true;
}

interface AgentLike {
  mapServer?: Map<unknown, { pendingNetworkInvites?: Map<unknown, unknown> }>;
}

interface RequestInternals {
  agent?: unknown;
  socket?: unknown;
  get?: (name: string) => unknown;
}

/**
 * drachtio-srf remembers every incoming INVITE (`pendingNetworkInvites`, keyed by Call-ID) until the app sends a
 * final response, so that a later CANCEL can find it. An INVITE the guard drops (or holds and then leaves
 * unanswered) never gets one: without this, each dropped scanner INVITE would stay in the app's memory for good.
 * Returns whether an entry was removed.
 */
export function forgetPendingInvite(req: RequestInternals): boolean {
  try {
    const agent = req.agent as AgentLike | undefined;
    const entry = agent?.mapServer?.get(req.socket);
    const callId = typeof req.get === 'function' ? req.get('call-id') : undefined;
    return entry?.pendingNetworkInvites?.delete(callId) ?? false;
  } catch {
    return false;
  }
}

/** The part of an Srf's events the connection watcher listens to (drachtio-srf 5 re-emits its wire protocol's). */
export interface SrfEvents {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  removeListener(event: string, listener: (...args: unknown[]) => void): unknown;
}

export interface ConnectionWatch {
  /** True while the Srf is connected and authenticated. */
  readonly connected: boolean;
  /** Stops logging (call before `srf.disconnect()`: the close that follows is ours, not a lost connection). */
  stop(): void;
}

interface ErrorLike {
  code?: unknown;
  message?: unknown;
}

/** What a connection error says, without its stack: the code and the message. */
function errorFields(err: unknown): { code?: string; detail?: string } {
  const e = (typeof err === 'object' && err !== null ? err : {}) as ErrorLike;
  const out: { code?: string; detail?: string } = {};
  if (typeof e.code === 'string') out.code = e.code;
  if (typeof e.message === 'string') out.detail = e.message.slice(0, 200);
  return out;
}

/**
 * Logs an Srf's connection to drachtio-server the way every ghostguard link does: one line when it comes up, one
 * warn line when it drops, one line when it is back (with how long it was down and how many attempts it took), and
 * each failed retry at debug, without a stack trace. It is also the Srf's `error` listener, which drachtio-srf
 * needs (an unlistened `error` event crashes the process on a refused connection). drachtio-srf retries by
 * itself (0.15 s growing by 1.7×; the restart recordings in drachtio-server-0.9.10 show 0.4 → 6 s).
 */
export function watchSrfConnection(srf: SrfEvents, log: Logger, now: () => number = Date.now): ConnectionWatch {
  let connected = false;
  let everConnected = false;
  let stopped = false;
  let downSince: number | undefined;
  let attempts = 0;
  let warnedUnreachable = false;

  const dropped = (err?: unknown): void => {
    connected = false;
    downSince = now();
    attempts = 0;
    log.warn(
      { event: 'drachtio-disconnected', ...(err === undefined ? {} : errorFields(err)) },
      'connection to drachtio-server lost; reconnecting',
    );
  };
  const onConnect = (err: unknown, hostport?: unknown, serverVersion?: unknown): void => {
    if (stopped) return;
    if (err) {
      log.error(
        { event: 'drachtio-auth-failed', ...errorFields(err) },
        'drachtio-server refused the connection (check the secret)',
      );
      return;
    }
    const fields = {
      hostport: typeof hostport === 'string' ? hostport : undefined,
      serverVersion: typeof serverVersion === 'string' ? serverVersion : undefined,
    };
    if (everConnected) {
      log.info(
        {
          event: 'drachtio-reconnected',
          ...fields,
          downForMs: downSince === undefined ? undefined : now() - downSince,
          attempts,
        },
        'reconnected to drachtio-server',
      );
    } else {
      log.info({ event: 'drachtio-connected', ...fields, attempts }, 'connected to drachtio-server');
    }
    connected = true;
    everConnected = true;
    downSince = undefined;
    attempts = 0;
  };
  const onError = (err: unknown): void => {
    if (stopped) return;
    if (connected) {
      dropped(err);
      return;
    }
    attempts++;
    if (!everConnected && !warnedUnreachable) {
      warnedUnreachable = true;
      log.warn({ event: 'drachtio-unreachable', ...errorFields(err) }, 'cannot reach drachtio-server; retrying');
      return;
    }
    log.debug({ event: 'drachtio-retry', attempt: attempts, ...errorFields(err) }, 'drachtio-server still unreachable');
  };
  const onClose = (): void => {
    if (stopped || !connected) return;
    dropped();
  };
  const listeners: Array<[string, (...args: unknown[]) => void]> = [
    ['connect', onConnect as (...args: unknown[]) => void],
    ['error', onError as (...args: unknown[]) => void],
    ['close', onClose],
  ];
  for (const [event, listener] of listeners) srf.on(event, listener);
  return {
    get connected() {
      return connected;
    },
    stop: () => {
      stopped = true;
      // The error listener stays: drachtio-srf may still emit one while closing, and an unlistened one throws.
      for (const [event, listener] of listeners) if (event !== 'error') srf.removeListener(event, listener);
    },
  };
}
