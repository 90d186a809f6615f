import { GhostguardError } from '../errors.js';
import type { CaptureWarning } from './capture-types.js';

/** The buffer is not a capture file this reader knows (or its framing is inconsistent). */
export function captureFormatError(message: string, offset: number): GhostguardError {
  return new GhostguardError('GG_CAPTURE_FORMAT', `${message} (at file offset ${offset})`, { offset });
}

/** A block or record declares a length that cannot be right for this file. */
export function captureTruncatedError(what: string, detail: string, offset: number): GhostguardError {
  return new GhostguardError('GG_CAPTURE_TRUNCATED', `${what} at file offset ${offset}: ${detail}`, { offset });
}

/**
 * Chosen behaviour for a file cut short: when the last record runs past the end of the file (but
 * its declared length is plausible), the records before it are kept and this warning is returned.
 * Absurd lengths (larger than the whole file, below the minimum) still throw.
 */
export function truncatedLastRecordWarning(message: string, offset: number): CaptureWarning {
  return { code: 'truncated-last-record', message: `${message}; records before it were kept`, offset };
}
