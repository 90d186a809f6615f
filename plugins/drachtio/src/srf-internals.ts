/**
 * The one place the plugin reaches into drachtio-srf beyond its documented API, each access guarded so a
 * different drachtio-srf version degrades to "not done" instead of an exception.
 */

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
