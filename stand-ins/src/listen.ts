import type { Server } from 'node:net';

/** Listens on `host:port` (0: a free port) and resolves with the port bound; rejects with the listen error. */
export async function listenOn(server: Server, host: string, port: number, what: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address !== 'object') throw new Error(`${what}: no address`);
  return address.port;
}
