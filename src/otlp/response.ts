/**
 * OTLP/HTTP reply bodies, in the request's encoding: ExportTraceServiceResponse on success (with
 * partial_success only when something was rejected or there is a warning) and google.rpc.Status on failure.
 */
import type { OtlpFormat } from './body.js';
import type { DecodeResult } from './decode-result.js';
import { truncate } from './errors.js';
import { otlpProtoTypes } from './proto-schema.js';

export interface EncodedResponse {
  body: Buffer | string;
  contentType: string;
}

export interface PartialSuccess {
  rejectedSpans: number;
  errorMessage: string;
}

/** Responses should stay far below the spec's 4 MiB; a partial-success message is advice, not a dump. */
const MAX_MESSAGE = 4096;

const CONTENT_TYPES: Record<OtlpFormat, string> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
};

/** Success body. Pass `partial` only for rejections or warnings: full success must leave partial_success unset. */
export function encodeExportResponse(format: OtlpFormat, partial?: Partial<PartialSuccess> | null): EncodedResponse {
  const rejectedSpans = partial?.rejectedSpans ?? 0;
  const errorMessage = truncate(partial?.errorMessage ?? '', MAX_MESSAGE);
  const populated = rejectedSpans > 0 || errorMessage !== '';
  if (!populated) {
    return format === 'json' ? { body: '{}', contentType: CONTENT_TYPES.json } : { body: Buffer.alloc(0), contentType: CONTENT_TYPES.protobuf };
  }
  // Default-valued fields are left out, as proto3 encoders do (protobufjs would write an explicit 0).
  const ps: { rejectedSpans?: number; errorMessage?: string } = {};
  if (rejectedSpans > 0) ps.rejectedSpans = rejectedSpans;
  if (errorMessage !== '') ps.errorMessage = errorMessage;
  if (format === 'json') {
    const json: Record<string, string> = {};
    if (ps.rejectedSpans !== undefined) json.rejectedSpans = String(ps.rejectedSpans); // proto3 JSON: int64 as a string
    if (ps.errorMessage !== undefined) json.errorMessage = ps.errorMessage;
    return { body: JSON.stringify({ partialSuccess: json }), contentType: CONTENT_TYPES.json };
  }
  return {
    body: toBuffer(otlpProtoTypes().exportResponse.encode({ partialSuccess: ps }).finish()),
    contentType: CONTENT_TYPES.protobuf,
  };
}

/**
 * Failure body: a google.rpc.Status. `code` is a google.rpc.Code (see grpcCodeForHttpStatus), not the HTTP status;
 * proto3 omits it when 0.
 */
export function encodeStatus(format: OtlpFormat, status: { code?: number; message: string }): EncodedResponse {
  const code = status.code ?? 0;
  const message = truncate(status.message, MAX_MESSAGE);
  if (format === 'json') return { body: JSON.stringify({ code, message }), contentType: CONTENT_TYPES.json };
  return {
    body: toBuffer(
      otlpProtoTypes()
        .rpcStatus.encode(code === 0 ? { message } : { code, message })
        .finish(),
    ),
    contentType: CONTENT_TYPES.protobuf,
  };
}

/**
 * google.rpc.Code for an HTTP status, as the OpenTelemetry Collector's OTLP/HTTP receiver maps it
 * (gRPC's HTTP mapping, except 400 → INVALID_ARGUMENT and 429 → RESOURCE_EXHAUSTED).
 */
export function grpcCodeForHttpStatus(status: number): number {
  switch (status) {
    case 400:
      return 3; // INVALID_ARGUMENT
    case 401:
      return 16; // UNAUTHENTICATED
    case 403:
      return 7; // PERMISSION_DENIED
    case 404:
      return 12; // UNIMPLEMENTED
    case 429:
      return 8; // RESOURCE_EXHAUSTED
    case 502:
    case 503:
    case 504:
      return 14; // UNAVAILABLE
    default:
      return 2; // UNKNOWN
  }
}

/**
 * Turns a decode result into the partial_success to send, or undefined on full success. Warnings are included
 * so a sender learns about ignored fields; rejection reasons are the first few the decoder kept.
 */
export function partialSuccessFor(decoded: DecodeResult): PartialSuccess | undefined {
  const parts: string[] = [];
  if (decoded.rejectedSpans > 0) {
    const more = decoded.rejectedSpans - decoded.rejectedReasons.length;
    const reasons = decoded.rejectedReasons.join('; ') + (more > 0 ? `; and ${more} more` : '');
    parts.push(`rejected ${decoded.rejectedSpans} invalid span(s): ${reasons}`);
  }
  parts.push(...decoded.warnings);
  if (parts.length === 0) return undefined;
  return { rejectedSpans: decoded.rejectedSpans, errorMessage: parts.join('. ') };
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
