import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import {
  decodeJsonExport,
  encodeExportResponse,
  encodeStatus,
  grpcCodeForHttpStatus,
  MalformedRequestError,
  partialSuccessFor,
  PayloadTooLargeError,
  UnsupportedEncodingError,
  UnsupportedMediaTypeError,
} from '../../src/otlp/index.js';

/** Independent, inline schemas: the test does not trust the vendored .proto files it is checking. */
const wire = protobuf.parse(`
  syntax = "proto3";
  message ExportTraceServiceResponse { ExportTracePartialSuccess partial_success = 1; }
  message ExportTracePartialSuccess { int64 rejected_spans = 1; string error_message = 2; }
  message Status { int32 code = 1; string message = 2; repeated bytes details = 3; }
`).root;
const Response = wire.lookupType('ExportTraceServiceResponse');
const Status = wire.lookupType('Status');

describe('ExportTraceServiceResponse', () => {
  it('full success: empty protobuf message and {} in JSON (partial_success unset)', () => {
    const proto = encodeExportResponse('protobuf');
    expect(proto.contentType).toBe('application/x-protobuf');
    expect(Buffer.isBuffer(proto.body)).toBe(true);
    expect(proto.body.length).toBe(0);
    expect(encodeExportResponse('json')).toEqual({ body: '{}', contentType: 'application/json' });
    expect(encodeExportResponse('json', null).body).toBe('{}');
    expect(encodeExportResponse('json', { rejectedSpans: 0, errorMessage: '' }).body).toBe('{}');
  });

  it('partial success in JSON: int64 as a string', () => {
    expect(encodeExportResponse('json', { rejectedSpans: 3, errorMessage: 'bad ids' }).body).toBe(
      '{"partialSuccess":{"rejectedSpans":"3","errorMessage":"bad ids"}}',
    );
    // Warning only: rejected_spans = 0 is a proto3 default and is omitted.
    expect(encodeExportResponse('json', { errorMessage: 'ignored *_strindex' }).body).toBe('{"partialSuccess":{"errorMessage":"ignored *_strindex"}}');
  });

  it('partial success in protobuf decodes back to the same values', () => {
    const { body } = encodeExportResponse('protobuf', { rejectedSpans: 3, errorMessage: 'bad ids' });
    const decoded = Response.toObject(Response.decode(body as Buffer), { longs: Number });
    expect(decoded).toEqual({ partialSuccess: { rejectedSpans: 3, errorMessage: 'bad ids' } });
    const warning = encodeExportResponse('protobuf', { rejectedSpans: 0, errorMessage: 'just a warning' });
    expect(Response.toObject(Response.decode(warning.body as Buffer), { longs: Number })).toEqual({
      partialSuccess: { errorMessage: 'just a warning' },
    });
  });

  it('is read correctly by the OpenTelemetry JS exporter', () => {
    const proto = encodeExportResponse('protobuf', { rejectedSpans: 2, errorMessage: 'two bad' });
    const fromProto = ProtobufTraceSerializer.deserializeResponse(new Uint8Array(proto.body as Buffer));
    expect(Number(fromProto.partialSuccess?.rejectedSpans)).toBe(2);
    expect(fromProto.partialSuccess?.errorMessage).toBe('two bad');
    const json = encodeExportResponse('json', { rejectedSpans: 2, errorMessage: 'two bad' });
    expect(JsonTraceSerializer.deserializeResponse(Buffer.from(json.body))).toEqual({
      partialSuccess: { rejectedSpans: '2', errorMessage: 'two bad' },
    });
  });

  it('cuts an over-long message', () => {
    const { body } = encodeExportResponse('json', { rejectedSpans: 1, errorMessage: 'x'.repeat(100_000) });
    expect(body.length).toBeLessThan(4200);
  });
});

describe('google.rpc.Status error body', () => {
  it('JSON shape is exactly {"code":N,"message":"…"}', () => {
    expect(encodeStatus('json', { code: 3, message: 'invalid OTLP/JSON: "x"' })).toEqual({
      body: '{"code":3,"message":"invalid OTLP/JSON: \\"x\\""}',
      contentType: 'application/json',
    });
    expect(encodeStatus('json', { message: 'no code' }).body).toBe('{"code":0,"message":"no code"}');
  });

  it('protobuf decodes back to the same values', () => {
    const out = encodeStatus('protobuf', { code: 16, message: 'invalid API key' });
    expect(out.contentType).toBe('application/x-protobuf');
    expect(Status.toObject(Status.decode(out.body as Buffer))).toEqual({ code: 16, message: 'invalid API key' });
  });

  it('maps the decode errors to the Collector’s gRPC codes', () => {
    const table: [Error & { status: number }, number][] = [
      [new MalformedRequestError('x'), 3],
      [new PayloadTooLargeError('x'), 2],
      [new UnsupportedMediaTypeError('x'), 2],
      [new UnsupportedEncodingError('x'), 2],
    ];
    for (const [err, code] of table) expect(grpcCodeForHttpStatus(err.status)).toBe(code);
    expect([401, 403, 404, 429, 502, 503, 504, 500].map(grpcCodeForHttpStatus)).toEqual([16, 7, 12, 8, 14, 14, 14, 2]);
  });
});

describe('partialSuccessFor', () => {
  it('is undefined on full success', () => {
    expect(partialSuccessFor({ spans: [], rejectedSpans: 0, rejectedReasons: [], warnings: [] })).toBeUndefined();
  });

  it('summarises rejections and warnings', () => {
    const spans = [
      ...Array.from({ length: 12 }, () => ({ traceId: 'bad', spanId: 'eee19b7ec3c1b174' })),
      { traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174', attributes: [{ key: 'k', keyStrindex: 1 }] },
    ];
    const decoded = decodeJsonExport(Buffer.from(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans }] }] })));
    const ps = partialSuccessFor(decoded)!;
    expect(ps.rejectedSpans).toBe(12);
    expect(ps.errorMessage).toMatch(/^rejected 12 invalid span\(s\): resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]: invalid traceId "bad"/);
    expect(ps.errorMessage).toMatch(/; and 2 more\. ignored profiling-only \*_strindex fields/);
  });
});
