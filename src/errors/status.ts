import { PermanentError, RetryableError, StorageUnavailableError, type PermanentReason, type RetryableReason } from './errors.js';

/** gRPC status codes used here (google.rpc.Code). */
export const GrpcCode = {
  OK: 0,
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;
export type GrpcCode = (typeof GrpcCode)[keyof typeof GrpcCode];

/** One row per reason: the HTTP status and the gRPC code. */
const PERMANENT: Record<PermanentReason, { http: number; grpc: GrpcCode }> = {
  invalid_argument: { http: 400, grpc: GrpcCode.INVALID_ARGUMENT },
  unauthenticated: { http: 401, grpc: GrpcCode.UNAUTHENTICATED },
  forbidden: { http: 403, grpc: GrpcCode.PERMISSION_DENIED },
  not_found: { http: 404, grpc: GrpcCode.NOT_FOUND },
  too_large: { http: 413, grpc: GrpcCode.RESOURCE_EXHAUSTED },
  unsupported_media_type: { http: 415, grpc: GrpcCode.INVALID_ARGUMENT },
  unprocessable: { http: 422, grpc: GrpcCode.INVALID_ARGUMENT },
};

const RETRYABLE: Record<RetryableReason, { http: number; grpc: GrpcCode }> = {
  unavailable: { http: 503, grpc: GrpcCode.UNAVAILABLE },
  throttled: { http: 429, grpc: GrpcCode.RESOURCE_EXHAUSTED },
};

/** What a protocol edge answers for an error. */
export interface ErrorAnswer {
  status: number;
  /** Whole seconds, rounded up; only for retryable errors. */
  retryAfterSeconds?: number;
  /** Stable code (e.g. MALFORMED_REQUEST). */
  code: string;
  /** The JSON API's `error` field: the code in lower case (e.g. bad_request, unavailable). */
  error: string;
  /** Safe to send to the caller. */
  message: string;
  /** True when nothing classified the error: a bug on our side (log it once, with its stack). */
  bug: boolean;
}

/**
 * The HTTP answer for any error: permanent → its 4xx; retryable → 503 (or 429 when throttled) with Retry-After;
 * anything else → 500. A retryable error's own message can name internals (a driver's text): callers get a fixed one.
 */
export function toHttpStatus(err: unknown): ErrorAnswer {
  if (err instanceof PermanentError) {
    const row = PERMANENT[err.reason];
    return { status: row.http, code: err.code, error: err.code.toLowerCase(), message: err.message, bug: false };
  }
  if (err instanceof RetryableError) {
    const row = RETRYABLE[err.reason];
    const message = err instanceof StorageUnavailableError ? 'database unavailable, retry later' : err.message;
    const retryAfterSeconds = Math.max(1, Math.ceil(err.retryAfterMs / 1000));
    return { status: row.http, retryAfterSeconds, code: err.code, error: err.code.toLowerCase(), message, bug: false };
  }
  return { status: 500, code: 'INTERNAL', error: 'internal', message: 'internal error', bug: true };
}

/** The gRPC answer for any error (OTLP/gRPC: UNAVAILABLE and RESOURCE_EXHAUSTED carry a RetryInfo delay). */
export function toGrpcStatus(err: unknown): { code: GrpcCode; message: string; retryDelayMs?: number; bug: boolean } {
  if (err instanceof PermanentError) return { code: PERMANENT[err.reason].grpc, message: err.message, bug: false };
  if (err instanceof RetryableError) {
    const { message } = toHttpStatus(err);
    return { code: RETRYABLE[err.reason].grpc, message, retryDelayMs: err.retryAfterMs, bug: false };
  }
  return { code: GrpcCode.INTERNAL, message: 'internal error', bug: true };
}

/** The HTTP status of a permanent reason. */
export function httpStatusOf(reason: PermanentReason): number {
  return PERMANENT[reason].http;
}
