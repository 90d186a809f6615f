/**
 * Counts the characters of the AMI message being received (since the last blank line). asterisk-manager
 * buffers a message until its blank line however long it is; the adapter drops the connection when one
 * exceeds the limit.
 */
export class FrameGuard {
  private since = 0;
  /** Last characters of the previous chunk, so a blank line split across chunks is found. */
  private tail = '';

  constructor(private readonly maxChars: number) {}

  /** Feeds a chunk; false when the current message is over the limit. */
  push(chunk: string): boolean {
    const text = this.tail + chunk;
    const a = text.lastIndexOf('\n\r\n');
    const b = text.lastIndexOf('\n\n');
    const end = Math.max(a < 0 ? -1 : a + 3, b < 0 ? -1 : b + 2);
    this.since = end < 0 ? this.since + chunk.length : text.length - end;
    this.tail = text.slice(-2);
    return this.since <= this.maxChars;
  }
}
