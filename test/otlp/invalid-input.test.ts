import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { describe, expect, it } from 'vitest';
import { decodeExport, decodeJsonExport, decodeProtobufExport, MalformedRequestError, type OtlpHttpError } from '../../src/otlp/index.js';
import { otlpProtoTypes } from '../../src/otlp/proto-schema.js';
import { makeSdkSpans } from './sdk-spans.js';

const TRACE = '5b8efff798038103d269b633813fc60c';
const SPAN = 'eee19b7ec3c1b174';

/** Encodes an ExportTraceServiceRequest from a plain object (ids as Buffers) with protobufjs. */
function protobufRequest(spans: Record<string, unknown>[]): Buffer {
  const { exportRequest } = otlpProtoTypes();
  return Buffer.from(exportRequest.encode(exportRequest.fromObject({ resourceSpans: [{ scopeSpans: [{ spans }] }] })).finish());
}
const hex = (h: string) => Buffer.from(h, 'hex');
function varint(n: number): Buffer {
  const out: number[] = [];
  for (; n > 0x7f; n >>>= 7) out.push((n & 0x7f) | 0x80);
  out.push(n);
  return Buffer.from(out);
}

function malformed(f: () => unknown): MalformedRequestError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(MalformedRequestError);
    expect((err as OtlpHttpError).status).toBe(400);
    expect((err as OtlpHttpError).code).toBe('MALFORMED_REQUEST');
    return err as MalformedRequestError;
  }
  throw new Error('expected a MalformedRequestError');
}

describe('structurally invalid spans are rejected, valid ones kept (partial success)', () => {
  it('protobuf', () => {
    const r = decodeProtobufExport(
      protobufRequest([
        { traceId: hex(TRACE), spanId: hex(SPAN), name: 'good-1' },
        { traceId: hex('0102030405'), spanId: hex(SPAN), name: 'short trace' },
        { traceId: Buffer.alloc(16), spanId: hex(SPAN), name: 'zero trace' },
        { traceId: hex(TRACE), spanId: hex('01020304050607'), name: 'short span' },
        { traceId: hex(TRACE), name: 'no span id' },
        { traceId: hex(TRACE), spanId: Buffer.alloc(8), name: 'zero span' },
        { traceId: hex(TRACE), spanId: hex(SPAN), parentSpanId: hex('010203'), name: 'bad parent' },
        { traceId: hex(TRACE), spanId: hex('00000000000000aa'), parentSpanId: Buffer.alloc(8), name: 'good-2' },
      ]),
    );
    expect(r.spans.map((s) => s.name)).toEqual(['good-1', 'good-2']);
    expect(r.spans[1].parentSpanId).toBe('');
    expect(r.rejectedSpans).toBe(6);
    expect(r.rejectedReasons).toEqual([
      'resourceSpans[0].scopeSpans[0].spans[1] (name "short trace"): invalid traceId: expected 16 bytes, got 5',
      'resourceSpans[0].scopeSpans[0].spans[2] (name "zero trace"): invalid traceId: all zero',
      'resourceSpans[0].scopeSpans[0].spans[3] (name "short span"): invalid spanId: expected 8 bytes, got 7',
      'resourceSpans[0].scopeSpans[0].spans[4] (name "no span id"): invalid spanId: expected 8 bytes, got 0',
      'resourceSpans[0].scopeSpans[0].spans[5] (name "zero span"): invalid spanId: all zero',
      'resourceSpans[0].scopeSpans[0].spans[6] (name "bad parent"): invalid parentSpanId: expected 8 bytes or empty, got 3',
    ]);
  });

  it('JSON', () => {
    const body = Buffer.from(
      JSON.stringify({
        resourceSpans: [
          {
            scopeSpans: [
              {
                spans: [
                  { traceId: TRACE, spanId: SPAN, name: 'good-1' },
                  { traceId: TRACE.slice(1), spanId: SPAN, name: 'short trace' },
                  { traceId: 'z'.repeat(32), spanId: SPAN },
                  { traceId: '0'.repeat(32), spanId: SPAN },
                  { traceId: TRACE, spanId: 12345 },
                  { traceId: TRACE, spanId: '0'.repeat(16) },
                  { traceId: TRACE, spanId: SPAN, parentSpanId: 'xyz' },
                  // Ids are checked first: a rejected span's other fields do not fail the request.
                  { spanId: SPAN, startTimeUnixNano: 'garbage' },
                  { traceId: TRACE, spanId: SPAN, name: 'good-2' },
                ],
              },
            ],
          },
        ],
      }),
    );
    const r = decodeJsonExport(body);
    expect(r.spans.map((s) => s.name)).toEqual(['good-1', 'good-2']);
    expect(r.rejectedSpans).toBe(7);
    expect(r.rejectedReasons).toEqual([
      'resourceSpans[0].scopeSpans[0].spans[1] (name "short trace"): invalid traceId "b8efff798038103d269b633813fc60c": expected 32 hex chars',
      'resourceSpans[0].scopeSpans[0].spans[2]: invalid traceId "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz": expected 32 hex chars',
      'resourceSpans[0].scopeSpans[0].spans[3]: invalid traceId: all zero',
      'resourceSpans[0].scopeSpans[0].spans[4]: invalid spanId 12345: expected 16 hex chars',
      'resourceSpans[0].scopeSpans[0].spans[5]: invalid spanId: all zero',
      'resourceSpans[0].scopeSpans[0].spans[6]: invalid parentSpanId "xyz": expected 16 hex chars or empty',
      'resourceSpans[0].scopeSpans[0].spans[7]: invalid traceId undefined: expected 32 hex chars',
    ]);
  });

  it('keeps only the first 10 reasons but counts every rejection', () => {
    const spans = Array.from({ length: 25 }, () => ({ traceId: 'bad', spanId: SPAN }));
    const r = decodeJsonExport(Buffer.from(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans }] }] })));
    expect(r.rejectedSpans).toBe(25);
    expect(r.rejectedReasons).toHaveLength(10);
  });

  it('a long span name is not echoed in full', () => {
    const r = decodeJsonExport(Buffer.from(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'bad', name: 'n'.repeat(5000) }] }] }] })));
    expect(r.rejectedReasons[0].length).toBeLessThan(160);
    expect(r.rejectedReasons[0]).toContain('…');
  });
});

