import type { CaptureEvent, CaptureWarning, TransportEndpoint } from './capture-types.js';
import type { TcpSegment } from './transport-layer.js';

/**
 * Rebuilds each direction of each TCP connection as an in-order byte stream: duplicates and
 * overlaps are trimmed, segments past a gap are held until the gap fills. Payloads are delivered
 * as views of the segments they came from (no copies; held segments are copied only with
 * `copyHeld`, for a streaming reader), so held data costs no extra memory beyond bookkeeping; the
 * byte budget still bounds how far a stream may run ahead of a gap.
 */

export interface TcpReassemblerOptions {
  /** Most payload bytes held past a gap per direction before skipping the gap. */
  maxHeldBytes: number;
  /** Most segments held per direction (bounds bookkeeping for floods of tiny segments). */
  maxHeldSegments: number;
  /**
   * Most open directions remembered; past it the least recently opened is forgotten (a capture of many connections
   * read as a stream stays bounded; a forgotten direction seen again starts over as if mid-stream). As many ended
   * ones are kept apart, as tombstones of a few dozen bytes, oldest forgotten first.
   */
  maxDirections?: number;
  /**
   * Copy a segment held behind a gap (a streaming reader reuses its window once a packet is done); without
   * it held segments stay views of the caller's buffer, like every delivered payload.
   */
  copyHeld?: boolean;
}

export const DEFAULT_TCP_REASSEMBLER_OPTIONS: TcpReassemblerOptions = {
  maxHeldBytes: 1024 * 1024,
  maxHeldSegments: 4096,
  maxDirections: 65_536,
};

/**
 * What is kept of a direction after its FIN or RST: enough to ignore its retransmissions, to tell a new connection
 * on the same addresses (a SYN with another initial sequence number) and to give the other direction the same
 * connection number. A few dozen bytes where the whole direction (endpoints, held list) was a few hundred: a
 * capture of many short connections (a scan, a flood) keeps up to maxDirections of them.
 */
interface EndedDirection {
  connection: number;
  initialSeq: number | undefined;
}

interface HeldSegment {
  seq: number;
  data: Uint8Array;
}

interface StreamDirection {
  src: TransportEndpoint;
  dst: TransportEndpoint;
  connection: number;
  /** Sequence number of the SYN, when the capture saw it. */
  initialSeq: number | undefined;
  /** Next byte expected; undefined until a SYN or the first data (capture started mid-stream). */
  nextSeq: number | undefined;
  /** Sequence number the FIN occupies, once a FIN was seen. */
  finSeq: number | undefined;
  ended: boolean;
  /** Sorted by sequence (relative to nextSeq); every entry starts past nextSeq. */
  held: HeldSegment[];
  heldBytes: number;
}

/** Signed distance a - b in 32-bit sequence space (RFC 1982 style), so wrap-around compares right. */
export function seqDistance(a: number, b: number): number {
  return (a - b) | 0;
}

function seqAdd(seq: number, n: number): number {
  return (seq + n) >>> 0;
}

function directionKey(src: TransportEndpoint, dst: TransportEndpoint): string {
  return `${src.ip} ${src.port} ${dst.ip} ${dst.port}`;
}

export class TcpReassembler {
  private readonly directions = new Map<string, StreamDirection>();
  /** Directions that ended (FIN, RST), oldest first; at most maxDirections. */
  private readonly ended = new Map<string, EndedDirection>();
  private nextConnection = 0;

  constructor(
    private readonly options: TcpReassemblerOptions,
    private readonly emit: (event: CaptureEvent) => void,
    private readonly warn: (warning: CaptureWarning) => void,
  ) {}

