/** The recordings `pnpm demo` replays, grouped by what they are. Paths are relative to the repository root. */
export interface DemoScenario {
  title: string;
  /** ghost: a call with no scanner marker, hand-written from the public descriptions (test/fixtures/ghost). */
  kind: 'scanner' | 'legitimate' | 'ghost';
  files: string[];
}

const SHARED = 'test/fixtures/shared-recordings';
const RECORDED = 'test/fixtures/recorded';
const LEGIT = 'test/fixtures/legit';
const GHOST = 'test/fixtures/ghost';

export const DEMO_SCENARIOS: readonly DemoScenario[] = [
  { title: 'svmap OPTIONS -> Kamailio', kind: 'scanner', files: [`${SHARED}/kamailio-svmap.pcap`] },
  { title: 'svmap INVITE -> Kamailio', kind: 'scanner', files: [`${SHARED}/kamailio-svmap-invite.pcap`] },
  { title: 'svwar REGISTER 100-999 -> Kamailio', kind: 'scanner', files: [`${SHARED}/kamailio-svwar-register.pcap`] },
  { title: 'svwar OPTIONS -> Kamailio', kind: 'scanner', files: [`${SHARED}/kamailio-svwar-options.pcap`] },
  { title: 'svwar INVITE -> Kamailio', kind: 'scanner', files: [`${SHARED}/kamailio-svwar-invite.pcap`] },
  {
    title: 'svcrack -> Kamailio',
    kind: 'scanner',
    files: [`${SHARED}/kamailio-svcrack.pcap`, `${SHARED}/kamailio-svcrack-qop.pcap`],
  },
  {
    title: 'svmap + svwar INVITE -> baresip',
    kind: 'scanner',
    files: [`${SHARED}/baresip-svmap.pcap`, `${SHARED}/baresip-svwar-invite.pcap`],
  },
  {
    title: 'svmap INVITE -> FreeSWITCH',
    kind: 'scanner',
    files: [`${SHARED}/freeswitch-svmap-invite-5090-3pcc-proxy.pcap`],
  },
  { title: 'svwar REGISTER -> FreeSWITCH', kind: 'scanner', files: [`${SHARED}/freeswitch-svwar-register-5091.pcap`] },
  { title: 'svcrack -> FreeSWITCH', kind: 'scanner', files: [`${SHARED}/freeswitch-svcrack-1000-5091.pcap`] },
  {
    title: 'svmap OPTIONS + INVITE (IPv4, IPv6) -> Kamailio',
    kind: 'scanner',
    files: [
      `${RECORDED}/kamailio-svmap-options.pcap`,
      `${RECORDED}/kamailio-svmap-invite.pcap`,
      `${RECORDED}/kamailio-svmap-invite-ipv6.pcap`,
    ],
  },
  {
    title: 'svwar REGISTER/OPTIONS/INVITE -> Kamailio',
    kind: 'scanner',
    files: [
      `${RECORDED}/kamailio-svwar-register.pcap`,
      `${RECORDED}/kamailio-svwar-options.pcap`,
      `${RECORDED}/kamailio-svwar-invite.pcap`,
    ],
  },
  { title: 'svcrack -> Kamailio (recorded here)', kind: 'scanner', files: [`${RECORDED}/kamailio-svcrack.pcap`] },
  { title: 'svmap INVITE -> baresip room', kind: 'scanner', files: [`${RECORDED}/baresip-room-svmap-invite.pcap`] },
  {
    title: 'baresip registers and calls a room',
    kind: 'legitimate',
    files: [`${RECORDED}/baresip-legit-register-call.pcap`],
  },
  {
    title: 'Cisco/Poly/Lifesize room calls, trunk OPTIONS',
    kind: 'legitimate',
    files: [`${LEGIT}/room-calls.sip.txt`],
  },
  { title: 'bridge dials 30 rooms in 2 s', kind: 'legitimate', files: [`${LEGIT}/bridge-30-rooms.sip.txt`] },
  {
    title: 'FreeSWITCH originate to an extension',
    kind: 'legitimate',
    files: [`${SHARED}/freeswitch-originate-403.pcap`],
  },
  {
    title: 'IP Request-URI, From 1001@<SBC IP>, every 1 s',
    kind: 'ghost',
    files: [`${GHOST}/ip-uri-extension-1001.sip.txt`],
  },
  {
    title: 'From 1000@<our domain>, every 1-3 s',
    kind: 'ghost',
    files: [`${GHOST}/domain-uri-extension-1000.sip.txt`],
  },
  {
    title: 'poses as the room, Via/Contact/c= forged',
    kind: 'ghost',
    files: [`${GHOST}/spoofed-target-identity.sip.txt`],
  },
  { title: 'no SDP, From 100@<SBC IP>', kind: 'ghost', files: [`${GHOST}/no-sdp-extension-100.sip.txt`] },
  {
    title: 'nothing forged, audio-only redial every 1-2 s',
    kind: 'ghost',
    files: [`${GHOST}/plain-audio-redial.sip.txt`],
  },
  {
    title: 'IPv6, a new address in one /64 per call',
    kind: 'ghost',
    files: [`${GHOST}/ipv6-rotating-address.sip.txt`],
  },
];
