/**
 * Reads the commands an ESL client writes (`connect`, `sendmsg <uuid>` + header lines, `api …`): each ends at
 * a blank line; a `content-length` header (sendmsg, sendevent) announces a body. modesl writes every header
 * line as its own TCP write, so commands arrive in pieces; the reader reassembles them and caps what it buffers.
 */
export interface EslCommand {
  /** The first line, e.g. `sendmsg 12f3…` or `event plain ALL`. */
  line: string;
  /** Header lines after the first, in order, values as sent. */
  headers: Array<[string, string]>;
  body: string;
}

export class EslCommandTooLarge extends Error {
  readonly code = 'ESL_PEER_COMMAND_TOO_LARGE';
}

export class EslCommandReader {
  private buffer: Buffer = Buffer.alloc(0);
  private pending: { line: string; headers: Array<[string, string]>; length: number } | undefined;

  constructor(private readonly maxBytes = 64 * 1024) {}

  /** Complete commands in `chunk` (plus what was buffered); throws EslCommandTooLarge past the cap. */
  push(chunk: Buffer): EslCommand[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const out: EslCommand[] = [];
    for (;;) {
      if (this.pending) {
        if (this.buffer.length < this.pending.length) break;
        const body = this.buffer.subarray(0, this.pending.length).toString('utf8');
        this.buffer = this.buffer.subarray(this.pending.length);
        out.push({ line: this.pending.line, headers: this.pending.headers, body });
        this.pending = undefined;
        continue;
      }
      const end = this.buffer.indexOf('\n\n');
      if (end === -1) break;
      const text = this.buffer.subarray(0, end).toString('utf8');
      this.buffer = this.buffer.subarray(end + 2);
      const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
      const line = lines.shift() ?? '';
      const headers: Array<[string, string]> = [];
      for (const l of lines) {
        const colon = l.indexOf(':');
        if (colon > 0) headers.push([l.slice(0, colon).trim(), l.slice(colon + 1).trim()]);
      }
      const lengthHeader = headers.find(([k]) => k.toLowerCase() === 'content-length');
      const length = lengthHeader ? Number.parseInt(lengthHeader[1], 10) : 0;
      if (length > this.maxBytes) throw new EslCommandTooLarge(`command body of ${length} bytes`);
      if (length > 0) this.pending = { line, headers, length };
      else out.push({ line, headers, body: '' });
    }
    if (this.buffer.length > this.maxBytes)
      throw new EslCommandTooLarge(`${this.buffer.length} bytes without a command end`);
    return out;
  }
}
