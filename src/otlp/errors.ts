import { PermanentError, httpStatusOf } from '../errors/index.js';

/**
 * Errors the OTLP decode layer throws: all permanent (the sender must not retry the same bytes). Each carries the
 * reason the one error model maps to an HTTP status and a gRPC code.
 */
export class OtlpHttpError extends PermanentError {
  /** The HTTP status the receiver answers with (from the reason). */
  get status(): number {
    return httpStatusOf(this.reason);
  }
}

/** The body cannot be decoded as an ExportTraceServiceRequest at all (400). */
export class MalformedRequestError extends OtlpHttpError {
  constructor(message: string) {
    super('invalid_argument', 'MALFORMED_REQUEST', message);
  }
}

/** The raw or the decompressed body is larger than the configured limit (413). */
export class PayloadTooLargeError extends OtlpHttpError {
  constructor(message: string) {
    super('too_large', 'PAYLOAD_TOO_LARGE', message);
  }
}

/** Content-Type is not one OTLP/HTTP defines (415). */
export class UnsupportedMediaTypeError extends OtlpHttpError {
  constructor(message: string) {
    super('unsupported_media_type', 'UNSUPPORTED_MEDIA_TYPE', message);
  }
}

/** Content-Encoding is not one we can decompress (415). */
export class UnsupportedEncodingError extends OtlpHttpError {
  constructor(message: string) {
    super('unsupported_media_type', 'UNSUPPORTED_ENCODING', message);
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
