import { deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { otlpRun, toProtobuf, ingestRun, rng } from '../../bench/fuzz/bodies.js';
import { PermanentError } from '../../src/errors/index.js';
import { decodeIngestBody, MAX_EVENTS } from '../../src/ingest/decode.js';
import { decodeJsonExport, decodeProtobufExport, OtlpHttpError, PayloadTooLargeError, readBody } from '../../src/otlp/index.js';
import type { DecodeResult } from '../../src/otlp/index.js';

/**
 * Properties of the decoders every request body goes through: whatever the bytes, a decoder either returns a
 * well-formed result or throws its permanent error (a 4xx); anything else (TypeError, RangeError) would be a 500.
 */
const RUNS = { numRuns: 300 };

/** Calls fn; a thrown error must be a PermanentError (a 4xx), never a TypeError/RangeError (a 500). */
function decodesOrRefuses<T>(fn: () => T): T | null {
  try {
    return fn();
  } catch (err) {
    expect(err, String(err)).toBeInstanceOf(PermanentError);
    return null;
  }
}

/** Every decoded span has the ids, times and shapes the model promises downstream. */
function expectWellFormed(d: DecodeResult): void {
  expect(d.rejectedSpans).toBeGreaterThanOrEqual(0);
  for (const s of d.spans) {
    expect(s.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(s.traceId).not.toMatch(/^0+$/);
    expect(s.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(s.parentSpanId).toMatch(/^([0-9a-f]{16})?$/);
    expect(typeof s.name).toBe('string');
    expect(typeof s.startTimeUnixNano).toBe('bigint');
    expect([0, 1, 2, 3, 4, 5]).toContain(s.kind);
    expect([0, 1, 2]).toContain(s.status.code);
  }
}

const validProtobuf = fc.integer({ min: 1, max: 2 ** 31 }).map((seed) => toProtobuf(otlpRun(rng(seed)).req));

/** A body mutated the way the fuzz run mutates: bit flips, a truncation, a byte run spliced in. */
const mutated = (base: fc.Arbitrary<Buffer>) =>
  fc
    .tuple(
      base,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { maxLength: 8 }),
      fc.option(fc.nat()),
      fc.uint8Array({ maxLength: 16 }),
      fc.nat(),
    )
    .map(([b, flips, cut, insert, at]) => {
      let out = Buffer.from(b);
      for (const [i, bit] of flips) out[i % out.length] ^= 1 << bit;
      if (cut !== null) out = out.subarray(0, cut % (out.length + 1));
      const p = at % (out.length + 1);
      return Buffer.concat([out.subarray(0, p), Buffer.from(insert), out.subarray(p)]);
    });

describe('OTLP protobuf decoder', () => {
  it('arbitrary bytes → a well-formed result or a 400, never another error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1024 }), (bytes) => {
        const d = decodesOrRefuses(() => decodeProtobufExport(bytes));
        if (d) expectWellFormed(d);
      }),
      RUNS,
    );
  });

  it('mutated valid exports (bit flips, truncation, spliced bytes) → well-formed or 400', () => {
    fc.assert(
      fc.property(mutated(validProtobuf), (body) => {
        const d = decodesOrRefuses(() => decodeProtobufExport(body));
        if (d) expectWellFormed(d);
      }),
      RUNS,
    );
  });
});

/** OTLP AnyValue in its JSON form, nested. */
const anyValueJson: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ stringValue: fc.string({ unit: 'binary', maxLength: 40 }) }),
    fc.record({ intValue: fc.oneof(fc.integer().map(String), fc.integer()) }),
    fc.record({ boolValue: fc.boolean() }),
    fc.record({ doubleValue: fc.double({ noNaN: true, noDefaultInfinity: true }) }),
    fc.record({ arrayValue: fc.record({ values: fc.array(tie('v'), { maxLength: 3 }) }) }),
    fc.record({ kvlistValue: fc.record({ values: fc.array(fc.record({ key: fc.string({ maxLength: 10 }), value: tie('v') }), { maxLength: 3 }) }) }),
  ),
})).v;

const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));

/** An OTLP/JSON span with arbitrary attributes (valid ids and times). */
const jsonSpan = fc.record({
  traceId: hex(32).filter((s) => !/^0+$/.test(s)),
  spanId: hex(16).filter((s) => !/^0+$/.test(s)),
  parentSpanId: fc.oneof(
    fc.constant(''),
    hex(16).filter((s) => !/^0+$/.test(s)),
  ),
  name: fc.string({ maxLength: 30 }),
  kind: fc.integer({ min: 0, max: 5 }),
  startTimeUnixNano: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }).map(String),
  endTimeUnixNano: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }).map(String),
  attributes: fc.array(fc.record({ key: fc.string({ maxLength: 20 }), value: anyValueJson }), { maxLength: 6 }),
  status: fc.record({ code: fc.integer({ min: 0, max: 2 }), message: fc.string({ maxLength: 20 }) }),
});
const jsonExport = fc.array(jsonSpan, { minLength: 1, maxLength: 4 }).map((spans) => ({
  resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] }, scopeSpans: [{ scope: { name: 's' }, spans }] }],
}));

