/**
 * A scripted SIP user agent over UDP: binds one loopback address, sends what it is given and keeps what comes
 * back (capped). Plays callers, scanners and room systems in front of a SIP server or stand-in.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';

const MAX_KEPT_MESSAGES = 10_000;

export interface ReceivedSip {
  text: string;
  firstLine: string;
  status?: number;
  from: { address: string; port: number };
}

export class SipUdpAgent {
  readonly received: ReceivedSip[] = [];
  private constructor(
    private readonly socket: UdpSocket,
    readonly address: string,
    readonly port: number,
  ) {
    socket.on('message', (data, rinfo) => {
      if (this.received.length >= MAX_KEPT_MESSAGES) return;
      const text = data.toString('utf8');
      const firstLine = text.slice(0, Math.max(0, text.indexOf('\r\n')));
      const m = /^SIP\/2\.0 (\d{3}) /.exec(firstLine);
      const entry: ReceivedSip = { text, firstLine, from: { address: rinfo.address, port: rinfo.port } };
      if (m) entry.status = Number(m[1]);
      this.received.push(entry);
    });
  }

  /** Binds to `address` (any 127.x.y.z on Linux) on an ephemeral port. */
  static async open(address = '127.0.0.1'): Promise<SipUdpAgent> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, address, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new SipUdpAgent(socket, address, socket.address().port);
  }

  send(message: string | Uint8Array, port: number, host = '127.0.0.1'): void {
    this.socket.send(typeof message === 'string' ? Buffer.from(message, 'utf8') : message, port, host);
  }

  /** Responses whose Call-ID is `callId`. */
  responsesFor(callId: string): ReceivedSip[] {
    return this.received.filter((r) => r.status !== undefined && headerValue(r.text, 'call-id') === callId);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

/** The first value of a header in SIP text (case-insensitive name), or undefined. */
export function headerValue(text: string, name: string): string | undefined {
  const head = text.split('\r\n\r\n', 1)[0] ?? '';
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === name) return line.slice(colon + 1).trim();
  }
  return undefined;
}
