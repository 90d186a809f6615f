/** A drachtio-srf app connected to a drachtio-server (the demo's and the tests': the stand-in), with its errors collected. */
import Srf from 'drachtio-srf';

export interface ConnectedApp {
  srf: Srf;
  /** Errors drachtio-srf emitted (a refused connection, a lost one). */
  errors: Error[];
  close(): void;
}

/** Connects a new Srf to `host:port` with `secret`; `setup` runs before connecting (attach the guard, add handlers). */
export async function connectApp(
  server: { host: string; port: number; secret: string },
  setup: (srf: Srf) => void = () => {},
  timeoutMs = 10_000,
): Promise<ConnectedApp> {
  const srf = new Srf();
  const errors: Error[] = [];
  // Without an 'error' listener a refused or lost connection throws out of the process.
  srf.on('error', (err: Error) => {
    errors.push(err);
  });
  setup(srf);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`drachtio-srf did not connect within ${timeoutMs} ms`)), timeoutMs);
    srf.on('connect', (err: Error | null) => {
      clearTimeout(timer);
      if (err) reject(err);
      else resolve();
    });
    srf.connect({ host: server.host, port: server.port, secret: server.secret });
  });
  return {
    srf,
    errors,
    close: () => {
      try {
        srf.disconnect();
      } catch {
        // already disconnected
      }
    },
  };
}
