import { createRequire } from 'node:module';
import type { Socket } from 'node:net';

/** The `net` module object asterisk-manager's lib/ami.js holds (`require('net')`). */
const net = createRequire(import.meta.url)('node:net') as typeof import('node:net');

/**
 * Runs `open` (which makes asterisk-manager call `Net.createConnection`) and returns the socket it created.
 * asterisk-manager keeps its socket private; the adapter needs it to cap the bytes of one message (the library
 * buffers lines until a blank line, without limit) and to close it at once. The swap is synchronous and undone
 * before returning, so no other caller can see it.
 */
export function captureSocket(open: () => void): Socket | undefined {
  const original = net.createConnection;
  let socket: Socket | undefined;
  net.createConnection = ((...args: Parameters<typeof original>) => {
    socket = original(...args);
    return socket;
  }) as typeof original;
  try {
    open();
  } finally {
    net.createConnection = original;
  }
  return socket;
}
