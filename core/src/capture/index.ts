export { type CaptureFormat, captureFormatOf, detectCaptureFormat } from './capture-format.js';
export { CaptureStream, MAX_STREAM_RECORD_BYTES } from './capture-stream.js';
export type {
  CaptureEvent,
  CaptureResult,
  CaptureStats,
  CaptureWarning,
  CaptureWarningCode,
  ReadCaptureOptions,
  SkipReason,
  TcpDataEvent,
  TcpEndEvent,
  TransportEndpoint,
  UdpDatagramEvent,
} from './capture-types.js';
export { SKIP_REASONS } from './capture-types.js';
export { LinkType } from './link-layer.js';
export { readCapture } from './read-capture.js';
export { H323_CALL_SIGNALLING_PORT, H323_RAS_PORT, type TcpStreamKind, tcpStreamKind } from './stream-kind.js';
