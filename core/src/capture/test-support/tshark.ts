import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function tshark(args: string[]): string {
  return execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 });
}

/**
 * Runs the system tshark (CI installs it; a missing tshark fails the test rather than skipping it)
 * and returns one array of field values per packet.
 */
export function tsharkFields(
  file: string,
  fields: string[],
  displayFilter?: string,
  extraArgs: string[] = [],
): string[][] {
  const args = [
    '-r',
    file,
    ...extraArgs,
    '-T',
    'fields',
    '-E',
    'separator=\t',
    '-E',
    'occurrence=a',
    '-E',
    'aggregator=,',
  ];
  if (displayFilter) args.push('-Y', displayFilter);
  for (const field of fields) args.push('-e', field);
  const output = tshark(args);
  return output
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => line.split('\t'));
}

/**
 * tshark's "follow TCP" of each stream as raw hex: per stream, the list of chunks with the node that
 * sent them (0 = the side that sent first, as tshark numbers them).
 */
export function tsharkFollowTcp(file: string, streams: number[]): Map<number, FollowedStream> {
  const args = ['-r', file, '-q'];
  for (const stream of streams) args.push('-z', `follow,tcp,raw,${stream}`);
  const output = tshark(args);
  const result = new Map<number, FollowedStream>();
  let current: FollowedStream | undefined;
  for (const line of output.split('\n')) {
    const filter = /^Filter: tcp\.stream eq (\d+)$/.exec(line);
    if (filter) {
      current = { node0: '', node1: '', chunks: [] };
      result.set(Number(filter[1]), current);
      continue;
    }
    if (!current || line.startsWith('=') || line.startsWith('Follow:')) continue;
    const node = /^Node ([01]): (.*)$/.exec(line);
    if (node) {
      if (node[1] === '0') current.node0 = node[2] ?? '';
      else current.node1 = node[2] ?? '';
      continue;
    }
    const chunk = /^(\t?)([0-9a-f]+)$/.exec(line);
    if (chunk) current.chunks.push({ node: chunk[1] ? 1 : 0, bytes: Buffer.from(chunk[2] ?? '', 'hex') });
    else if (line.length > 0) throw new Error(`unexpected tshark follow line: ${line.slice(0, 80)}`);
  }
  return result;
}

export interface FollowedStream {
  /** `ip:port` of node 0 (the side tshark saw first) and node 1. */
  node0: string;
  node1: string;
  chunks: FollowedChunk[];
}

export interface FollowedChunk {
  node: 0 | 1;
  bytes: Uint8Array;
}

/** Writes bytes to a temporary file for the duration of `use` (to hand synthesised captures to tshark). */
export function withTempFile<T>(name: string, bytes: Uint8Array, use: (path: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'ghostguard-capture-'));
  try {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return use(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
