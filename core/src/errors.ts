/**
 * One error factory for every package (fastify's `createError` idea): a package lists its codes once, each with
 * what it means and what the operator should do, and gets an error class whose every instance carries one of
 * those codes. Callers branch on `code`, logs carry it as a field, and `docs/errors.md` is checked against
 * `definedErrorCodes()` by a test, so a code cannot exist without its documentation.
 */

/** What a code means and what to do about it (the two columns of docs/errors.md). */
export interface ErrorCodeDoc {
  readonly means: string;
  readonly action: string;
}

export interface CodedErrorOptions {
  /** Byte offset (in the message or file) where decoding stopped, when it applies. */
  readonly offset?: number;
  readonly cause?: unknown;
}

/** The base of every error ghostguard throws: `code` is one of the codes its package defined. */
export class CodedError<C extends string = string> extends Error {
  readonly code: C;
  /** Byte offset (in the message or file) where decoding stopped, when it applies. */
  readonly offset: number | undefined;

  constructor(code: C, message: string, options: CodedErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.offset = options.offset;
  }
}

export interface DefinedCode extends ErrorCodeDoc {
  readonly code: string;
  /** The package (and error class) that defined it. */
  readonly owner: string;
}

const registry = new Map<string, DefinedCode>();

/** Every code defined so far by the packages loaded in this process. */
export function definedErrorCodes(): readonly DefinedCode[] {
  return [...registry.values()];
}

export type ErrorClass<C extends string> = (new (
  code: C,
  message: string,
  options?: CodedErrorOptions,
) => CodedError<C>) & { readonly codes: Readonly<Record<C, ErrorCodeDoc>>; readonly owner: string };

/**
 * Defines a package's error class: `owner` is the class name shown in stacks (`AsteriskError`), `codes` every code
 * it may carry. A code defined twice (two packages, or one package loaded twice under one name) keeps its first
 * documentation; two different owners of one code are a programming error and throw at load time.
 */
export function defineErrors<C extends string>(owner: string, codes: Readonly<Record<C, ErrorCodeDoc>>): ErrorClass<C> {
  for (const [code, doc] of Object.entries(codes) as [string, ErrorCodeDoc][]) {
    const known = registry.get(code);
    if (known !== undefined && known.owner !== owner) {
      throw new CodedError('GG_ERROR_CODE_TAKEN', `error code ${code} is defined by ${known.owner} and ${owner}`);
    }
    registry.set(code, { code, owner, means: doc.means, action: doc.action });
  }
  const named = {
    [owner]: class extends CodedError<C> {
      static readonly codes = codes;
      static readonly owner = owner;
      constructor(code: C, message: string, options: CodedErrorOptions = {}) {
        super(code, message, options);
        this.name = owner;
      }
    },
  };
  return named[owner] as unknown as ErrorClass<C>;
}

/** True for any error made by a package's factory (any code); narrow further with `err.code`. */
export function isCodedError(err: unknown): err is CodedError {
  return err instanceof CodedError;
}

const CORE_CODES = {
  GG_CONFIG_INVALID: {
    means: 'The configuration does not validate: the message names the file, the full key path and what was expected.',
    action: 'Fix that key in that file; nothing was started (or, on reload, the running configuration was kept).',
  },
  GG_CONFIG_READ: {
    means: 'The configuration file could not be read or is not YAML/JSON.',
    action: 'Check the path, its permissions and its syntax (the message carries the parser line).',
  },
  GG_ATTEMPT_INVALID: {
    means: 'An adapter built a CallAttempt that does not match the schema (a ghostguard bug, not bad input).',
    action: "Report it with the log line; the call was decided by the adapter's onInternalError policy.",
  },
  GG_SIP_PARSE: {
    means: 'A SIP message does not decode (start line, headers, framing).',
    action:
      'None: the request is judged as undecodable input (rule input.undecodable). Look at the source if it repeats.',
  },
  GG_SIP_TOO_LARGE: {
    means: 'A SIP message or one of its headers is past the size limit.',
    action: 'None: judged as undecodable input. Raise the limit only if a legitimate device sends such messages.',
  },
  GG_CAPTURE_FORMAT: {
    means: 'A capture given to `ghostguard analyze` is not pcap/pcapng, or a record in it is malformed.',
    action: 'Check the file (tshark -r file); the offset in the message locates the bad record.',
  },
  GG_CAPTURE_TRUNCATED: {
    means: 'A capture file ends in the middle of a record.',
    action: 'The records before it were analysed; re-copy the file if the capture was still being written.',
  },
  GG_STATE_IO: {
    means: 'The ban file in dataDir could not be read or written.',
    action: 'Check dataDir exists and is writable by the daemon; bans keep working in memory meanwhile.',
  },
  GG_INPUT_FORMAT: {
    means: '`ghostguard analyze` was given input it does not read (not a capture, JSON lines or SIP text).',
    action: 'Give it a pcap/pcapng capture, a JSONL file of attempts or raw SIP text.',
  },
  GG_H323_DECODE: {
    means: 'H.225/Q.931 bytes do not decode (PER, Q.931 or TPKT framing).',
    action: 'None: the gate judges the call as undecodable input and refuses it by policy.',
  },
  GG_H323_TOO_LARGE: {
    means: 'An H.323 frame or a field in it is past the size limit.',
    action: 'None: judged as undecodable input.',
  },
  GG_BAN_INVALID: {
    means: 'A ban was asked for an address that is not an IP literal, a trusted address, or with a bad duration.',
    action: 'Give an IPv4/IPv6 literal outside `trust`, and a positive duration.',
  },
  GG_ERROR_CODE_TAKEN: {
    means: 'Two packages define the same error code (a ghostguard bug found at load time).',
    action: 'Report it; use matching versions of the @ghostguard packages.',
  },
  GG_INTERNAL_ARGUMENT: {
    means:
      'A ghostguard function was called with an argument out of its range (a map size, a PER length, a TPKT payload size): a ghostguard bug, not bad input from the network.',
    action: 'Report it with the message and stack; the operation it was part of did not happen.',
  },
} as const satisfies Record<string, ErrorCodeDoc>;

export type ErrorCode = keyof typeof CORE_CODES;

/** Errors of @ghostguard/core (configuration, decoders, state). */
export const GhostguardError = defineErrors<ErrorCode>('GhostguardError', CORE_CODES);
export type GhostguardError = CodedError<ErrorCode>;

export function isGhostguardError(err: unknown): err is GhostguardError {
  return err instanceof GhostguardError;
}
