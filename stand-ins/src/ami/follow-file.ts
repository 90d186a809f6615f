/**
 * Reads tshark "Follow TCP stream" text (`*.follow.txt` in ../shared/fixtures/asterisk-20.20.1): per stream, a
 * `Node 0:` / `Node 1:` header, then blocks that each start with their byte count (Node 1's indented by a tab),
 * the bytes exactly, and a newline. Lets tests replay the recorded server side byte for byte.
 */
import { readFileSync } from 'node:fs';

export interface FollowBlock {
  /** Index of the TCP stream within the file (0-based, in file order). */
  stream: number;
  /** Whether the block was sent by the AMI server (the node on `serverPort`). */
  fromServer: boolean;
  text: string;
}

export class FollowFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FollowFileError';
  }
}

const NODE = /^Node ([01]): (.+):(\d+)$/;
const COUNT = /^(\t?)(\d+)$/;

export function parseFollowText(text: string, serverPort = 5038): FollowBlock[] {
  const blocks: FollowBlock[] = [];
  let stream = -1;
  let serverNode: 0 | 1 | undefined;
  let pos = 0;
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    const line = text.slice(pos, nl < 0 ? text.length : nl);
    const next = nl < 0 ? text.length : nl + 1;
    const node = NODE.exec(line);
    if (line.startsWith('Follow: ')) {
      stream++;
      serverNode = undefined;
    } else if (node) {
      if (Number(node[3]) === serverPort) serverNode = node[1] === '0' ? 0 : 1;
    } else {
      const count = COUNT.exec(line);
      if (count && stream >= 0) {
        const n = Number(count[2]);
        const body = text.slice(next, next + n);
        if (body.length !== n) throw new FollowFileError(`block at offset ${pos} is cut short (${body.length}/${n})`);
        if (serverNode === undefined) throw new FollowFileError(`no node on port ${serverPort} before offset ${pos}`);
        const sender = count[1] === '\t' ? 1 : 0;
        blocks.push({ stream, fromServer: sender === serverNode, text: body });
        pos = next + n;
        if (text[pos] === '\n') pos++;
        continue;
      }
    }
    pos = next;
  }
  return blocks;
}

/**
 * What the server sent in a recorded session file (`*.follow.txt`, read as latin1), block by block, verbatim.
 * `serverPort`: the AMI port of the recording (5038; instance B of asterisk-20.20.1-live: 5138).
 */
export function recordedServerStream(path: string, serverPort = 5038): string[] {
  return parseFollowText(readFileSync(path, 'latin1'), serverPort)
    .filter((b) => b.fromServer)
    .map((b) => b.text);
}
