import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FollowedStream } from './tshark.js';

/** The recorded captures shared by the team (../shared/fixtures beside the repository). */
export const SHARED_FIXTURES = fileURLToPath(new URL('../../../../../shared/fixtures/', import.meta.url));

export function fixturePath(relative: string): string {
  return SHARED_FIXTURES + relative;
}

export function readFixture(relative: string): Uint8Array {
  return readFileSync(fixturePath(relative));
}

/** Every `*.pcap` under the shared fixtures, as paths relative to it. */
export function allFixtureCaptures(): string[] {
  return readdirSync(SHARED_FIXTURES, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((dir) =>
      readdirSync(SHARED_FIXTURES + dir.name)
        .filter((name) => name.endsWith('.pcap'))
        .map((name) => `${dir.name}/${name}`),
    )
    .sort();
}

/**
 * Parses tshark's `follow,tcp,ascii` text: per stream a header (Filter, Node 0/1), then chunks
 * written as `[TAB]count\n<count bytes>\n`, a leading TAB marking node 1.
 */
export function parseFollowText(text: Buffer): Map<number, FollowedStream> {
  const streams = new Map<number, FollowedStream>();
  let current: FollowedStream | undefined;
  let at = 0;
  const readLine = (): string => {
    const end = text.indexOf(0x0a, at);
    const stop = end < 0 ? text.length : end;
    const line = text.toString('latin1', at, stop);
    at = stop + 1;
    return line;
  };
  while (at < text.length) {
    const line = readLine();
    const filter = /^Filter: tcp\.stream eq (\d+)$/.exec(line);
    const node = /^Node ([01]): (.*)$/.exec(line);
    const count = /^(\t?)(\d+)$/.exec(line);
    if (filter) {
      current = { node0: '', node1: '', chunks: [] };
      streams.set(Number(filter[1]), current);
    } else if (node && current) {
      if (node[1] === '0') current.node0 = node[2] ?? '';
      else current.node1 = node[2] ?? '';
    } else if (count && current) {
      const length = Number(count[2]);
      current.chunks.push({ node: count[1] ? 1 : 0, bytes: text.subarray(at, at + length) });
      at += length;
      if (text[at] !== 0x0a) throw new Error(`follow text: chunk at ${at - length} not followed by a newline`);
      at++;
    } else if (line !== '' && !line.startsWith('=') && !line.startsWith('Follow:')) {
      throw new Error(`follow text: unexpected line ${JSON.stringify(line.slice(0, 60))}`);
    }
  }
  return streams;
}
