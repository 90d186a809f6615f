import { recordingPath } from './recordings.js';

/** The recordings `pnpm demo` replays, grouped by what they are. */
export interface DemoScenario {
  title: string;
  /** ghost: a call with no scanner marker, hand-written from the public descriptions (recordings/ghost). */
  kind: 'scanner' | 'legitimate' | 'ghost';
  /** Paths of the package's own recordings (absolute). */
  files: string[];
}

const SHARED = 'shared-recordings';
const RECORDED = 'recorded';
const LEGIT = 'legit';
const GHOST = 'ghost';

export const DEMO_SCENARIOS: readonly DemoScenario[] = [
  { title: 'svmap OPTIONS -> Kamailio', kind: 'scanner', files: [recordingPath(`${SHARED}/kamailio-svmap.pcap`)] },
  {
    title: 'svmap INVITE -> Kamailio',
    kind: 'scanner',
    files: [recordingPath(`${SHARED}/kamailio-svmap-invite.pcap`)],
  },
  {
    title: 'svwar REGISTER 100-999 -> Kamailio',
    kind: 'scanner',
    files: [recordingPath(`${SHARED}/kamailio-svwar-register.pcap`)],
  },
  {
    title: 'svwar OPTIONS -> Kamailio',
    kind: 'scanner',
    files: [recordingPath(`${SHARED}/kamailio-svwar-options.pcap`)],
  },
  {
    title: 'svwar INVITE -> Kamailio',
    kind: 'scanner',
    files: [recordingPath(`${SHARED}/kamailio-svwar-invite.pcap`)],
  },
  {
    title: 'svcrack -> Kamailio',
    kind: 'scanner',
    files: [recordingPath(`${SHARED}/kamailio-svcrack.pcap`), recordingPath(`${SHARED}/kamailio-svcrack-qop.pcap`)],
  },
  {
    title: 'svmap + svwar INVITE -> baresip',
    kind: 'scanner',
    files: [recordingPath(`${SHARED}/baresip-svmap.pcap`), recordingPath(`${SHARED}/baresip-svwar-invite.pcap`)],
  },
  {
    title: 'svmap INVITE -> FreeSWITCH',
    kind: 'scanner',
    files: [recordingPath(`${SHARED}/freeswitch-svmap-invite-5090-3pcc-proxy.pcap`)],
  },
  {
    title: 'svwar REGISTER -> FreeSWITCH',
    kind: 'scanner',
    files: [recordingPath(`${SHARED}/freeswitch-svwar-register-5091.pcap`)],
  },
  {
    title: 'svcrack -> FreeSWITCH',
    kind: 'scanner',
    files: [recordingPath(`${SHARED}/freeswitch-svcrack-1000-5091.pcap`)],
  },
  {
    title: 'svmap OPTIONS + INVITE (IPv4, IPv6) -> Kamailio',
    kind: 'scanner',
    files: [
      recordingPath(`${RECORDED}/kamailio-svmap-options.pcap`),
      recordingPath(`${RECORDED}/kamailio-svmap-invite.pcap`),
      recordingPath(`${RECORDED}/kamailio-svmap-invite-ipv6.pcap`),
    ],
  },
  {
    title: 'svwar REGISTER/OPTIONS/INVITE -> Kamailio',
    kind: 'scanner',
    files: [
      recordingPath(`${RECORDED}/kamailio-svwar-register.pcap`),
      recordingPath(`${RECORDED}/kamailio-svwar-options.pcap`),
      recordingPath(`${RECORDED}/kamailio-svwar-invite.pcap`),
    ],
  },
  {
    title: 'svcrack -> Kamailio (recorded here)',
    kind: 'scanner',
    files: [recordingPath(`${RECORDED}/kamailio-svcrack.pcap`)],
  },
  {
    title: 'svmap INVITE -> baresip room',
    kind: 'scanner',
    files: [recordingPath(`${RECORDED}/baresip-room-svmap-invite.pcap`)],
  },
  {
    title: 'baresip registers and calls a room',
    kind: 'legitimate',
    files: [recordingPath(`${RECORDED}/baresip-legit-register-call.pcap`)],
  },
  {
    title: 'Cisco/Poly/Lifesize room calls, trunk OPTIONS',
    kind: 'legitimate',
    files: [recordingPath(`${LEGIT}/room-calls.sip.txt`)],
  },
  {
    title: 'bridge dials 30 rooms in 2 s',
    kind: 'legitimate',
    files: [recordingPath(`${LEGIT}/bridge-30-rooms.sip.txt`)],
  },
  {
    title: 'FreeSWITCH originate to an extension',
    kind: 'legitimate',
    files: [recordingPath(`${SHARED}/freeswitch-originate-403.pcap`)],
  },
  {
    title: 'IP Request-URI, From 1001@<SBC IP>, every 1 s',
    kind: 'ghost',
    files: [recordingPath(`${GHOST}/ip-uri-extension-1001.sip.txt`)],
  },
  {
    title: 'From 1000@<our domain>, every 1-3 s',
    kind: 'ghost',
    files: [recordingPath(`${GHOST}/domain-uri-extension-1000.sip.txt`)],
  },
  {
    title: 'poses as the room, Via/Contact/c= forged',
    kind: 'ghost',
    files: [recordingPath(`${GHOST}/spoofed-target-identity.sip.txt`)],
  },
  {
    title: 'no SDP, From 100@<SBC IP>',
    kind: 'ghost',
    files: [recordingPath(`${GHOST}/no-sdp-extension-100.sip.txt`)],
  },
  {
    title: 'nothing forged, audio-only redial every 1-2 s',
    kind: 'ghost',
    files: [recordingPath(`${GHOST}/plain-audio-redial.sip.txt`)],
  },
  {
    title: 'IPv6, a new address in one /64 per call',
    kind: 'ghost',
    files: [recordingPath(`${GHOST}/ipv6-rotating-address.sip.txt`)],
  },
];
