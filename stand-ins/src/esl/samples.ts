/**
 * The byte-exact FreeSWITCH 1.10.12 samples (`recordings/freeswitch-1.10.12/esl-raw-samples.txt` of this package, copied from the recording
 * in ../shared/fixtures/freeswitch-1.10.12/): each numbered section holds the verbatim bytes between
 * `-----BEGIN-----` and `-----END-----`, split at `-----(reply)-----` / `-----(send)-----`; the file adds one
 * "\n" before every marker, which is removed here.
 */
import { readFileSync } from 'node:fs';

export interface EslSample {
  /** `1a`, `3b`, `7a`… */
  id: string;
  title: string;
  /** The verbatim parts in order (first what was sent, then the reply, …). */
  parts: string[];
}

const MARKER = /^-----\((?:reply|send)\)-----\n/m;

export function readEslSamples(
  path = new URL('../../recordings/freeswitch-1.10.12/esl-raw-samples.txt', import.meta.url),
): Map<string, EslSample> {
  const text = readFileSync(path, 'utf8');
  const out = new Map<string, EslSample>();
  const sections = text.split(/^### (?=\d+[a-z]\. )/m).slice(1);
  for (const s of sections) {
    const head = /^(\d+[a-z])\. (.*)$/m.exec(s);
    const begin = s.indexOf('-----BEGIN-----\n');
    // The heading lines mention the markers too: look for them only after BEGIN, at a line start.
    const end = begin === -1 ? -1 : s.indexOf('\n-----END-----', begin) + 1;
    if (!head || begin === -1 || end === 0) continue;
    const inner = s.slice(begin + '-----BEGIN-----\n'.length, end);
    const parts = inner.split(MARKER).map((p) => (p.endsWith('\n') ? p.slice(0, -1) : p));
    out.set(head[1]!, { id: head[1]!, title: head[2]!, parts });
  }
  return out;
}
