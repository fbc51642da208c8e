import { SpanKind, TraceFlags, createTraceState, type Link } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emitTrace } from '../../bench/processor.js';
import { createHasher } from '../../src/mapping/index.js';
import { serializeTraceRequest } from '../../src/processor/otlp-proto.js';
import { createSpanRedactor } from '../../src/processor/redact-span.js';

/** Our serializer must write exactly the bytes of the OTel exporter's (the receiver and any collector read them). */
const theirs = (spans: ReadableSpan[]): Buffer => Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!);
const ours = (spans: ReadableSpan[]): Buffer => Buffer.from(serializeTraceRequest(spans));

function benchSpans(): ReadableSpan[] {
  const spans: ReadableSpan[] = [];
  const capture: SpanProcessor = { onStart() {}, onEnd: (s) => void spans.push(s), forceFlush: async () => {}, shutdown: async () => {} };
  const tracer = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'bench-agent' }), spanProcessors: [capture] }).getTracer('bench');
  for (let i = 0; i < 3; i++) emitTrace(tracer, i, i === 1);
  return spans;
}

describe('serializeTraceRequest', () => {
  it('writes the bytes of ProtobufTraceSerializer for the benchmark workload, raw and redacted', () => {
    const spans = benchSpans();
    const redact = createSpanRedactor({ hasher: createHasher({}), agentId: 'agent-1' });
    const redacted = spans.map(redact);
    expect(ours(spans).equals(theirs(spans))).toBe(true);
    expect(ours(redacted).equals(theirs(redacted))).toBe(true);
    // The reused buffer: a second, smaller request is not polluted by the first.
    expect(ours(redacted.slice(0, 2)).equals(theirs(redacted.slice(0, 2)))).toBe(true);
  });

  const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));
  const str = fc.oneof(fc.string({ maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 20 }), fc.constantFrom('', 'é', '\ud800', '😀', 'x'.repeat(200)));
  const scalar = fc.oneof(
    str,
    fc.boolean(),
    fc.integer(),
    fc.double(),
    fc.constantFrom(0, -1, 2 ** 31, 2 ** 32, 2 ** 40, -(2 ** 40), 2 ** 53, 2 ** 63, -(2 ** 63), 1e300, Number.NaN, Infinity),
    fc.uint8Array({ maxLength: 8 }),
    fc.constant(null),
    fc.constant(undefined),
  );
  const value = fc.oneof(
    scalar,
    fc.array(scalar, { maxLength: 4 }),
    fc.array(str, { maxLength: 20 }),
    fc.dictionary(fc.string({ maxLength: 5 }), scalar, { maxKeys: 3 }),
  );
  const attrs = fc.dictionary(fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('dunetrace.content.grounding', 'ключ')), value, { maxKeys: 6 });
  const time: fc.Arbitrary<[number, number]> = fc.tuple(fc.integer({ min: 0, max: 2 ** 33 }), fc.integer({ min: 0, max: 999_999_999 }));
  const resources = [resourceFromAttributes({ 'service.name': 'a' }), resourceFromAttributes({ 'service.name': 'b', big: 'x'.repeat(300) })];
  const scopes = [{ name: 's1' }, { name: 's2', version: '1.0.0', schemaUrl: 'https://example.com/s' }];
  const link: fc.Arbitrary<Link> = fc.record({
    context: fc.record({ traceId: hex(32), spanId: hex(16), traceFlags: fc.constantFrom(0, 1), isRemote: fc.option(fc.boolean(), { nil: undefined }) }),
    attributes: fc.option(attrs, { nil: undefined }),
    droppedAttributesCount: fc.option(fc.nat(5), { nil: undefined }),
  }) as fc.Arbitrary<Link>;
  const span: fc.Arbitrary<ReadableSpan> = fc
    .record({
      traceId: hex(32),
      spanId: hex(16),
      parent: fc.option(fc.record({ spanId: hex(16), isRemote: fc.boolean() }), { nil: undefined }),
      state: fc.boolean(),
      name: str,
      kind: fc.constantFrom(SpanKind.INTERNAL, SpanKind.CLIENT, SpanKind.SERVER, SpanKind.PRODUCER, SpanKind.CONSUMER),
      start: time,
      end: time,
      attributes: attrs,
      events: fc.array(
        fc.record({ name: str, time, attributes: fc.option(attrs, { nil: undefined }), droppedAttributesCount: fc.option(fc.nat(3), { nil: undefined }) }),
        {
          maxLength: 3,
        },
      ),
      links: fc.array(link, { maxLength: 2 }),
      status: fc.record({ code: fc.constantFrom(0, 1, 2), message: fc.option(str, { nil: undefined }) }),
      resource: fc.nat(1),
      scope: fc.nat(1),
      dropped: fc.tuple(fc.nat(300), fc.nat(3), fc.nat(3)),
      sampled: fc.boolean(),
    })
    .map((r) => {
      const sc = {
        traceId: r.traceId,
        spanId: r.spanId,
        traceFlags: r.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
        traceState: r.state ? createTraceState('k=v,a=b') : undefined,
      };
      return {
        name: r.name,
        kind: r.kind,
        spanContext: () => sc,
        parentSpanContext: r.parent === undefined ? undefined : { traceId: r.traceId, spanId: r.parent.spanId, traceFlags: 1, isRemote: r.parent.isRemote },
        startTime: r.start,
        endTime: r.end,
        status: r.status,
        attributes: r.attributes,
        links: r.links,
        events: r.events,
        duration: [0, 0],
        ended: true,
        resource: resources[r.resource],
        instrumentationScope: scopes[r.scope],
        droppedAttributesCount: r.dropped[0],
        droppedEventsCount: r.dropped[1],
        droppedLinksCount: r.dropped[2],
      } as unknown as ReadableSpan;
    });

  it('writes the bytes of ProtobufTraceSerializer for arbitrary spans', () => {
    fc.assert(
      fc.property(fc.array(span, { minLength: 1, maxLength: 6 }), (spans) => {
        expect(ours(spans).toString('hex')).toBe(theirs(spans).toString('hex'));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('withOwnSerializer', () => {
  it("replaces the serializer of the processor's default exporter (fails when an OTel upgrade moves it)", async () => {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
    const { withOwnSerializer } = await import('../../src/processor/processor.js');
    const exporter = withOwnSerializer(new OTLPTraceExporter({ url: 'http://127.0.0.1:9/v1/traces' }));
    const serializer = (exporter as unknown as { _delegate: { _serializer: { serializeRequest: unknown; deserializeResponse: (b: Uint8Array) => unknown } } })
      ._delegate._serializer;
    expect(serializer.serializeRequest).toBe(serializeTraceRequest);
    expect(serializer.deserializeResponse(new Uint8Array())).toEqual({});
    await exporter.shutdown();
  });
});