describe('OTLP/JSON decoder', () => {
  it('any JSON value → well-formed or 400', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const d = decodesOrRefuses(() => decodeJsonExport(Buffer.from(JSON.stringify(v) ?? 'null')));
        if (d) expectWellFormed(d);
      }),
      RUNS,
    );
  });

  it('exports with arbitrary (nested, hostile) attribute values → well-formed or 400; arbitrary text → well-formed or 400', () => {
    fc.assert(
      fc.property(jsonExport, fc.string({ unit: 'binary', maxLength: 200 }), (req, text) => {
        const d = decodesOrRefuses(() => decodeJsonExport(Buffer.from(JSON.stringify(req))));
        if (d) expectWellFormed(d);
        const t = decodesOrRefuses(() => decodeJsonExport(Buffer.from(text)));
        if (t) expectWellFormed(t);
      }),
      RUNS,
    );
  });

  it('the same export as JSON and as protobuf decodes to the same spans', () => {
    fc.assert(
      fc.property(jsonExport, (req) => {
        const fromJson = decodesOrRefuses(() => decodeJsonExport(Buffer.from(JSON.stringify(req))));
        fc.pre(fromJson !== null && fromJson.rejectedSpans === 0);
        // protobufjs' fromObject wants int64 as numbers or strings of digits only; bool/double as their JS types.
        const fromPb = decodeProtobufExport(toProtobuf(req as never));
        expect(fromPb.rejectedSpans).toBe(0);
        expect(fromPb.spans).toEqual(fromJson.spans);
      }),
      { numRuns: 150 },
    );
  });
});

describe('/v1/ingest decoder', () => {
  it('any JSON value → a batch or a 400/422, never another error', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        decodesOrRefuses(() => decodeIngestBody(Buffer.from(JSON.stringify(v) ?? 'null')));
      }),
      RUNS,
    );
  });

  it('valid batches with arbitrary payloads and hostile keys decode with every event; batches over the limit are refused', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 }),
        fc.dictionary(fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('__proto__', 'constructor', 'prototype')), fc.jsonValue({ maxDepth: 3 })),
        fc.integer({ min: 1, max: MAX_EVENTS + 3 }),
        (seed, payload, n) => {
          const { req } = ingestRun(rng(seed));
          const events = req.events as Record<string, unknown>[];
          const batch = { ...req, events: Array.from({ length: n }, (_, i) => ({ ...events[i % events.length], payload: 'PAYLOAD' })) };
          // A __proto__ own key in the JSON text (JSON.stringify of an object would not write it).
          const inner = JSON.stringify(payload).slice(1, -1);
          const payloadText = `{"__proto__":{"polluted":1}${inner ? `,${inner}` : ''}}`;
          const text = JSON.stringify(batch).replaceAll('"PAYLOAD"', () => payloadText);
          const d = decodesOrRefuses(() => decodeIngestBody(Buffer.from(text)));
          if (n > MAX_EVENTS) expect(d).toBeNull();
          else {
            expect(d?.events).toHaveLength(n);
            expect(({} as Record<string, unknown>).polluted).toBeUndefined();
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('content-coding decode (readBody)', () => {
  const MAX = 4096;
  it('arbitrary bytes under any coding → the bytes, or a 400/413/415, never another error', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 2048 }),
        fc.constantFrom(undefined, 'gzip', 'x-gzip', 'deflate', 'identity', 'br', ' GZIP '),
        async (bytes, coding) => {
          try {
            const out = await readBody(Buffer.from(bytes), { contentEncoding: coding, maxBytes: MAX });
            expect(out.length).toBeLessThanOrEqual(MAX);
          } catch (err) {
            expect(err, String(err)).toBeInstanceOf(OtlpHttpError);
            expect([400, 413, 415]).toContain((err as OtlpHttpError).status);
          }
        },
      ),
      RUNS,
    );
  });

  it('gzip, zlib and raw deflate round-trip up to the limit, in one chunk or many; past it → 413', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 2 * MAX }),
        fc.constantFrom('gzip', 'zlib', 'raw'),
        fc.integer({ min: 1, max: 512 }),
        async (bytes, kind, chunk) => {
          const plain = Buffer.from(bytes);
          const packed = kind === 'gzip' ? gzipSync(plain) : kind === 'zlib' ? deflateSync(plain) : deflateRawSync(plain);
          const chunks = async function* () {
            for (let i = 0; i < packed.length; i += chunk) yield packed.subarray(i, i + chunk);
          };
          const coding = kind === 'gzip' ? 'gzip' : 'deflate';
          const read = readBody(chunks(), { contentEncoding: coding, maxBytes: MAX });
          if (plain.length <= MAX && packed.length <= MAX) expect(Buffer.compare(await read, plain)).toBe(0);
          else await expect(read).rejects.toBeInstanceOf(PayloadTooLargeError);
        },
      ),
      RUNS,
    );
  });
});