describe('undecodable requests → MalformedRequestError (400) with an actionable message', () => {
  it('protobuf garbage bytes', () => {
    const err = malformed(() => decodeProtobufExport(Buffer.from([0x17, 0x01, 0x02])));
    expect(err.message).toMatch(/^invalid protobuf ExportTraceServiceRequest: invalid wire type 7/);
  });

  it('truncated protobuf', async () => {
    const full = Buffer.from(ProtobufTraceSerializer.serializeRequest(await makeSdkSpans())!);
    expect(decodeProtobufExport(full).spans).toHaveLength(2);
    const err = malformed(() => decodeProtobufExport(full.subarray(0, full.length - 7)));
    expect(err.message).toMatch(/^invalid protobuf ExportTraceServiceRequest: index out of range/);
  });

  it('a JSON body sent as protobuf', () => {
    const err = malformed(() => decodeExport(Buffer.from(JSON.stringify({ resourceSpans: [] })), 'protobuf'));
    expect(err.message).toMatch(/^invalid protobuf ExportTraceServiceRequest: /);
  });

  it('protobuf nested beyond the decoder depth limit', () => {
    // Hand-encoded: protobufjs refuses to encode this depth. field() = tag + length-delimited payload.
    const field = (no: number, payload: Uint8Array) => Buffer.concat([Buffer.from([(no << 3) | 2]), varint(payload.length), payload]);
    const nested = (depth: number) => {
      let value: Buffer = field(1, Buffer.from('leaf')); // AnyValue.string_value
      for (let i = 0; i < depth; i++) value = field(5, field(1, value)); // AnyValue.array_value → ArrayValue.values
      const kv = Buffer.concat([field(1, Buffer.from('deep')), field(2, value)]);
      const span = Buffer.concat([field(1, hex(TRACE)), field(2, hex(SPAN)), field(9, kv)]);
      return field(1, field(2, field(2, span))); // request.resource_spans → scope_spans → spans
    };
    let expected: unknown = 'leaf';
    for (let i = 0; i < 20; i++) expected = [expected];
    expect(decodeProtobufExport(nested(20)).spans[0].attributes.deep).toEqual(expected);
    expect(malformed(() => decodeProtobufExport(nested(200))).message).toBe('invalid protobuf ExportTraceServiceRequest: maximum nesting depth exceeded');
  });

  it('an empty protobuf body is a valid empty request', () => {
    expect(decodeProtobufExport(Buffer.alloc(0))).toEqual({ spans: [], rejectedSpans: 0, rejectedReasons: [], warnings: [] });
  });

  it('invalid JSON, without echoing the payload', () => {
    expect(malformed(() => decodeJsonExport(Buffer.from('{"resourceSpans": ['))).message).toMatch(/^invalid OTLP\/JSON: body is not valid JSON \(/);
    expect(malformed(() => decodeJsonExport(Buffer.alloc(0))).message).toBe('invalid OTLP/JSON: body is not valid JSON (empty body)');
    const secret = 'sk-live-' + 'A'.repeat(5000);
    const err = malformed(() => decodeJsonExport(Buffer.from(`{"resourceSpans": [${secret}]}`)));
    expect(err.message.length).toBeLessThan(220);
    expect(err.message).not.toContain('A'.repeat(41));
    const err2 = malformed(() => decodeJsonExport(Buffer.from(`"${secret}`)));
    expect(err2.message).not.toContain('A'.repeat(41));
  });

  it.each([
    ['[]', 'an array'],
    ['"text"', '"text"'],
    ['null', 'null'],
    ['42', '42'],
  ])('wrong top-level type %s', (body, got) => {
    expect(malformed(() => decodeJsonExport(Buffer.from(body))).message).toBe(`invalid OTLP/JSON: expected a JSON object at the top level, got ${got}`);
  });

  it('wrong JSON types name the exact field', () => {
    const one = (span: Record<string, unknown>, scopes = 2) =>
      Buffer.from(
        JSON.stringify({
          resourceSpans: [
            {
              scopeSpans: Array.from({ length: scopes }, (_, i) =>
                i === scopes - 1
                  ? { spans: [{ traceId: TRACE, spanId: SPAN }, { traceId: TRACE, spanId: SPAN }, { traceId: TRACE, spanId: SPAN }, span] }
                  : { spans: [] },
              ),
            },
          ],
        }),
      );
    expect(malformed(() => decodeJsonExport(one({ traceId: TRACE, spanId: SPAN, startTimeUnixNano: 'abc' }))).message).toBe(
      'invalid OTLP/JSON: resourceSpans[0].scopeSpans[1].spans[3].startTimeUnixNano: expected a non-negative integer (string or number), got "abc"',
    );
    expect(malformed(() => decodeJsonExport(one({ traceId: TRACE, spanId: SPAN, endTimeUnixNano: -5 }))).message).toMatch(
      /spans\[3\]\.endTimeUnixNano: expected a non-negative integer \(string or number\), got -5$/,
    );
    expect(malformed(() => decodeJsonExport(one({ traceId: TRACE, spanId: SPAN, name: 7 }))).message).toMatch(/spans\[3\]\.name: expected a string, got 7$/);
    expect(malformed(() => decodeJsonExport(one({ traceId: TRACE, spanId: SPAN, attributes: [{ key: 'a', value: { intValue: '1.5' } }] }))).message).toMatch(
      /spans\[3\]\.attributes\[0\]\.value\.intValue: expected an integer \(string or number\), got "1\.5"$/,
    );
    expect(
      malformed(() =>
        decodeJsonExport(
          one({
            traceId: TRACE,
            spanId: SPAN,
            events: [{}, { attributes: [{ key: 'k', value: { kvlistValue: { values: [{ key: 'x', value: { boolValue: 'yes' } }] } } }] }],
          }),
        ),
      ).message,
    ).toMatch(/spans\[3\]\.events\[1\]\.attributes\[0\]\.value\.kvlistValue\.values\[0\]\.value\.boolValue: expected true or false, got "yes"$/);
    expect(malformed(() => decodeJsonExport(one({ traceId: TRACE, spanId: SPAN, attributes: {} }))).message).toMatch(
      /spans\[3\]\.attributes: expected an array, got an object$/,
    );
    expect(malformed(() => decodeJsonExport(Buffer.from('{"resourceSpans":{}}'))).message).toBe(
      'invalid OTLP/JSON: resourceSpans: expected an array, got an object',
    );
    expect(malformed(() => decodeJsonExport(Buffer.from('{"resourceSpans":[{"scopeSpans":[7]}]}'))).message).toBe(
      'invalid OTLP/JSON: resourceSpans[0].scopeSpans[0]: expected an object, got 7',
    );
  });

  it('echoed values are cut to ~40 chars', () => {
    const err = malformed(() =>
      decodeJsonExport(
        Buffer.from(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: TRACE, spanId: SPAN, kind: 'K'.repeat(10000) }] }] }] })),
      ),
    );
    expect(err.message).toContain(`"${'K'.repeat(40)}…"`);
    expect(err.message.length).toBeLessThan(200);
  });
});

describe('profiling-only *_strindex fields in protobuf', () => {
  it('are ignored with a single warning', () => {
    const r = decodeProtobufExport(
      protobufRequest([
        {
          traceId: hex(TRACE),
          spanId: hex(SPAN),
          attributes: [
            { key: 'a', keyStrindex: 3, value: { stringValue: 'kept' } },
            { key: 'b', value: { stringValueStrindex: 9 } },
          ],
          events: [{ name: 'e', attributes: [{ key: 'c', value: { stringValueStrindex: 1 } }] }],
        },
      ]),
    );
    expect(r.spans[0].attributes).toEqual({ a: 'kept', b: null });
    expect(r.spans[0].events[0].attributes).toEqual({ c: null });
    expect(r.warnings).toEqual([expect.stringMatching(/strindex/)]);
  });
});
