import { GhostguardError } from '../errors.js';
import { captureFormatError, captureTruncatedError, truncatedLastRecordWarning } from './capture-errors.js';
import { type CaptureFormat, detectCaptureFormat } from './capture-format.js';
import type { CaptureEvent, CaptureStats, CaptureWarning, ReadCaptureOptions } from './capture-types.js';
import type { PacketRecord } from './packet-record.js';
import { pcapByteOrder } from './pcap-file.js';
import { PcapngBlockReader } from './pcapng-file.js';
import { decodeRecord, emptyStats, heldBytesLimit } from './read-capture.js';
import { DEFAULT_TCP_REASSEMBLER_OPTIONS, TcpReassembler } from './tcp-reassembler.js';
import { pcapTimeMs } from './timestamp.js';

/** Largest pcap record or pcapng block taken when streaming (the file's size is not known): far past any snaplen. */
export const MAX_STREAM_RECORD_BYTES = 16 * 1024 * 1024;
const PCAP_HEADER = 24;
const PCAP_RECORD_HEADER = 16;
const LINK_TYPE_MASK = 0x03ffffff;

/**
 * A pcap or pcapng file read as it arrives, in constant memory: push() the bytes in any chunks, get the
 * transport events they complete (UDP datagrams, reassembled TCP stream pieces, ends), then end(). Unlike
 * readCapture(), records are taken in file order (a capture out of time order is not sorted: its TCP
 * reassembly still works by sequence numbers) and TCP directions are forgotten past `maxTcpDirections`.
 * Memory: the bytes of one unfinished record, the reassembler's bounded holdings, the events of one push.
 * Event payloads are views of the reader's window, valid until the next push() or end(): use them (or copy
 * them) before (the reassembler copies what it holds behind a gap).
 * Throws GhostguardError (GG_CAPTURE_FORMAT, GG_CAPTURE_TRUNCATED) naming the file offset.
 */
export class CaptureStream {
  readonly stats: CaptureStats = emptyStats();
  readonly warnings: CaptureWarning[] = [];
  private fmt: CaptureFormat | undefined;
  private buf = new Uint8Array(64 * 1024);
  private start = 0;
  private end_ = 0;
  /** File offset of buf[start]. */
  private base = 0;
  private pcap: { littleEndian: boolean; fractionsPerSecond: number; linkType: number } | undefined;
  private readonly pcapng = new PcapngBlockReader();
  private lastTime = 0;
  private events: CaptureEvent[] = [];
  private readonly reassembler: TcpReassembler;

  constructor(options: ReadCaptureOptions & { maxTcpDirections?: number } = {}) {
    this.reassembler = new TcpReassembler(
      {
        ...DEFAULT_TCP_REASSEMBLER_OPTIONS,
        maxHeldBytes: heldBytesLimit(options),
        copyHeld: true,
        ...(options.maxTcpDirections !== undefined ? { maxDirections: options.maxTcpDirections } : {}),
      },
      (event) => this.events.push(event),
      (warning) => this.warnings.push(warning),
    );
  }

  /** 'pcap' or 'pcapng' once four bytes have come. */
  get format(): CaptureFormat | undefined {
    return this.fmt;
  }

  push(chunk: Uint8Array): CaptureEvent[] {
    this.append(chunk);
    this.parse(false);
    return this.take();
  }

  /** The end of the file: a record cut short is a warning, TCP data held behind a gap is delivered. */
  end(): CaptureEvent[] {
    if (this.fmt === undefined) detectCaptureFormat(this.buf.subarray(this.start, this.end_));
    this.parse(true);
    this.reassembler.finish(this.lastTime);
    return this.take();
  }

  private take(): CaptureEvent[] {
    const out = this.events;
    this.events = [];
    return out;
  }

  private append(chunk: Uint8Array): void {
    const pending = this.end_ - this.start;
    if (this.end_ + chunk.length > this.buf.length) {
      if (pending + chunk.length <= this.buf.length && this.start > 0) {
        this.buf.copyWithin(0, this.start, this.end_);
      } else {
        const grown = new Uint8Array(Math.max(this.buf.length * 2, pending + chunk.length));
        grown.set(this.buf.subarray(this.start, this.end_));
        this.buf = grown;
      }
      this.start = 0;
      this.end_ = pending;
    }
    this.buf.set(chunk, this.end_);
    this.end_ += chunk.length;
  }

