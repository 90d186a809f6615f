import { Buffer } from 'node:buffer';

/**
 * drachtio's admin-port framing: `<byte length>#<payload>`, where the payload of every message starts with
 * `<message id>|<verb>|…` and a SIP message follows the leader after CRLF. The length counts UTF-8 bytes.
 */
export function encodeFrame(payload: string): string {
  return `${Buffer.byteLength(payload, 'utf8')}#${payload}`;
}

/** Largest frame the stand-in accepts from an app (a SIP message plus its leader). */
export const MAX_FRAME_BYTES = 256 * 1024;
/** Longest run of digits accepted before the `#`. */
const MAX_LENGTH_DIGITS = 7;

export class FrameError extends Error {
  override readonly name = 'FrameError';
}

/**
 * Cuts frames out of a TCP stream. Throws FrameError on a bad length prefix or a frame over the cap:
 * the caller closes the connection (drachtio-server does the same with a client that sends garbage).
 */
export class FrameReader {
  private buffered: Buffer = Buffer.alloc(0);

  constructor(private readonly maxFrameBytes = MAX_FRAME_BYTES) {}

  /** Appends received bytes and returns every complete payload, in order. */
  push(chunk: Buffer): string[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const out: string[] = [];
    for (;;) {
      const hash = this.buffered.indexOf(0x23 /* # */);
      if (hash === -1) {
        if (this.buffered.length > MAX_LENGTH_DIGITS) throw new FrameError('no length prefix before #');
        return out;
      }
      const digits = this.buffered.toString('latin1', 0, hash);
      if (!/^[1-9][0-9]*$/.test(digits) || digits.length > MAX_LENGTH_DIGITS) {
        throw new FrameError(`invalid length prefix ${JSON.stringify(digits.slice(0, 16))}`);
      }
      const length = Number(digits);
      if (length > this.maxFrameBytes) throw new FrameError(`frame of ${length} bytes exceeds ${this.maxFrameBytes}`);
      const end = hash + 1 + length;
      if (this.buffered.length < end) return out;
      out.push(this.buffered.toString('utf8', hash + 1, end));
      this.buffered = this.buffered.subarray(end);
    }
  }

  get pendingBytes(): number {
    return this.buffered.length;
  }
}
