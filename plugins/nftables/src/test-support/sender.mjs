// Runs inside the edge namespace (ip netns exec <ns> node sender.mjs): for each JSON line on stdin
// `{ id, proto, from, to, port }` sends a SIP INVITE over UDP from `from`, or opens a TCP connection from `from`
// (one SYN: the connect gives up after `wait` ms, before the kernel's first retransmission), and answers
// `{ id, sent }` or `{ id, connected }` on stdout.
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';

const say = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const invite = (to, from) =>
  Buffer.from(
    `INVITE sip:100@${to} SIP/2.0\r\nVia: SIP/2.0/UDP ${from}:5070;branch=z9hG4bK-probe\r\nFrom: "sipvicious"<sip:100@${from}>;tag=1\r\nTo: <sip:100@${to}>\r\nCall-ID: probe\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n`,
  );
createInterface({ input: process.stdin }).on('line', (line) => {
  const c = JSON.parse(line);
  if (c.proto === 'udp') {
    const s = createSocket(c.from.includes(':') ? 'udp6' : 'udp4');
    s.bind(0, c.from, () => {
      s.send(invite(c.to, c.from), c.port, c.to, (err) => {
        s.close();
        say({ id: c.id, sent: !err, error: err?.message });
      });
    });
    return;
  }
  const sock = connect({ host: c.to, port: c.port, localAddress: c.from });
  const timer = setTimeout(() => {
    sock.destroy();
    say({ id: c.id, connected: false });
  }, c.wait ?? 700);
  sock.on('connect', () => {
    clearTimeout(timer);
    sock.destroy();
    say({ id: c.id, connected: true });
  });
  sock.on('error', (err) => {
    clearTimeout(timer);
    say({ id: c.id, connected: false, error: err.message });
  });
});
