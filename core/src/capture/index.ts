export { type CaptureFormat, captureFormatOf, detectCaptureFormat } from './capture-format.js';
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
