import { randomUUID } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { readCapture } from '@ghostguard/core/capture';
import { waitUntil } from '@ghostguard/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame, FrameReader } from './framing.js';
import { type DrachtioServerPeer, startDrachtioServerPeer } from './server.js';

const SECRET = 'realpeers-secret';
const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

/** A raw admin-port client: what drachtio-srf's wire protocol does, by hand. */
class RawApp {
  readonly frames: string[] = [];
  closed = false;
  private constructor(readonly socket: Socket) {
    const reader = new FrameReader();
    socket.on('data', (d) => this.frames.push(...reader.push(d)));
    socket.on('close', () => {
      this.closed = true;
    });
    socket.on('error', () => {});
  }
  static async open(peer: DrachtioServerPeer): Promise<RawApp> {
    const socket = connect({ host: peer.host, port: peer.adminPort });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const app = new RawApp(socket);
    closers.push(() => {
      socket.destroy();
    });
    return app;
  }
  send(payload: string): string {
    const id = randomUUID();
    this.socket.write(encodeFrame(`${id}|${payload}`));
    return id;
  }
  async request(payload: string): Promise<string[]> {
    const id = this.send(payload);
    await waitUntil(
      () => this.frames.some((f) => f.split('|')[2] === id),
      5_000,
      `the response to ${payload.slice(0, 20)}`,
    );
    return this.frames
      .find((f) => f.split('|')[2] === id)!
      .split('\r\n')[0]!
      .split('|');
  }
  sipFrames(): string[] {
    return this.frames.filter((f) => f.split('|')[1] === 'sip');
  }
}

class Ua {
  readonly got: string[] = [];
  private constructor(
    readonly socket: UdpSocket,
    readonly port: number,
  ) {
    socket.on('message', (m) => this.got.push(m.toString('utf8')));
  }
  static async open(address = '127.0.0.1'): Promise<Ua> {
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, address, () => r()));
    const ua = new Ua(s, s.address().port);
    closers.push(() => new Promise<void>((r) => s.close(() => r())));
    return ua;
  }
  send(text: string, port: number): void {
    this.socket.send(Buffer.from(text), port, '127.0.0.1');
  }
}

const recording = (file: string) => new URL(`./__fixtures__/drachtio-server-0.9.10/${file}`, import.meta.url);

async function start(timers = {}): Promise<DrachtioServerPeer> {
  const peer = await startDrachtioServerPeer({ secret: SECRET, timers });
  closers.push(() => peer.close());
  return peer;
}

async function routedApp(peer: DrachtioServerPeer, ...verbs: string[]): Promise<RawApp> {
  const app = await RawApp.open(peer);
  await app.request(`authenticate|${SECRET}|`);
  for (const v of verbs) expect((await app.request(`route|${v}`))[3]).toBe('OK');
  return app;
}

