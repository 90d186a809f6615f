/**
 * Bench traffic: a realistic guard config, never-repeating source addresses, and call attempts built
 * before timing. Nested parts (target, caller, sip) are shared per template so that a batch of
 * hundreds of thousands of attempts costs only the attempt object, its source object and the IP text.
 */
import type { ConfigInput, SipAttempt } from '@ghostguard/core';
import { sipAttempt } from '@ghostguard/core/testing';

/** 2023-11-14T22:13:20Z: a fixed simulated epoch so runs are reproducible. */
export const T0 = 1_700_000_000_000;

/** A deployment serving video rooms: served domains, room globs, a trunk allowlist and a small deny list. */
export function benchConfig(maxSources?: number): ConfigInput {
  return {
    log: { level: 'silent' },
    dataDir: null,
    trust: {
      cidrs: [
        { name: 'carrier trunk', address: '192.0.2.0/28' },
        { name: 'cloud bridge', address: '198.51.100.7' },
        { name: 'partner sbc v6', address: '2001:db8:100::/48' },
      ],
    },
    deny: { cidrs: ['45.134.144.0/22', '185.53.88.0/24', '2a0e:97c0:3e0::/44'] },
    dialShape: {
      domains: ['video.example.com', 'example.com', 'sip.example.com'],
      localAddresses: ['203.0.113.10', '2001:db8:ffff::10'],
      knownTargets: ['room-*', 'vmr-????', 'boardroom', 'reception', 'helpdesk', '4???', 'alice', 'bob'],
    },
    ...(maxSources === undefined ? {} : { behaviour: { maxSources } }),
  };
}

/** Simulated clock shared by the guard (options.now) and the attempts' `time`. */
export class SimClock {
  t = T0;
  readonly now = (): number => this.t;
  /** Advances 1 ms every `perMs` calls (default 100 attempts per simulated millisecond). */
  private n = 0;
  tick(perMs = 100): number {
    if (++this.n >= perMs) {
      this.n = 0;
      this.t++;
    }
    return this.t;
  }
}

const v4 = (a: number, b: number, c: number, d: number) => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
/** Documentation, trunk and deny-listed ranges the fresh sources must avoid, as [first, last] address. */
const EXCLUDED_V4 = (
  [
    [v4(192, 0, 2, 0), 24],
    [v4(198, 51, 100, 0), 24],
    [v4(203, 0, 113, 0), 24],
    [v4(45, 134, 144, 0), 22],
    [v4(185, 53, 88, 0), 24],
  ] as const
).map(([net, len]) => [net, net + 2 ** (32 - len) - 1] as const);

function excluded(x: number): boolean {
  for (const [lo, hi] of EXCLUDED_V4) if (x >= lo && x <= hi) return true;
  return false;
}

/**
 * Never-repeating source addresses for one process: IPv4 from an odd-multiplier permutation of a counter
 * (a bijection on 2^32, so consecutive sources land in different /24s), one in `v6Every` IPv6 (each in
 * its own /64). Texts are built with Array.join, so they are flat strings like those adapters pass in.
 */
export class SourceGen {
  private i = 0;
  private j = 0;
  constructor(private readonly v6Every = 10) {}

  next(): string {
    if (this.v6Every > 0 && ++this.j % this.v6Every === 0) return this.nextV6();
    return this.nextV4();
  }

  nextV4(): string {
    for (;;) {
      const x = Math.imul(++this.i, 0x9e3779b1) >>> 0;
      const a = x >>> 24;
      if (a === 0 || a === 10 || a === 127 || a >= 224) continue;
      if (excluded(x)) continue;
      return [a, (x >>> 16) & 255, (x >>> 8) & 255, x & 255].join('.');
    }
  }

  nextV6(): string {
    const k = ++this.i;
    const h = (n: number) => (n & 0xffff).toString(16);
    // 2a02:<hi>:<lo>:<mix>::<host>: the counter sits in groups 2-3, so every address has its own /64.
    return [`2a02:${h(k >>> 16)}`, h(k), h(Math.imul(k, 40503)), `:${h(Math.imul(k, 2654435761) | 1)}`].join(':');
  }
}

const ROOM_OFFER = {
  offered: true,
  kinds: ['audio', 'video', 'application'],
  codecs: ['opus', 'g722', 'pcmu', 'h264', 'telephone-event'],
  bfcp: true,
  connectionAddresses: ['10.20.30.40'],
};

