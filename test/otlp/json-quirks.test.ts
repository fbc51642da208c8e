import { describe, expect, it } from 'vitest';
import { decodeJsonExport, MalformedRequestError } from '../../src/otlp/index.js';
import type { DecodeResult } from '../../src/otlp/index.js';

const TRACE = '5b8efff798038103d269b633813fc60c';
const SPAN = 'eee19b7ec3c1b174';

/** One span in one scope in one resource, as OTLP/JSON text. */
function request(span: Record<string, unknown>, extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(JSON.stringify({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ scope: { name: 'lib' }, spans: [span] }] }], ...extra }));
}
const decode = (span: Record<string, unknown>): DecodeResult => decodeJsonExport(request(span));
const attr = (value: unknown) => decode({ traceId: TRACE, spanId: SPAN, attributes: [{ key: 'k', value }] }).spans[0].attributes.k;

describe('OTLP/JSON quirks', () => {
  it('64-bit ints as decimal strings or JSON numbers', () => {
    const a = decode({ traceId: TRACE, spanId: SPAN, startTimeUnixNano: '1784852272122267123', endTimeUnixNano: 1700000000000000 });
    expect(a.spans[0].startTimeUnixNano).toBe(1784852272122267123n);
    expect(a.spans[0].endTimeUnixNano).toBe(1700000000000000n);
    expect(attr({ intValue: '42' })).toBe(42);
    expect(attr({ intValue: 42 })).toBe(42);
    expect(attr({ intValue: '-7' })).toBe(-7);
  });

  it('enums as integers or names', () => {
    const byInt = decode({ traceId: TRACE, spanId: SPAN, kind: 3, status: { code: 2, message: 'boom' } }).spans[0];
    const byName = decode({ traceId: TRACE, spanId: SPAN, kind: 'SPAN_KIND_CLIENT', status: { code: 'STATUS_CODE_ERROR', message: 'boom' } }).spans[0];
    expect(byInt.kind).toBe(3);
    expect(byInt.status).toEqual({ code: 2, message: 'boom' });
    expect(byName).toEqual(byInt);
    expect(decode({ traceId: TRACE, spanId: SPAN, kind: 'SPAN_KIND_CONSUMER', status: { code: 'STATUS_CODE_OK' } }).spans[0]).toMatchObject({
      kind: 5,
      status: { code: 1, message: '' },
    });
    // Out-of-range values from a newer or buggy sender degrade to the default instead of failing.
    expect(decode({ traceId: TRACE, spanId: SPAN, kind: 9, status: { code: 7 } }).spans[0]).toMatchObject({ kind: 0, status: { code: 0 } });
    expect(() => decode({ traceId: TRACE, spanId: SPAN, kind: 'CLIENT' })).toThrow(
      /spans\[0\]\.kind: expected an enum integer or name \(e\.g\. SPAN_KIND_INTERNAL\), got "CLIENT"/,
    );
  });

  it('hex ids are case-insensitive and normalised to lowercase', () => {
    const s = decode({ traceId: TRACE.toUpperCase(), spanId: SPAN.toUpperCase(), parentSpanId: 'ABCDEF0123456789' }).spans[0];
    expect(s.traceId).toBe(TRACE);
    expect(s.spanId).toBe(SPAN);
    expect(s.parentSpanId).toBe('abcdef0123456789');
  });

  it('empty, missing or all-zero parentSpanId means root', () => {
    expect(decode({ traceId: TRACE, spanId: SPAN, parentSpanId: '' }).spans[0].parentSpanId).toBe('');
    expect(decode({ traceId: TRACE, spanId: SPAN }).spans[0].parentSpanId).toBe('');
    expect(decode({ traceId: TRACE, spanId: SPAN, parentSpanId: '0000000000000000' }).spans[0].parentSpanId).toBe('');
  });

  it('snake_case keys are accepted', () => {
    const body = Buffer.from(
      JSON.stringify({
        resource_spans: [
          {
            resource: { attributes: [{ key: 'service.name', value: { string_value: 'snake' } }] },
            scope_spans: [
              {
                scope: { name: 'lib', version: '2' },
                spans: [
                  {
                    trace_id: TRACE,
                    span_id: SPAN,
                    parent_span_id: 'abcdef0123456789',
                    name: 'snake span',
                    start_time_unix_nano: '10',
                    end_time_unix_nano: '20',
                    attributes: [
                      { key: 'i', value: { int_value: '5' } },
                      { key: 'd', value: { double_value: 1.5 } },
                      { key: 'b', value: { bool_value: true } },
                      { key: 'a', value: { array_value: { values: [{ string_value: 'x' }] } } },
                      { key: 'kv', value: { kvlist_value: { values: [{ key: 'n', value: { int_value: 1 } }] } } },
                      { key: 'y', value: { bytes_value: 'AQI=' } },
                    ],
                    events: [{ name: 'e', time_unix_nano: '15' }],
                  },
                ],
              },
            ],
          },
        ],
      }),
    );
    const s = decodeJsonExport(body).spans[0];
    expect(s).toMatchObject({
      traceId: TRACE,
      spanId: SPAN,
      parentSpanId: 'abcdef0123456789',
      name: 'snake span',
      startTimeUnixNano: 10n,
      endTimeUnixNano: 20n,
      events: [{ name: 'e', timeUnixNano: 15n, attributes: {} }],
      resource: { attributes: { 'service.name': 'snake' } },
      scope: { name: 'lib', version: '2' },
    });
    expect(s.attributes).toEqual({ i: 5, d: 1.5, b: true, a: ['x'], kv: { n: 1 }, y: new Uint8Array([1, 2]) });
  });

  it('unknown fields are ignored at every level', () => {
    const body = Buffer.from(
      JSON.stringify({
        resourceSpans: [
          {
            futureField: { deep: [1, 2] },
            resource: { attributes: [], entityRefs: [{ type: 'service' }], droppedAttributesCount: 0 },
            schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
            scopeSpans: [
              {
                scope: { name: 'lib', attributes: [{ key: 'x', value: { stringValue: 'y' } }] },
                spans: [{ traceId: TRACE, spanId: SPAN, traceState: 'a=b', flags: 257, links: [{ traceId: TRACE }], whatever: null, droppedEventsCount: 3 }],
              },
            ],
          },
        ],
        extensions: 'ignored',
      }),
    );
    const r = decodeJsonExport(body);
    expect(r.spans).toHaveLength(1);
    expect(r.rejectedSpans).toBe(0);
  });

  it('doubles: numbers, "NaN", "Infinity", "-Infinity", quoted numbers', () => {
    expect(attr({ doubleValue: 0.5 })).toBe(0.5);
    expect(attr({ doubleValue: 3 })).toBe(3);
    expect(attr({ doubleValue: 'NaN' })).toBeNaN();
    expect(attr({ doubleValue: 'Infinity' })).toBe(Infinity);
    expect(attr({ doubleValue: '-Infinity' })).toBe(-Infinity);
    expect(attr({ doubleValue: '2.5' })).toBe(2.5);
    expect(() => attr({ doubleValue: 'lots' })).toThrow(/attributes\[0\]\.value\.doubleValue: expected a number or "NaN"/);
  });

  it('bytesValue is base64 (standard or URL-safe)', () => {
    expect(attr({ bytesValue: Buffer.from([0, 1, 250, 255]).toString('base64') })).toEqual(new Uint8Array([0, 1, 250, 255]));
    expect(attr({ bytesValue: '-_8=' })).toEqual(new Uint8Array([251, 255]));
    expect(attr({ bytesValue: '' })).toEqual(new Uint8Array([]));
    expect(() => attr({ bytesValue: 'not base64!' })).toThrow(/bytesValue: expected a base64 string/);
  });

  it('missing optional fields take proto3 defaults', () => {
    const s = decode({ traceId: TRACE, spanId: SPAN }).spans[0];
    expect(s).toEqual({
      traceId: TRACE,
      spanId: SPAN,
      parentSpanId: '',
      name: '',
      kind: 0,
      startTimeUnixNano: 0n,
      endTimeUnixNano: 0n,
      attributes: {},
      events: [],
      status: { code: 0, message: '' },
      resource: { attributes: {} },
      scope: { name: 'lib', version: '' },
    });
    // Empty request, resource without attributes, scope spans without scope, null treated as absent.
    expect(decodeJsonExport(Buffer.from('{}')).spans).toEqual([]);
    const r = decodeJsonExport(
      Buffer.from(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: TRACE, spanId: SPAN, name: null, attributes: null }] }] }] })),
    );
    expect(r.spans[0]).toMatchObject({ name: '', attributes: {}, resource: { attributes: {} }, scope: { name: '', version: '' } });
  });

  it('AnyValue edge cases: empty value is null, nested arrays and kvlists, duplicate keys, __proto__ key', () => {
    expect(attr({})).toBeNull();
    expect(attr({ arrayValue: { values: [{ intValue: 1 }, { arrayValue: {} }, {}, { kvlistValue: { values: [] } }] } })).toEqual([1, [], null, {}]);
    const s = decode({
      traceId: TRACE,
      spanId: SPAN,
      attributes: [
        { key: 'dup', value: { stringValue: 'first' } },
        { key: 'dup', value: { stringValue: 'last' } },
        { key: '__proto__', value: { stringValue: 'plain data' } },
        { key: 'novalue' },
      ],
    }).spans[0];
    expect(s.attributes.dup).toBe('last');
    expect(Object.getPrototypeOf(s.attributes)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(s.attributes, '__proto__')?.value).toBe('plain data');
    expect(s.attributes.novalue).toBeNull();
  });

  it('a leading UTF-8 BOM is tolerated', () => {
    const r = decodeJsonExport(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), request({ traceId: TRACE, spanId: SPAN })]));
    expect(r.spans).toHaveLength(1);
  });

  it('profiling-only *_strindex fields are ignored with one warning', () => {
    const r = decode({
      traceId: TRACE,
      spanId: SPAN,
      attributes: [
        { key: 'a', keyStrindex: 4, value: { stringValue: 'kept' } },
        { key: 'b', value: { stringValueStrindex: 7 } },
        { key: 'c', value: { string_value_strindex: 8 } },
      ],
    });
    expect(r.spans[0].attributes).toEqual({ a: 'kept', b: null, c: null });
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/strindex/);
  });

  it('deeply nested values are refused before they exhaust the stack', () => {
    // Built as text: JSON.stringify itself would overflow at this depth, JSON.parse does not.
    const depth = 20000;
    const value = '{"arrayValue":{"values":['.repeat(depth) + '{"stringValue":"leaf"}' + ']}}'.repeat(depth);
    const body = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"${TRACE}","spanId":"${SPAN}","attributes":[{"key":"k","value":${value}}]}]}]}]}`;
    const err = catchError(() => decodeJsonExport(Buffer.from(body)));
    expect(err).toBeInstanceOf(MalformedRequestError);
    expect(err.message).toMatch(/nested deeper than 64 levels/);
  });
});

function catchError(f: () => unknown): Error {
  try {
    f();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}
