import { type CodedError, defineErrors, type ErrorCodeDoc } from '@ghostguard/core';

/** The drachtio adapter's codes: what each means and what to do about it (docs/errors.md). */
const DRACHTIO_CODES = {
  GG_DRACHTIO_OPTIONS: {
    means:
      'attachDrachtio() was given an option that is not configuration and is not what it must be (a `logger` that is not a pino logger).',
    action:
      "Pass a pino logger (or leave `logger` out to use the guard's); bad configuration keys throw GG_CONFIG_INVALID instead.",
  },
  GG_DRACHTIO_REQUEST: {
    means:
      "A request drachtio-srf handed over does not map to a CallAttempt: its raw text names another method than drachtio's, or it has no Request-URI.",
    action:
      'None: the request is judged as undecodable input (what drachtio-srf read of it judged too). If legitimate calls hit it, report it with the `detail` of the verdict.',
  },
} as const satisfies Record<string, ErrorCodeDoc>;

export type DrachtioErrorCode = keyof typeof DRACHTIO_CODES;

/** Typed errors of @ghostguard/drachtio. */
export const DrachtioError = defineErrors<DrachtioErrorCode>('DrachtioError', DRACHTIO_CODES);
export type DrachtioError = CodedError<DrachtioErrorCode>;