/** Legitimate INVITEs from room systems and softphones to known rooms on a served domain. */
export function legitTemplates(): SipAttempt[] {
  const t = (ua: string, user: string, host: string, callerUser: string, callerHost: string, sdp: string) =>
    sipAttempt({
      userAgent: ua,
      target: { user, host, display: undefined },
      caller: { user: callerUser, host: callerHost, display: callerUser },
      callId: `${callerUser}-7f3a9c2e1b@${callerHost}`,
      // What a room behind a NAT writes (private addresses: read and parsed by the identity rules, no signal)
      // and offers (audio, H.264 video, BFCP: read by the media rules, no signal).
      media: ROOM_OFFER,
      sip: {
        requestUri: `sip:${user}@${host}`,
        fromUri: `sip:${callerUser}@${callerHost}`,
        toUri: `sip:${user}@${host}`,
        viaBranch: 'z9hG4bK.4c1e9a7f2d',
        viaSentBy: '10.20.30.40:5060',
        contact: `<sip:${callerUser}@10.20.30.40:5060;transport=tcp>`,
        fromTag: '8fa1c3e5b7',
        sdpSessionName: sdp,
      },
    });
  return [
    t('Cisco/CE (RoomKit) ce11.5', 'room-boardroom', 'video.example.com', 'alice', 'partner.example.net', 'Cisco'),
    t('Poly/RealPresence 6.4.2', 'vmr-1234', 'video.example.com', 'bob.smith', 'corp.example.org', 'Polycom IP Phone'),
    t('Pexip Infinity/33.1', 'boardroom', 'example.com', 'meet.123456', 'pexip.example.net', 'Pexip Infinity'),
    t('Zoom Rooms SIP/5.17', '4021', 'sip.example.com', 'zr-lobby', 'zoomcrc.example.com', '-'),
    t('Cisco Meeting Server/3.8', 'room-huddle', 'video.example.com', 'allhands', 'video.example.com', '-'),
  ];
}

/** `count` attempts, each from a never-seen source, cycling over the templates; time from the clock. */
export function freshBatch(gen: SourceGen, clock: SimClock, count: number, templates = legitTemplates()): SipAttempt[] {
  const out = new Array<SipAttempt>(count);
  for (let i = 0; i < count; i++) {
    const tpl = templates[i % templates.length]!;
    out[i] = { ...tpl, source: { ip: gen.next(), port: 5060, transport: 'udp' }, time: clock.tick() };
  }
  return out;
}

function hex(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += s.charCodeAt(i).toString(16).padStart(2, '0');
  return out;
}

/** A SIPVicious 0.3.3 svwar INVITE to extension `ext` (friendly-scanner UA, z9hG4bK-<n>, encoded From tag). */
export function sipviciousAttempt(ip: string, ext: number, time: number): SipAttempt {
  const user = String(ext);
  return sipAttempt({
    source: { ip, port: 5060, transport: 'udp' },
    userAgent: 'friendly-scanner',
    target: { user, host: '203.0.113.10' },
    caller: { user, host: '203.0.113.10', display: user },
    callId: `${(ext * 7919) % 100000}${ext}`,
    time,
    sip: {
      requestUri: `sip:${user}@203.0.113.10`,
      viaBranch: `z9hG4bK-${(ext * 104729) % 1_000_000_007}`,
      fromTag: hex(`${user}\x01${(ext * 31337) % 1_000_000}`),
      fromUri: `sip:${user}@203.0.113.10`,
      toUri: `sip:${user}@203.0.113.10`,
      hasBody: false,
      contentType: undefined,
      sdpSessionName: undefined,
    },
  });
}

/** A quiet toll-fraud dialer: benign User-Agent, international numbers to an IP literal Request-URI. */
export function tollFraudAttempt(ip: string, n: number, ua: string, time: number): SipAttempt {
  const user = `00972${592000000 + ((n * 7907) % 999_999)}`;
  return sipAttempt({
    source: { ip, port: 5070, transport: 'udp' },
    userAgent: ua,
    target: { user, host: '198.51.100.99' },
    caller: { user: 'anonymous', host: 'anonymous.invalid' },
    callId: `tf-${n}-${ip}`,
    time,
    sip: {
      requestUri: `sip:${user}@198.51.100.99`,
      viaBranch: `z9hG4bK${(n * 2654435761) >>> 0}`,
      fromTag: `as${n}`,
      fromUri: 'sip:anonymous@anonymous.invalid',
      toUri: `sip:${user}@198.51.100.99`,
    },
  });
}