  /** Feeds one segment; `offset` is the capture record's file offset, for warnings. */
  push(time: number, src: TransportEndpoint, dst: TransportEndpoint, segment: TcpSegment, offset: number): void {
    const key = directionKey(src, dst);
    const reverseKey = directionKey(dst, src);
    let direction = this.directions.get(key);
    const ended = direction === undefined ? this.ended.get(key) : undefined;

    if (segment.syn && (direction ?? ended)?.initialSeq !== segment.seq) {
      direction = this.openDirection(key, reverseKey, src, dst, segment, offset);
    } else if (ended) {
      return; // retransmissions after FIN/RST carry nothing new
    }
    if (!direction) {
      if (segment.rst) return;
      const reverse = this.directions.get(reverseKey) ?? this.ended.get(reverseKey);
      direction = this.newDirection(src, dst, reverse?.connection ?? this.nextConnection++);
      this.remember(key, direction);
    }
    if (direction.ended) return; // retransmissions after FIN/RST carry nothing new

    // A SYN occupies one sequence number before the first data byte (data on a SYN is TCP Fast Open).
    const dataSeq = seqAdd(segment.seq, segment.syn ? 1 : 0);
    if (direction.nextSeq === undefined && (segment.payload.length > 0 || segment.fin)) direction.nextSeq = dataSeq;
    if (segment.fin) direction.finSeq = seqAdd(dataSeq, segment.payload.length);
    if (segment.payload.length > 0) this.accept(direction, dataSeq, segment.payload, time, offset);
    this.endAtFin(direction, time);

    if (segment.rst) {
      this.reset(direction, time, offset);
      const reverse = this.directions.get(reverseKey);
      if (reverse) this.reset(reverse, time, offset);
    }
  }

  /** End of capture: data still held behind a gap is delivered after skipping the gap. */
  finish(time: number): void {
    for (const direction of this.directions.values()) {
      if (direction.ended || direction.held.length === 0) continue;
      this.warn({
        code: 'tcp-gap-at-end',
        message: `TCP ${describe(direction)}: ${direction.heldBytes} bytes were held behind a gap when the capture ended; delivered after skipping the gap`,
      });
      while (direction.held.length > 0) this.skipGap(direction, time);
      this.endAtFin(direction, time);
    }
  }

  /**
   * A SYN with a new initial sequence number starts a connection. A client SYN (no ACK) also drops
   * whatever the reverse direction held from an earlier connection on the same 4-tuple.
   */
  private openDirection(
    key: string,
    reverseKey: string,
    src: TransportEndpoint,
    dst: TransportEndpoint,
    segment: TcpSegment,
    offset: number,
  ): StreamDirection {
    const previous = this.directions.get(key);
    if (previous) this.dropHeld(previous, 'a new connection reused its addresses and ports', offset);
    this.ended.delete(key);
    let connection: number;
    const reverse = this.directions.get(reverseKey);
    const reverseEnded = reverse === undefined ? this.ended.get(reverseKey) : undefined;
    if (segment.ack && (reverse ?? reverseEnded)) {
      connection = (reverse ?? reverseEnded)!.connection;
    } else {
      connection = this.nextConnection++;
      if (reverse) {
        this.dropHeld(reverse, 'a new connection reused its addresses and ports', offset);
        this.directions.delete(reverseKey);
      }
      this.ended.delete(reverseKey);
    }
    const direction = this.newDirection(src, dst, connection);
    direction.initialSeq = segment.seq;
    direction.nextSeq = seqAdd(segment.seq, 1);
    this.directions.delete(key);
    this.remember(key, direction);
    return direction;
  }

  /** Adds a direction, forgetting the oldest one (Map order: first added) past maxDirections. */
  private remember(key: string, direction: StreamDirection): void {
    this.directions.set(key, direction);
    const max = this.options.maxDirections ?? DEFAULT_TCP_REASSEMBLER_OPTIONS.maxDirections!;
    if (this.directions.size <= max) return;
    const oldest = this.directions.keys().next().value;
    if (oldest !== undefined && oldest !== key) this.directions.delete(oldest);
  }

  private newDirection(src: TransportEndpoint, dst: TransportEndpoint, connection: number): StreamDirection {
    return {
      src,
      dst,
      connection,
      initialSeq: undefined,
      nextSeq: undefined,
      finSeq: undefined,
      ended: false,
      held: [],
      heldBytes: 0,
    };
  }

  private accept(direction: StreamDirection, seq: number, data: Uint8Array, time: number, offset: number): void {
    const nextSeq = direction.nextSeq ?? seq;
    const distance = seqDistance(seq, nextSeq);
    if (distance > 0) {
      this.hold(direction, seq, data, time, offset);
      return;
    }
    if (distance + data.length <= 0) return; // entirely before nextSeq: a retransmission
    this.deliver(direction, data.subarray(-distance), time);
    this.drainHeld(direction, time);
  }

