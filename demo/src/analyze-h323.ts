import { bufferOutput, main } from '@ghostguard/cli';
import { recordingPath } from './recordings.js';

/** The recorded chan_ooh323 call (recordings/README.md): what `ghostguard analyze` says of an H.323 capture. */
export const H323_CAPTURE = recordingPath('h323/ooh323-call-via-asterisk.pcap');

/**
 * `ghostguard analyze` on an H.323 capture, run as an operator would run it: the SETUP judged with the source
 * from the IP header, the rest of the call (Q.931 replies, Facility with tunnelled H.245) counted as not judged.
 * Returns the lines to print and how many SETUPs were judged and allowed.
 */
export async function runAnalyzeH323Demo(
  configPath: string,
): Promise<{ lines: string[]; setups: number; allowed: number }> {
  const out = bufferOutput();
  const code = await main(['analyze', '--config', configPath, H323_CAPTURE], out);
  const json = bufferOutput();
  await main(['analyze', '--json', '--config', configPath, H323_CAPTURE], json);
  const judged = json.stdout.map((l) => JSON.parse(l) as { method: string; action: string; protocol: string });
  const setups = judged.filter((j) => j.protocol === 'h323' && j.method === 'SETUP');
  return {
    lines: [
      'What is calling my 1720? `ghostguard analyze` on a capture of a real H.323 call (chan_ooh323 to chan_ooh323)',
      ...(code === 0 ? out.stdout : [`analyze failed (exit ${code}): ${out.stderr.join(' ')}`]),
    ],
    setups: setups.length,
    allowed: setups.filter((s) => s.action === 'allow').length,
  };
}
