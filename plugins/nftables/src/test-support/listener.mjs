// Runs inside the server namespace (ip netns exec <ns> node listener.mjs <port>): reports on stdout, one JSON line
// each, every UDP datagram and every TCP connection that reached a socket, with its source address.
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

const port = Number(process.argv[2]);
const say = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const plain = (a) => (a.startsWith('::ffff:') ? a.slice(7) : a);
let pending = 3;
const up = () => {
  if (--pending === 0) say({ ready: true });
};
for (const type of ['udp4', 'udp6']) {
  const s = createSocket({ type, ipv6Only: type === 'udp6' });
  s.on('message', (msg, rinfo) =>
    say({ proto: 'udp', from: plain(rinfo.address), line: msg.toString('latin1').split('\r\n')[0] }),
  );
  s.bind(port, type === 'udp4' ? '0.0.0.0' : '::', up);
}
const tcp = createServer((c) => {
  say({ proto: 'tcp', from: plain(c.remoteAddress ?? '') });
  c.destroy();
});
tcp.listen({ port, host: '::' }, up);
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