  private hold(direction: StreamDirection, seq: number, data: Uint8Array, time: number, offset: number): void {
    const nextSeq = direction.nextSeq ?? seq;
    const distance = seqDistance(seq, nextSeq);
    // Insert after entries with the same start: on conflicting overlaps the first copy seen wins.
    let low = 0;
    let high = direction.held.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const entry = direction.held[middle];
      if (entry && seqDistance(entry.seq, nextSeq) <= distance) low = middle + 1;
      else high = middle;
    }
    direction.held.splice(low, 0, { seq, data: this.options.copyHeld ? data.slice() : data });
    direction.heldBytes += data.length;

    while (
      direction.held.length > 0 &&
      (direction.heldBytes > this.options.maxHeldBytes || direction.held.length > this.options.maxHeldSegments)
    ) {
      const gap = seqDistance(direction.held[0]?.seq ?? nextSeq, direction.nextSeq ?? nextSeq);
      this.warn({
        code: 'tcp-resync',
        message: `TCP ${describe(direction)}: more than ${this.options.maxHeldBytes} bytes or ${this.options.maxHeldSegments} segments held behind a gap; skipped ${gap} missing bytes`,
        offset,
      });
      this.skipGap(direction, time);
    }
  }

  /** Moves nextSeq to the first held segment, then releases everything now contiguous. */
  private skipGap(direction: StreamDirection, time: number): void {
    const first = direction.held[0];
    if (!first) return;
    direction.nextSeq = first.seq;
    this.drainHeld(direction, time);
  }

  private drainHeld(direction: StreamDirection, time: number): void {
    for (;;) {
      const first = direction.held[0];
      if (!first || direction.nextSeq === undefined) return;
      const distance = seqDistance(first.seq, direction.nextSeq);
      if (distance > 0) return;
      direction.held.shift();
      direction.heldBytes -= first.data.length;
      if (distance + first.data.length > 0) this.deliver(direction, first.data.subarray(-distance), time);
    }
  }

  private deliver(direction: StreamDirection, payload: Uint8Array, time: number): void {
    direction.nextSeq = seqAdd(direction.nextSeq ?? 0, payload.length);
    this.emit({
      kind: 'tcp',
      time,
      src: direction.src,
      dst: direction.dst,
      connection: direction.connection,
      payload,
    });
  }

  private endAtFin(direction: StreamDirection, time: number): void {
    if (direction.ended || direction.finSeq === undefined || direction.nextSeq !== direction.finSeq) return;
    // Anything held past the FIN lies outside the stream.
    direction.held = [];
    direction.heldBytes = 0;
    this.end(direction, 'fin', time);
  }

  private reset(direction: StreamDirection, time: number, offset: number): void {
    if (direction.ended) return;
    this.dropHeld(direction, 'a reset ended the connection', offset);
    this.end(direction, 'rst', time);
  }

  private end(direction: StreamDirection, reason: 'fin' | 'rst', time: number): void {
    direction.ended = true;
    // Kept from here on as a tombstone only (Map order: oldest ended first).
    const key = directionKey(direction.src, direction.dst);
    if (this.directions.get(key) === direction) {
      this.directions.delete(key);
      this.ended.set(key, { connection: direction.connection, initialSeq: direction.initialSeq });
      const max = this.options.maxDirections ?? DEFAULT_TCP_REASSEMBLER_OPTIONS.maxDirections!;
      if (this.ended.size > max) this.ended.delete(this.ended.keys().next().value!);
    }
    this.emit({
      kind: 'tcp-end',
      time,
      src: direction.src,
      dst: direction.dst,
      connection: direction.connection,
      reason,
    });
  }

  private dropHeld(direction: StreamDirection, why: string, offset: number): void {
    if (direction.held.length === 0) return;
    this.warn({
      code: 'tcp-held-data-dropped',
      message: `TCP ${describe(direction)}: ${direction.heldBytes} bytes held behind a gap were dropped because ${why}`,
      offset,
    });
    direction.held = [];
    direction.heldBytes = 0;
  }
}

function describe(direction: StreamDirection): string {
  const { src, dst } = direction;
  return `${src.ip}:${src.port} -> ${dst.ip}:${dst.port} (connection ${direction.connection})`;
}