const invite = (port: number, branch = 'z9hG4bK-1213340533', callId = '96735918242087678274457') =>
  [
    'INVITE sip:100@127.0.0.1 SIP/2.0',
    `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=${branch};rport`,
    'Max-Forwards: 70',
    'To: "sipvicious"<sip:100@1.1.1.1>',
    'From: "sipvicious"<sip:100@1.1.1.1>;tag=3766303030303031313364380131393237313739373531',
    'User-Agent: friendly-scanner',
    `Call-ID: ${callId}`,
    `Contact: sip:100@127.0.0.1:${port}`,
    'CSeq: 1 INVITE',
    'Accept: application/sdp',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');

/** The app's response exactly as drachtio-srf writes it (recorded: Call-ID, cseq, from, to, Content-Length). */
const appResponse = (status: string) =>
  [
    `SIP/2.0 ${status}`,
    'Call-ID: 96735918242087678274457',
    'cseq: 1 INVITE',
    'from: "sipvicious"<sip:100@1.1.1.1>;tag=3766303030303031313364380131393237313739373531',
    'to: "sipvicious"<sip:100@1.1.1.1>',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');

describe('drachtio-server stand-in', () => {
  it('authenticates like the recording (v0.9.10 and its version string) and refuses a wrong secret', async () => {
    const peer = await start();
    const good = await RawApp.open(peer);
    const ok = await good.request(`authenticate|${SECRET}|`);
    const follow = readFileSync(recording('drop-behaviour.admin-9122.follow.txt'), 'utf8');
    const recorded = /#[0-9a-f-]{36}\|response\|[0-9a-f-]{36}\|(OK\|[^\r\n]*)/.exec(follow)![1]!;
    expect(recorded).toBe('OK|udp/127.0.0.1:5180|v0.9.10|udp/127.0.0.1:5180');
    expect(ok.slice(1, 2)).toEqual(['response']);
    expect(ok.slice(3).join('|')).toBe(recorded.replaceAll(':5180', `:${peer.sipPort}`));
    // A build without git metadata calls itself 1.0.0 (drachtio-server-1.0.0/wire-session.follow.txt).
    const built = await startDrachtioServerPeer({ secret: SECRET, version: '1.0.0' });
    closers.push(() => built.close());
    const app = await RawApp.open(built);
    expect((await app.request(`authenticate|${SECRET}|`))[5]).toBe('1.0.0');
    const bad = await RawApp.open(peer);
    expect((await bad.request('authenticate|nope|'))[3]).toBe('NOK');
    await waitUntil(() => bad.closed, 5_000, 'the close');
    expect(peer.stats().adminRejected).toBe(1);
  });

  it('answers 100 Trying before the app sees an INVITE, and forwards it verbatim but for rport', async () => {
    const peer = await start();
    const app = await routedApp(peer, 'invite');
    const ua = await Ua.open();
    const text = invite(ua.port);
    ua.send(text, peer.sipPort);
    await waitUntil(() => app.sipFrames().length === 1 && ua.got.length === 1, 5_000, 'the INVITE');
    expect(ua.got[0]!.split('\r\n')[0]).toBe('SIP/2.0 100 Trying');
    expect(ua.got[0]).toContain(`rport=${ua.port}`);
    expect(ua.got[0]).toMatch(/\r\nTo: "sipvicious" <sip:100@1\.1\.1\.1>\r\n/);
    const [leader, ...rest] = app.sipFrames()[0]!.split('\r\n');
    const t = leader!.split('|');
    expect(t.slice(1, 7)).toEqual([
      'sip',
      'network',
      String(Buffer.byteLength(text)),
      'udp',
      '127.0.0.1',
      String(ua.port),
    ]);
    expect(t[7]).toMatch(/^\d\d:\d\d:\d\d\.\d{6}$/);
    expect(t[8]).toMatch(/^[0-9a-f-]{36}$/);
    expect(t.slice(9)).toEqual(['', '127.0.0.1', String(peer.sipPort), '']);
    expect(rest.join('\r\n')).toBe(text.replace(';rport\r\n', `;rport=${ua.port}\r\n`));
  });

  it('turns app responses into wire responses (sofia header order, one To-tag) and echoes them', async () => {
    const peer = await start({ t1: 50, t2: 200, timerH: 2_000 });
    const app = await routedApp(peer, 'invite');
    const ua = await Ua.open();
    ua.send(invite(ua.port), peer.sipPort);
    await waitUntil(() => app.sipFrames().length === 1, 5_000, 'the INVITE');
    const txnId = app.sipFrames()[0]!.split('|')[8]!;
    const ringing = app.send(`sip|${txnId}|\r\n${appResponse('180 Ringing')}`);
    const busy = app.send(`sip|${txnId}|\r\n${appResponse('486 Busy Here')}`);
    await waitUntil(() => ua.got.length >= 3, 5_000, 'the responses');
    const [trying, r180, r486] = ua.got;
    expect(trying).toBeDefined();
    const names = (t: string) =>
      t
        .split('\r\n\r\n')[0]!
        .split('\r\n')
        .slice(1)
        .map((l) => l.split(':')[0]);
    expect(names(r180!)).toEqual(['Via', 'From', 'To', 'Call-ID', 'CSeq', 'Content-Length']);
    const tag = (t: string) => /\r\nTo: [^\r]*;tag=([A-Za-z0-9]{13})\r\n/.exec(t)?.[1];
    expect(tag(r180!)).toBeDefined();
    expect(tag(r486!)).toBe(tag(r180!));
    await waitUntil(() => app.frames.filter((f) => f.split('|')[1] === 'response').length >= 3, 5_000, 'the echoes');
    const echo = app.frames.find((f) => f.split('|')[2] === busy)!;
    const [leader, ...sent] = echo.split('\r\n');
    const t = leader!.split('|');
    expect(t.slice(3, 5)).toEqual(['OK', 'application']);
    expect(t.slice(6, 9)).toEqual(['udp', '127.0.0.1', String(ua.port)]);
    expect(t.slice(10)).toEqual([
      txnId,
      '96735918242087678274457;from-tag=3766303030303031313364380131393237313739373531',
      '',
      'Msg sent:',
      '',
    ]);
    expect(sent.join('\r\n')).toBe(r486);
    expect(app.frames.some((f) => f.split('|')[2] === ringing)).toBe(true);

    // Timer G: the 486 goes out again until the ACK, then stops.
    await waitUntil(() => ua.got.filter((g) => g.startsWith('SIP/2.0 486')).length >= 2, 5_000, 'a retransmission');
    ua.send(invite(ua.port).replace('INVITE sip', 'ACK sip').replace('1 INVITE', '1 ACK'), peer.sipPort);
    // The ACK ends the transaction, and with it the retransmission timer.
    await waitUntil(() => peer.transactionCount() === 0, 5_000, 'the transaction to end');
  });

  it('answers a CANCEL itself (200, 487) and tells the app under the INVITE transaction id', async () => {
    const peer = await start({ t1: 50, t2: 200, timerH: 1_000 });
    const app = await routedApp(peer, 'invite');
    const ua = await Ua.open();
    const text = invite(ua.port);
    ua.send(text, peer.sipPort);
    await waitUntil(() => app.sipFrames().length === 1, 5_000, 'the INVITE');
    const txnId = app.sipFrames()[0]!.split('|')[8]!;
    const cancel = text.replace('INVITE sip', 'CANCEL sip').replace('1 INVITE', '1 CANCEL');
    ua.send(cancel, peer.sipPort);
    await waitUntil(() => app.sipFrames().length === 2 && ua.got.length >= 3, 5_000, 'the CANCEL handling');
    expect(ua.got.slice(1, 3).map((g) => g.split('\r\n')[0])).toEqual([
      'SIP/2.0 200 OK',
      'SIP/2.0 487 Request Terminated',
    ]);
    expect(ua.got[1]).toContain('CSeq: 1 CANCEL');
    const t = app.sipFrames()[1]!.split('\r\n')[0]!.split('|');
    // As recorded: the INVITE's size and transaction id, the dialog id, and no receivedOn.
    expect(t.slice(1, 4)).toEqual(['sip', 'network', String(Buffer.byteLength(text))]);
    expect(t.slice(8)).toEqual([
      txnId,
      '96735918242087678274457;from-tag=3766303030303031313364380131393237313739373531',
      '',
    ]);
    // The app may no longer answer it.
    expect((await app.request(`sip|${txnId}|\r\n${appResponse('486 Busy Here')}`))[3]).toBe('NOK');
  });

  it('answers 503 to a method no app routed, and ping', async () => {
    const peer = await start();
    const app = await routedApp(peer, 'invite');
    const ua = await Ua.open();
    ua.send(invite(ua.port).replace('INVITE sip', 'OPTIONS sip').replace('1 INVITE', '1 OPTIONS'), peer.sipPort);
    await waitUntil(() => ua.got.length === 1, 5_000, 'the 503');
    expect(ua.got[0]!.split('\r\n')[0]).toBe('SIP/2.0 503 Service Unavailable');
    expect(app.sipFrames()).toEqual([]);
    expect((await app.request('ping'))[3]).toBe('OK');
    expect(peer.stats().unrouted).toBe(1);
  });

  it('forgets a request the app never answers', async () => {
    const peer = await start({ forgetAfter: 100 });
    const app = await routedApp(peer, 'invite');
    const ua = await Ua.open();
    ua.send(invite(ua.port), peer.sipPort);
    await waitUntil(() => app.sipFrames().length === 1, 5_000, 'the INVITE');
    expect(peer.transactionCount()).toBe(1);
    await waitUntil(() => peer.transactionCount() === 0, 5_000, 'the request to be forgotten');
    expect(peer.stats().forgotten).toBe(1);
  });

  it('replays drop-d1: a resent INVITE the app has not answered gets nothing, until the server forgot it', async () => {
    const d1 = JSON.parse(readFileSync(recording('drop-d1.timeline.json'), 'utf8')) as {
      timeline: Array<{ t: number; dir: 'in' | 'out'; first: string; text: string }>;
    };
    // Recorded: 100 at 0 s only; resends at 5 and 40 s absorbed silently; at 70 and 140 s a new transaction.
    expect(d1.timeline.map((e) => [Math.round(e.t), e.dir, e.first.split(' ')[1]])).toEqual([
      [0, 'out', 'sip:room1@rooms.example.com'],
      [0, 'in', '100'],
      [5, 'out', 'sip:room1@rooms.example.com'],
      [40, 'out', 'sip:room1@rooms.example.com'],
      [70, 'out', 'sip:room1@rooms.example.com'],
      [70, 'in', '100'],
      [140, 'out', 'sip:room1@rooms.example.com'],
      [140, 'in', '100'],
    ]);
    const sent = d1.timeline[0]!.text;
    const trying = d1.timeline[1]!.text;
    // 64 s scaled down: what matters is the order, not the clock.
    const peer = await start({ forgetAfter: 300 });
    const app = await routedApp(peer, 'invite');
    const ua = await Ua.open('127.0.8.81');
    const text = sent.replaceAll('127.0.8.81:5085', `127.0.8.81:${ua.port}`);
    ua.send(text, peer.sipPort);
    await waitUntil(() => app.sipFrames().length === 1 && ua.got.length === 1, 5_000, 'the INVITE');
    expect(ua.got[0]).toBe(trying.replaceAll('5085', String(ua.port)));
    ua.send(text, peer.sipPort);
    ua.send(text, peer.sipPort);
    await waitUntil(() => peer.stats().retransmissionsAbsorbed === 2, 5_000, 'the resends');
    expect(ua.got).toHaveLength(1);
    expect(app.sipFrames()).toHaveLength(1);
    await waitUntil(() => peer.transactionCount() === 0, 5_000, 'the INVITE to be forgotten');
    ua.send(text, peer.sipPort);
    await waitUntil(() => app.sipFrames().length === 2 && ua.got.length === 2, 5_000, 'the new transaction');
    expect(ua.got[1]).toBe(trying.replaceAll('5085', String(ua.port)));
  });

  it('replays misc-unrouted-and-totag: 503 for unrouted methods, 100 + 481 for a To-tagged INVITE, 481 for a BYE', async () => {
    const capture = readCapture(new Uint8Array(readFileSync(recording('misc-unrouted-and-totag.pcapng'))));
    const datagrams = capture.events.flatMap((e) =>
      e.kind === 'udp' ? [{ src: e.src, dst: e.dst, text: Buffer.from(e.payload).toString('utf8') }] : [],
    );
    const peer = await start();
    // The recorded app routed these; SUBSCRIBE and MESSAGE were answered by drachtio-srf (not the server).
    const app = await routedApp(peer, 'invite', 'register', 'options', 'subscribe', 'message');
    // (The capture opens with a 4-byte `TEST` datagram the recorder sent itself.)
    const requests = datagrams.filter(
      (d) => d.dst.port === 5180 && /^[A-Z]+ sip:/.test(d.text) && !/^(SUBSCRIBE|MESSAGE) /.test(d.text),
    );
    expect(requests.map((r) => r.text.split(' ')[0])).toEqual(['INFO', 'NOTIFY', 'PUBLISH', 'INVITE', 'BYE', 'INVITE']);
    const uas = new Map<string, Ua>();
    for (const request of requests) {
      const from = `${request.src.ip}:${request.src.port}`;
      let ua = uas.get(from);
      if (ua === undefined) {
        ua = await Ua.open(request.src.ip);
        uas.set(from, ua);
      }
      const port = (t: string) =>
        t.replaceAll(`${request.src.ip}:${request.src.port}`, `${request.src.ip}:${ua!.port}`);
      // A To-tag the server makes up (sofia: 13 characters) differs from run to run.
      const serverTag = (t: string) => t.replace(/(\r\nTo: [^\r]*;tag=)[A-Za-z0-9]{13}\r\n/, '$1<server tag>\r\n');
      const callId = /\r\nCall-ID: ([^\r]+)/.exec(request.text)![1]!;
      const recorded = datagrams
        .filter((d) => d.src.port === 5180 && d.text.includes(`Call-ID: ${callId}\r\n`))
        .map((d) => serverTag(port(d.text).replace(`rport=${request.src.port}`, `rport=${ua!.port}`)));
      const before = ua.got.length;
      ua.send(port(request.text), peer.sipPort);
      await waitUntil(() => ua!.got.length >= before + recorded.length, 5_000, `the answers to ${callId}`);
      expect(ua.got.slice(before).map(serverTag), request.text.split('\r\n')[0]).toEqual(recorded);
    }
    // None reached the app.
    expect(app.sipFrames()).toEqual([]);
    expect(peer.stats().unrouted).toBe(3);
  });

  it('answers 481 to a To-tagged request that matches no dialog, and routes one that does', async () => {
    const peer = await start();
    const app = await routedApp(peer, 'invite');
    const ua = await Ua.open();
    const forged = invite(ua.port, 'z9hG4bK-forged').replace(
      'To: "sipvicious"<sip:100@1.1.1.1>',
      'To: <sip:100@1.1.1.1>;tag=x',
    );
    ua.send(forged, peer.sipPort);
    await waitUntil(() => ua.got.length === 2, 5_000, 'the 100 and the 481');
    expect(ua.got.map((g) => g.split('\r\n')[0])).toEqual([
      'SIP/2.0 100 Trying',
      'SIP/2.0 481 Call/Transaction Does Not Exist',
    ]);
    expect(app.sipFrames()).toEqual([]);

    // The app answers an INVITE 200: a BYE in that dialog goes to the app with the dialog id.
    ua.send(invite(ua.port), peer.sipPort);
    await waitUntil(() => app.sipFrames().length === 1, 5_000, 'the INVITE');
    const txnId = app.sipFrames()[0]!.split('|')[8]!;
    await app.request(`sip|${txnId}|\r\n${appResponse('200 OK')}`);
    const bye = invite(ua.port, 'z9hG4bK-bye')
      .replace('INVITE sip', 'BYE sip')
      .replace('1 INVITE', '2 BYE')
      .replace('To: "sipvicious"<sip:100@1.1.1.1>', 'To: <sip:100@1.1.1.1>;tag=x');
    ua.send(bye, peer.sipPort);
    await waitUntil(() => app.sipFrames().length === 2, 5_000, 'the BYE');
    const t = app.sipFrames()[1]!.split('\r\n')[0]!.split('|');
    expect(t[9]).toBe('96735918242087678274457;from-tag=3766303030303031313364380131393237313739373531');
    expect(t[8]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('closes an admin connection that sends garbage', async () => {
    const peer = await start();
    const app = await RawApp.open(peer);
    app.socket.write('hello there#');
    await waitUntil(() => app.closed, 5_000, 'the close');
  });
});
