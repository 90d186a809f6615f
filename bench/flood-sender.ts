/**
 * The flood bench's scanner: runs inside the client namespace (bench/flood-net.ts) as its own process, driven over
 * IPC by bench/flood.ts. It sends SIPVicious-shaped INVITEs from many source addresses at a paced rate, one UDP socket
 * per source address, round-robin over the sources. The port is 5060, svmap's default local port (it takes the next
 * free one when that is busy: the recording shows 5061 because Kamailio held 5060 on that host).
 *
 * The INVITE is the svmap INVITE recorded against Kamailio 5.6.3
 * (/work/shared/fixtures/sipvicious-0.3.3/kamailio-svmap-invite.sip.txt): the same header order and values, with
 * the Via/Contact address the sending source, the Request-URI host the server, and the Via branch and Call-ID
 * numbers changing per packet (svmap draws them at random per request; here a counter makes every INVITE a new
 * transaction).
 *
 * Pacing: a 1 ms timer sends what is due since the start (no busy loop, so an idle sender leaves the CPU to the
 * servers); the rate actually sent is measured and reported, and the bench prints it beside the rate asked for.
 */
import { createSocket, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';

export type SenderRequest =
  | { type: 'bind'; sources: readonly string[] | { prefix: 'wide'; count: number } }
  | { type: 'run'; rate: number; seconds: number; host: string; port: number }
  | { type: 'close' };

export type SenderReply =
  | { type: 'bound'; sockets: number; failed: number }
  | { type: 'done'; sent: number; seconds: number; errors: number; cpu: number };

/** Width of the per-packet counters written into the template. */
const DIGITS = 10;

function wideAddress(i: number): string {
  return `10.200.${(i >> 8) & 63}.${i & 255}`;
}

interface Source {
  socket: Socket;
  template: Buffer;
  branchAt: number;
  callIdAt: number;
  /** Template per server address. */
  host: string;
}

function svmapInvite(host: string, source: string): { text: string; branchAt: number; callIdAt: number } {
  const branchMark = 'B'.repeat(DIGITS);
  const callMark = 'C'.repeat(DIGITS);
  const text = [
    `INVITE sip:100@${host} SIP/2.0`,
    `Via: SIP/2.0/UDP ${source}:5060;branch=z9hG4bK-${branchMark};rport`,
    'Max-Forwards: 70',
    'To: "sipvicious"<sip:100@1.1.1.1>',
    'From: "sipvicious"<sip:100@1.1.1.1>;tag=3766303030303031313363340132303031323231343935',
    'User-Agent: friendly-scanner',
    `Call-ID: ${callMark}63685615206017`,
    `Contact: sip:100@${source}:5060`,
    'CSeq: 1 INVITE',
    'Accept: application/sdp',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  return { text, branchAt: text.indexOf(branchMark), callIdAt: text.indexOf(callMark) };
}

function writeDigits(buf: Buffer, at: number, n: number): void {
  for (let i = DIGITS - 1; i >= 0; i--) {
    buf[at + i] = 48 + (n % 10);
    n = Math.floor(n / 10);
  }
}

async function bindAll(addresses: readonly string[]): Promise<{ sockets: Array<Socket | undefined>; failed: number }> {
  let failed = 0;
  const sockets = await Promise.all(
    addresses.map(
      (address) =>
        new Promise<Socket | undefined>((resolve) => {
          const s = createSocket({ type: 'udp4', reuseAddr: false });
          s.once('error', () => {
            failed++;
            s.close();
            resolve(undefined);
          });
          s.bind(5060, address, () => {
            s.removeAllListeners('error');
            s.on('error', () => {});
            // What the server answers is not read by the scanner's logic; the datagrams are consumed and dropped.
            s.on('message', () => {});
            resolve(s);
          });
        }),
    ),
  );
  return { sockets, failed };
}

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function main(): void {
  let sources: Array<{ address: string; socket: Socket }> = [];
  let prepared: Source[] = [];
  let counter = 1;

  const prepare = (host: string): void => {
    if (prepared.length === sources.length && prepared[0]?.host === host) return;
    prepared = sources.map(({ address, socket }) => {
      const t = svmapInvite(host, address);
      return { socket, template: Buffer.from(t.text, 'latin1'), branchAt: t.branchAt, callIdAt: t.callIdAt, host };
    });
  };

  const run = (m: Extract<SenderRequest, { type: 'run' }>): void => {
    prepare(m.host);
    const t0 = performance.now();
    const c0 = cpuSeconds();
    const end = t0 + m.seconds * 1000;
    const unlimited = !Number.isFinite(m.rate);
    // A burst never exceeds 20 ms worth of packets, so a stalled sender does not dump a backlog at once.
    const maxBurst = unlimited ? 2_000 : Math.max(1, Math.ceil(m.rate / 50));
    let sent = 0;
    let errors = 0;
    let next = 0;
    const count = prepared.length;
    const onSent = (err: Error | null): void => {
      if (err) errors++;
    };
    const pump = (): void => {
      const now = performance.now();
      if (now >= end) {
        process.send?.({
          type: 'done',
          sent,
          seconds: (now - t0) / 1000,
          errors,
          cpu: cpuSeconds() - c0,
        } satisfies SenderReply);
        return;
      }
      const due = unlimited ? maxBurst : Math.min(maxBurst, Math.floor(((now - t0) * m.rate) / 1000) - sent);
      for (let k = 0; k < due; k++) {
        const s = prepared[next]!;
        next = next + 1 === count ? 0 : next + 1;
        const buf = Buffer.allocUnsafe(s.template.length);
        s.template.copy(buf);
        const n = counter++ % 1e10;
        writeDigits(buf, s.branchAt, n);
        writeDigits(buf, s.callIdAt, n);
        s.socket.send(buf, m.port, m.host, onSent);
        sent++;
      }
      if (unlimited) setImmediate(pump);
      else setTimeout(pump, 1);
    };
    pump();
  };

  process.on('message', (m: SenderRequest) => {
    if (m.type === 'bind') {
      const addresses = Array.isArray(m.sources)
        ? (m.sources as readonly string[])
        : Array.from({ length: (m.sources as { count: number }).count }, (_, i) => wideAddress(i + 1));
      for (const s of sources) s.socket.close();
      void bindAll(addresses).then(({ sockets, failed }) => {
        sources = [];
        sockets.forEach((socket, i) => {
          if (socket) sources.push({ address: addresses[i]!, socket });
        });
        prepared = [];
        process.send?.({ type: 'bound', sockets: sources.length, failed } satisfies SenderReply);
      });
    } else if (m.type === 'run') run(m);
    else {
      for (const s of sources) s.socket.close();
      process.disconnect();
    }
  });
}

main();
