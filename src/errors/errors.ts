/**
 * The one error model (after the OTel Collector's consumererror): every failure the pipeline, storage or a way in
 * reports is either
 * - permanent: the input is wrong and the same request will fail the same way (never retried), or
 * - retryable: the service cannot take it now (database down, saturated); the sender should retry after a delay.
 * Anything else reaching a protocol edge is a bug (HTTP 500 / gRPC INTERNAL), logged once with its stack.
 * Messages of these errors go back to the caller: they must not quote request content beyond a short echo.
 */

/** Why a request is refused for good; each reason has one HTTP status and one gRPC code (see status.ts). */
export type PermanentReason = 'invalid_argument' | 'unauthenticated' | 'forbidden' | 'not_found' | 'too_large' | 'unsupported_media_type' | 'unprocessable';

/** Why a request cannot be taken now: the service is unavailable, or the caller is over a limit. */
export type RetryableReason = 'unavailable' | 'throttled';

export class PermanentError extends Error {
  readonly kind = 'permanent' as const;
  constructor(
    readonly reason: PermanentReason,
    /** Stable machine-readable code, e.g. MALFORMED_REQUEST (logs, metrics; lower-cased, the JSON API's `error`). */
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class RetryableError extends Error {
  readonly kind = 'retryable' as const;
  constructor(
    readonly reason: RetryableReason,
    readonly code: string,
    message: string,
    /** How long the caller should wait before retrying (Retry-After / gRPC RetryInfo). */
    readonly retryAfterMs: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Retry hint for a database outage: long enough not to hammer it, short enough to drain quickly after. */
export const STORAGE_RETRY_AFTER_MS = 5_000;
/** Retry hint when the receiver is saturated: writes in flight free up within about a second. */
export const SATURATED_RETRY_AFTER_MS = 1_000;

/** The database cannot be reached or failed transiently. The message is for logs; callers see a fixed text. */
export class StorageUnavailableError extends RetryableError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super('unavailable', 'UNAVAILABLE', detail, STORAGE_RETRY_AFTER_MS, options);
  }
}

/** Too much work already in flight: refused fast so the sender backs off (the OTel Collector's ErrDataRefused). */
export class SaturatedError extends RetryableError {
  constructor(message = 'receiver busy: too many exports in flight, retry after 1 s') {
    super('unavailable', 'SATURATED', message, SATURATED_RETRY_AFTER_MS);
  }
}

export function isPermanent(err: unknown): err is PermanentError {
  return err instanceof PermanentError;
}

export function isRetryable(err: unknown): err is RetryableError {
  return err instanceof RetryableError;
}
