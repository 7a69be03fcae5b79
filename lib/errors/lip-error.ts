import { ERROR_CODES, isErrorCode, type ErrorCode } from './codes.js';

export interface LipErrorOptions {
  /** HTTP status for the client; defaults to the registry's. */
  status?: number;
  /** Overrides the registry's retryability (upstream statuses decide per status). */
  retryable?: boolean;
  cause?: unknown;
  /** The request field the error is about, in the client's own notation (`messages[0].content`). */
  param?: string;
  /** Seconds, for 429/503 answers. */
  retryAfter?: number;
  /** Free-form, never sent to clients: which backend, which candidate, upstream body excerpt. */
  detail?: Record<string, unknown>;
}

/**
 * The error every layer throws and every Observable error notification carries. Only frontends
 * turn it into wire form; `code` is stable (see `docs/errors.md`).
 *
 * Most LipErrors are expected outcomes (an upstream said 503, a budget expired), created on the
 * routing hot path under deep RxJS call stacks: they carry no stack trace, which V8 would
 * otherwise capture at a cost of tens of microseconds. `LIP_ERR_SERVER_INTERNAL` (a bug) keeps
 * its stack, and a `cause` always keeps its own.
 */
export class LipError extends Error {
  override readonly name = 'LipError';
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly param: string | undefined;
  readonly retryAfter: number | undefined;
  readonly detail: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message?: string, options: LipErrorOptions = {}) {
    const spec = ERROR_CODES[code];
    const limit = Error.stackTraceLimit;
    if (code !== 'LIP_ERR_SERVER_INTERNAL') Error.stackTraceLimit = 0;
    try {
      super(message ?? spec.summary, options.cause === undefined ? undefined : { cause: options.cause });
    } finally {
      Error.stackTraceLimit = limit;
    }
    this.code = code;
    this.status = options.status ?? spec.status;
    this.retryable = options.retryable ?? spec.retryable;
    this.param = options.param;
    this.retryAfter = options.retryAfter;
    this.detail = options.detail;
  }
}

export function isLipError(err: unknown): err is LipError {
  return err instanceof LipError;
}

/**
 * Whatever was thrown, as a LipError. Errors that carry a registered `code` (canonical/ has its
 * own small error classes because it imports nothing from lib/) keep it; anything else is an
 * internal error whose original stays in `cause` for the log.
 */
export function toLipError(err: unknown): LipError {
  if (err instanceof LipError) return err;
  const code = err instanceof Error ? (err as Error & { code?: unknown }).code : undefined;
  if (err instanceof Error && isErrorCode(code)) return new LipError(code, err.message, { cause: err });
  return new LipError('LIP_ERR_SERVER_INTERNAL', 'internal error', { cause: err });
}

/** The status class of an upstream HTTP status: 408, 409, 429 and 5xx may fail over. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}
