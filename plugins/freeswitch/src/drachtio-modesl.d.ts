/**
 * The part of drachtio-modesl 1.3.1 (CommonJS, no types) that this adapter uses, including the internals it
 * has to reach: the per-connection `parser` (to make header decoding safe and cap buffering) and the inbound
 * `closing` flag (to switch off the library's own reconnect, which this adapter replaces).
 */
declare module 'drachtio-modesl' {
  import type { Server as NetServer, Socket } from 'node:net';

  export interface EslEvent {
    headers: Array<{ name: string; value: string }>;
    body: string;
    type: string;
    getHeader(name: string): string | undefined;
    getBody(): string;
    getType(): string;
  }

  export interface EslParser {
    buffer: Buffer;
    bodyLen: number;
    _parseHeaderText(text: string): Record<string, string | number>;
    _parseEvent(headers: Record<string, unknown>, body?: string): void;
  }

  // biome-ignore lint/suspicious/noExplicitAny: modesl passes different arguments per event name.
  type Listener = (...args: any[]) => void;

  export class Connection {
    /** Inbound: connects to host:port and authenticates with password. */
    constructor(host: string, port: number, password: string, ready?: () => void);
    /** Outbound: wraps a socket FreeSWITCH opened; sends `connect` at once. */
    constructor(socket: Socket, ready?: () => void);
    socket: Socket | null;
    parser?: EslParser;
    closing?: boolean;
    authed: boolean;
    on(event: string, listener: Listener): this;
    once(event: string, listener: Listener): this;
    off(event: string, listener: Listener): this;
    removeAllListeners(event?: string): this;
    getInfo(): EslEvent | null;
    send(command: string, args?: Record<string, string>): void;
    sendRecv(command: string, args: Record<string, string> | undefined, cb: (evt: EslEvent) => void): void;
    sendRecv(command: string, cb: (evt: EslEvent) => void): void;
    events(type: 'plain' | 'json' | 'xml', events: string | string[], cb?: (evt: EslEvent) => void): void;
    api(command: string, args: string | string[], cb?: (evt: EslEvent) => void): void;
    /** Sends `api <command>`; callbacks are queued and answered in order by each api/response. */
    api(command: string, cb: (evt: EslEvent) => void): void;
    disconnect(): void;
    connected(): boolean;
  }

  export class Server {
    constructor(opts: { server?: NetServer; port?: number; host?: string; myevents?: boolean }, ready?: () => void);
    server: NetServer;
    connections: Record<string, Connection>;
    on(event: string, listener: Listener): this;
    once(event: string, listener: Listener): this;
    removeAllListeners(event?: string): this;
    close(cb?: (err?: Error) => void): void;
    getCountOfConnections(): number;
  }

  const esl: { Connection: typeof Connection; Server: typeof Server };
  export default esl;
}
