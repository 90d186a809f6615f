/**
 * AMI framing as Asterisk's manager.c reads and writes it: `Name: value` lines ending in CRLF, a blank
 * line ending each message. Header names are matched case-insensitively (astman_get_header).
 */

/** One header line, name and value as they go on the wire. */
export type AmiField = readonly [name: string, value: string];

/** One message (action, response or event): its header lines in wire order. */
export interface AmiMessage {
  readonly fields: readonly AmiField[];
  /** First value of a header, matched case-insensitively; undefined when absent. */
  get(name: string): string | undefined;
}

/** Asterisk's manager input buffer is 1024 bytes per line; a client line longer than this is refused. */
export const AMI_MAX_LINE_BYTES = 1024;
/** Most header lines one action may carry (Asterisk: AST_MAX_MANHEADERS). */
export const AMI_MAX_HEADERS = 128;

export function encodeFrame(fields: readonly AmiField[]): string {
  let out = '';
  for (const [name, value] of fields) out += `${name}: ${value}\r\n`;
  return `${out}\r\n`;
}

export function amiMessage(fields: readonly AmiField[]): AmiMessage {
  return {
    fields,
    get(name) {
      const lower = name.toLowerCase();
      for (const [n, v] of fields) if (n.toLowerCase() === lower) return v;
      return undefined;
    },
  };
}

/** Splits `Name: value` the way manager.c does: at the first colon, one optional space dropped. */
function splitLine(line: string): AmiField {
  const colon = line.indexOf(':');
  if (colon < 0) return [line, ''];
  const value = line.slice(colon + 1);
  return [line.slice(0, colon), value.startsWith(' ') ? value.slice(1) : value];
}

export class AmiFrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AmiFrameError';
  }
}

/**
 * Reads messages from a byte stream (the client's actions on the server side, or the server's responses and
 * events on a client side). Lines end in LF with an optional CR. A line beyond `maxLineBytes` or a message beyond
 * `maxHeaders` lines throws AmiFrameError: the caller closes the connection.
 */
export class AmiFrameReader {
  private pending = '';
  private fields: AmiField[] = [];

  constructor(
    private readonly maxLineBytes = AMI_MAX_LINE_BYTES,
    private readonly maxHeaders = AMI_MAX_HEADERS,
    /** Skip a leading `Asterisk Call Manager/x.y.z` banner line (client side). */
    private skipBanner = false,
  ) {}

  push(chunk: Buffer | string): AmiMessage[] {
    this.pending += typeof chunk === 'string' ? chunk : chunk.toString('latin1');
    const out: AmiMessage[] = [];
    let start = 0;
    for (;;) {
      const nl = this.pending.indexOf('\n', start);
      if (nl < 0) break;
      let line = this.pending.slice(start, nl);
      start = nl + 1;
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line.length > this.maxLineBytes) throw new AmiFrameError(`line of ${line.length} bytes`);
      if (this.skipBanner) {
        this.skipBanner = false;
        if (line.startsWith('Asterisk Call Manager/')) continue;
      }
      if (line === '') {
        if (this.fields.length > 0) out.push(amiMessage(this.fields));
        this.fields = [];
        continue;
      }
      if (this.fields.length >= this.maxHeaders) throw new AmiFrameError(`more than ${this.maxHeaders} header lines`);
      this.fields.push(splitLine(line));
    }
    this.pending = this.pending.slice(start);
    if (this.pending.length > this.maxLineBytes)
      throw new AmiFrameError(`line of more than ${this.maxLineBytes} bytes`);
    return out;
  }
}
