/**
 * OTLP/HTTP trace decode layer: body intake, protobuf/JSON decoding into the OtlpSpan model, reply encoding.
 */
import type { OtlpFormat } from './body.js';
import type { DecodeResult } from './decode-result.js';
import { decodeJsonExport } from './json.js';
import { decodeProtobufExport } from './protobuf.js';

export type * from './model.js';
export type { DecodeResult } from './decode-result.js';
export { OtlpHttpError, MalformedRequestError, PayloadTooLargeError, UnsupportedMediaTypeError, UnsupportedEncodingError } from './errors.js';
export { parseContentType, readBody, type OtlpFormat, type ReadBodyOptions } from './body.js';
export { decodeProtobufExport } from './protobuf.js';
export { otlpProtoTypes } from './proto-schema.js';
export { decodeJsonExport } from './json.js';
export { encodeExportResponse, encodeStatus, grpcCodeForHttpStatus, partialSuccessFor, type EncodedResponse, type PartialSuccess } from './response.js';

/**
 * Decodes an ExportTraceServiceRequest body. Throws MalformedRequestError (400) when the body cannot be decoded;
 * individually invalid spans are skipped and counted in `rejectedSpans` instead.
 */
export function decodeExport(body: Buffer, format: OtlpFormat): DecodeResult {
  return format === 'json' ? decodeJsonExport(body) : decodeProtobufExport(body);
}