  private parse(final: boolean): void {
    const bytes = this.buf.subarray(0, this.end_);
    if (this.fmt === undefined) {
      if (this.end_ - this.start < 4) return;
      this.fmt = detectCaptureFormat(bytes.subarray(this.start));
    }
    try {
      if (this.fmt === 'pcap') this.parsePcap(bytes, final);
      else this.parsePcapng(bytes, final);
    } catch (err) {
      throw this.atFileOffset(err);
    }
  }

  private parsePcap(bytes: Uint8Array, final: boolean): void {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (this.pcap === undefined) {
      if (this.end_ - this.start < PCAP_HEADER) {
        if (final) {
          throw captureTruncatedError(
            'pcap file header',
            `needs ${PCAP_HEADER} bytes, file has ${this.end_ - this.start}`,
            this.start,
          );
        }
        return;
      }
      const order = pcapByteOrder(bytes.subarray(this.start))!;
      this.pcap = {
        ...order,
        linkType: view.getUint32(this.start + 20, order.littleEndian) & LINK_TYPE_MASK,
      };
      this.consume(PCAP_HEADER);
    }
    const { littleEndian, fractionsPerSecond, linkType } = this.pcap;
    for (;;) {
      const at = this.start;
      const left = this.end_ - at;
      if (left === 0) return;
      if (left < PCAP_RECORD_HEADER) {
        if (final) this.cut('the file ends inside a pcap record header', at);
        return;
      }
      const captured = view.getUint32(at + 8, littleEndian);
      if (captured > MAX_STREAM_RECORD_BYTES) {
        throw captureTruncatedError(
          'pcap record',
          `captured length ${captured} is larger than any record this reader takes (${MAX_STREAM_RECORD_BYTES} bytes)`,
          at,
        );
      }
      if (left < PCAP_RECORD_HEADER + captured) {
        if (final) this.cut(`the file ends inside a pcap record of ${captured} bytes`, at);
        return;
      }
      const dataStart = at + PCAP_RECORD_HEADER;
      this.record({
        time: pcapTimeMs(view.getUint32(at, littleEndian), view.getUint32(at + 4, littleEndian), fractionsPerSecond),
        linkType,
        data: bytes.subarray(dataStart, dataStart + captured),
        offset: this.base,
      });
      this.consume(PCAP_RECORD_HEADER + captured);
    }
  }

  private parsePcapng(bytes: Uint8Array, final: boolean): void {
    for (;;) {
      const at = this.start;
      if (at === this.end_) return;
      const r = this.pcapng.block(bytes, at, at + MAX_STREAM_RECORD_BYTES, false);
      if (r === 'more') {
        if (final) {
          if (this.base === 0) {
            throw captureTruncatedError('Section Header Block', 'the file ends inside it', at);
          }
          this.cut(this.pcapng.endsInside(bytes, at), at);
        }
        return;
      }
      if (r.record) this.record({ ...r.record, offset: this.base });
      this.consume(r.length);
    }
  }

  private cut(message: string, at: number): void {
    this.warnings.push(truncatedLastRecordWarning(message, this.base + (at - this.start)));
    this.consume(this.end_ - at);
  }

  private consume(n: number): void {
    this.start += n;
    this.base += n;
    if (this.start === this.end_) {
      this.start = 0;
      this.end_ = 0;
    }
  }

  private record(record: PacketRecord): void {
    const stats = this.stats;
    stats.packets++;
    if (record.linkType !== undefined) {
      stats.packetsByLinkType[record.linkType] = (stats.packetsByLinkType[record.linkType] ?? 0) + 1;
    }
    this.lastTime = record.time;
    const skipped = decodeRecord(record, this.events, this.reassembler, stats);
    if (skipped) stats.skipped[skipped]++;
  }

  /**
   * The container readers name offsets in the window (`buf`); the file offset is `base` + (offset − start).
   * Errors are made again with it (their message says where).
   */
  private atFileOffset(err: unknown): unknown {
    if (!(err instanceof GhostguardError) || err.offset === undefined) return err;
    const fileOffset = this.base + (err.offset - this.start);
    if (fileOffset === err.offset) return err;
    const message = err.message.replace(`offset ${err.offset}`, `offset ${fileOffset}`);
    return err.code === 'GG_CAPTURE_FORMAT'
      ? captureFormatError(message.replace(/ \(at file offset \d+\)$/, ''), fileOffset)
      : new GhostguardError(err.code, message, { offset: fileOffset, cause: err });
  }
}
