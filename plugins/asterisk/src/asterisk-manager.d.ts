/**
 * Types for asterisk-manager 0.2.0, which ships none. Only what the plugin uses, as the library behaves
 * (lib/ami.js): events arrive with lower-cased keys and string values (repeated keys become arrays,
 * `Variable`/`ChanVariable` become objects); an action's callback gets the response as its error when the
 * response is `Error`.
 */
declare module 'asterisk-manager' {
  export type AmiValue = string | string[] | Record<string, string>;
  /** A response or event as the library parsed it. */
  export type AmiObject = Record<string, AmiValue | undefined>;
  export type AmiActionCallback = (err: AmiObject | Error | undefined, response?: AmiObject) => void;

  export interface ManagerInstance {
    readonly options: { port: number | undefined; host: string; username: string; password: string; events: boolean };
    on(event: string, listener: (...args: never[]) => void): ManagerInstance;
    once(event: string, listener: (...args: never[]) => void): ManagerInstance;
    removeListener(event: string, listener: (...args: never[]) => void): ManagerInstance;
    removeAllListeners(event?: string): ManagerInstance;
    listeners(event: string): Array<(...args: never[]) => void>;
    emit(event: string, ...args: unknown[]): boolean;
    /** Opens the socket (reused while not closed); `callback` runs on connect. */
    connect(port: number, host: string, callback?: () => void): void;
    /** Reconnects on close with its own 10–60 s delays; only works when called before the socket opens. */
    keepConnected(): void;
    /** Sends `Action: login` with the constructor's credentials; marks the session authenticated on success. */
    login(callback?: (err?: AmiObject | Error) => void): void;
    /** Sends an action (held until login when not authenticated); returns its ActionID. */
    action(action: Record<string, string | number | undefined>, callback?: AmiActionCallback): string;
    disconnect(callback?: () => void): void;
    isConnected(): boolean;
  }

  interface ManagerFactory {
    (port?: number, host?: string, username?: string, password?: string, events?: boolean): ManagerInstance;
    new (port?: number, host?: string, username?: string, password?: string, events?: boolean): ManagerInstance;
  }
  const Manager: ManagerFactory;
  export = Manager;
}
