import { encodeSetup, type H323SetupShape, setupShapeSpec } from '@ghostguard/core/h323';

/**
 * Every scanner SETUP the tests and the demo send, as whole TPKT frames: Metasploit h323_version (the demo's
 * two runs, the seeds the core's and the gate's tests use), the demo's and the detection tests' toll-fraud
 * dials, the IP-only destination and the OpenH323 tool calling itself Cisco (cli/src/demo/live-h323.ts
 * scannerCalls, core/src/h323/detection.test.ts, scanners.test.ts).
 */
export const SCANNER_SHAPES: ReadonlyArray<readonly [string, H323SetupShape]> = [
  ['Metasploit h323_version', { shape: 'metasploit-h323-version', seed: 1 }],
  ['Metasploit h323_version (other run)', { shape: 'metasploit-h323-version', seed: 2 }],
  ['Metasploit h323_version (seed 3)', { shape: 'metasploit-h323-version', seed: 3 }],
  ['Metasploit h323_version (seed 7)', { shape: 'metasploit-h323-version', seed: 7 }],
  ['toll fraud: dials 900441224000000', { shape: 'toll-fraud', dialledDigits: '900441224000000' }],
  ['toll fraud: dials 011972599000000', { shape: 'toll-fraud', dialledDigits: '011972599000000', seed: 3 }],
  ['toll fraud: dials 0044207946000', { shape: 'toll-fraud', dialledDigits: '0044207946000' }],
  ['destination only an IP address', { shape: 'ip-only-destination' }],
  ['OpenH323 tool calling itself Cisco', { shape: 'cisco-openh323' }],
];

export interface ScannerSetup {
  label: string;
  /** The SETUP as sent: TPKT header, Q.931, User-User IE. */
  frame: Uint8Array;
}

export function scannerSetups(): ScannerSetup[] {
  return SCANNER_SHAPES.map(([label, shape]) => ({ label, frame: encodeSetup(setupShapeSpec(shape)) }));
}
