/**
 * Errors the OTLP decode layer throws. Each carries the HTTP status the receiver should answer with, so the
 * HTTP shell maps them without knowing decode details. All of them are permanent: a sender must not retry.
 */

export class OtlpHttpError extends Error {
  /** HTTP status to reply with. */
  readonly status: number;
  /** Stable machine-readable code (for logs, metrics and docs). */
  readonly code: string;
  /** Set only for throttling errors (429/503); none of the decode errors below use it. */
  readonly retryAfterSeconds?: number;

  constructor(status: number, code: string, message: string, retryAfterSeconds?: number) {
    super(message);
    this.name = new.target.name;
    this.status = status;
    this.code = code;
    if (retryAfterSeconds !== undefined) this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The body cannot be decoded as an ExportTraceServiceRequest at all (400, not retryable). */
export class MalformedRequestError extends OtlpHttpError {
  constructor(message: string) {
    super(400, 'MALFORMED_REQUEST', message);
  }
}

/** The raw or the decompressed body is larger than the configured limit (413). */
export class PayloadTooLargeError extends OtlpHttpError {
  constructor(message: string) {
    super(413, 'PAYLOAD_TOO_LARGE', message);
  }
}

/** Content-Type is not one OTLP/HTTP defines (415). */
export class UnsupportedMediaTypeError extends OtlpHttpError {
  constructor(message: string) {
    super(415, 'UNSUPPORTED_MEDIA_TYPE', message);
  }
}

/** Content-Encoding is not one we can decompress (415). */
export class UnsupportedEncodingError extends OtlpHttpError {
  constructor(message: string) {
    super(415, 'UNSUPPORTED_ENCODING', message);
  }
}

const MAX_ECHO = 40;

/**
 * Renders a piece of user input for an error message: strings quoted and cut to ~40 chars, so a reply or log
 * line never carries a sender's payload (prompts can sit in attribute values).
 */
export function echo(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value.length > MAX_ECHO ? `${value.slice(0, MAX_ECHO)}…` : value);
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'bigint') return truncate(`${value}n`, MAX_ECHO);
  return truncate(typeof value === 'number' || typeof value === 'boolean' ? String(value) : typeof value, MAX_ECHO);
}

/** Cuts a message to `max` chars, marking the cut. */
export function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
