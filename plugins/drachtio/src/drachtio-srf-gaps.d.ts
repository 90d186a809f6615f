/**
 * drachtio-srf 5.0.29 ships types that miss what this plugin and its example use; patched here, in one place.
 * The module is `export = Srf` (a class merged with a namespace): an augmentation can add to the namespace's
 * interfaces but not to the class itself, so the class's missing members are declared as `Srf.Methods` and
 * reached with `withMethods(srf)` (plugins/drachtio/src/srf-types.ts).
 * - request fields set from drachtio-server's leader: `receivedOn`, `stackTxnId`, `stackDialogId`, `agent`,
 *   `socket` (`source_port` is declared `string` but is a number at run time: the plugin reads it as unknown);
 * - Response's `'end'` event (emitted with the final status) and `res.send(status)` alone;
 * - per-method registration (`srf.register(...)`, `srf.options(...)`…, one per SIP method at run time),
 *   `srf.use(method, …)` with a `next` that takes an error, `srf.app` (whose `stack` holds the layers).
 */
import 'drachtio-srf';

declare module 'drachtio-srf' {
  type Handler = (req: SrfRequest, res: SrfResponse, next: (err?: unknown) => void) => void;

  interface SrfRequest {
    /** `host:port` of the drachtio-server SIP address the request arrived on. */
    receivedOn?: string;
    stackTxnId?: string;
    stackDialogId?: string;
    agent?: unknown;
    socket?: unknown;
    /** Set by drachtio-mw-digest-auth once it has parsed Authorization / Proxy-Authorization. */
    authorization?: { username?: string; realm?: string };
  }

  interface SrfResponse {
    once(event: 'end', listener: (final: { status: number; reason: string }) => void): this;
    on(event: 'end', listener: (final: { status: number; reason: string }) => void): this;
    send(status: number): void;
    send(status: number, opts: { headers?: Record<string, string>; body?: string }): void;
  }

  /** Members every Srf instance has at run time that the bundled class declaration lacks. */
  interface Methods {
    readonly app: { stack: Array<{ method: string; handle: unknown }> };
    use(method: string, ...handlers: Handler[]): void;
    register(...handlers: Handler[]): void;
    options(...handlers: Handler[]): void;
    subscribe(...handlers: Handler[]): void;
    message(...handlers: Handler[]): void;
    notify(...handlers: Handler[]): void;
    info(...handlers: Handler[]): void;
    invite(...handlers: Handler[]): void;
    disconnect(): void;
  }
}
