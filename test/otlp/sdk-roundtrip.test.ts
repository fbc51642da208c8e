import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeExport, decodeJsonExport, decodeProtobufExport } from '../../src/otlp/index.js';
import type { DecodeResult, OtlpSpan } from '../../src/otlp/index.js';
import { BYTES, END_NS, EVENT_NS, makeSdkSpans, START_NS } from './sdk-spans.js';

let sdkSpans: ReadableSpan[];
let fromProto: DecodeResult;
let fromJson: DecodeResult;

beforeAll(async () => {
  sdkSpans = await makeSdkSpans();
  fromProto = decodeProtobufExport(Buffer.from(ProtobufTraceSerializer.serializeRequest(sdkSpans)!));
  fromJson = decodeJsonExport(Buffer.from(JsonTraceSerializer.serializeRequest(sdkSpans)!));
});

const byName = (r: DecodeResult, name: string): OtlpSpan => {
  const s = r.spans.find((x) => x.name === name);
  if (!s) throw new Error(`no span ${name}`);
  return s;
};

describe('OTel JS SDK spans through the real OTLP serializers', () => {
  it('both decoders produce the same model', () => {
    expect(fromProto.spans).toHaveLength(2);
    expect(fromProto.rejectedSpans).toBe(0);
    expect(fromProto.warnings).toEqual([]);
    expect(fromJson).toEqual(fromProto);
  });

  it.each(['protobuf', 'json'] as const)('%s: ids, parent, kind and exact times', (format) => {
    const r = format === 'json' ? fromJson : fromProto;
    const sdkRoot = sdkSpans.find((s) => s.name === 'invoke_agent planner')!;
    const sdkChild = sdkSpans.find((s) => s.name === 'chat gpt-4o')!;
    const root = byName(r, 'invoke_agent planner');
    const child = byName(r, 'chat gpt-4o');

    expect(root.traceId).toBe(sdkRoot.spanContext().traceId);
    expect(root.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(root.spanId).toBe(sdkRoot.spanContext().spanId);
    expect(root.parentSpanId).toBe('');
    expect(child.traceId).toBe(root.traceId);
    expect(child.spanId).toBe(sdkChild.spanContext().spanId);
    expect(child.parentSpanId).toBe(root.spanId);

    // API SpanKind is 0-based (INTERNAL 0, CLIENT 2); the OTLP wire enum is 1-based.
    expect(root.kind).toBe(1);
    expect(child.kind).toBe(3);

    expect(child.startTimeUnixNano).toBe(START_NS);
    expect(child.endTimeUnixNano).toBe(END_NS);
    expect(typeof child.startTimeUnixNano).toBe('bigint');
  });

  it.each(['protobuf', 'json'] as const)('%s: every attribute type', (format) => {
    const child = byName(format === 'json' ? fromJson : fromProto, 'chat gpt-4o');
    expect(child.attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.usage.input_tokens': 1234,
      'gen_ai.usage.negative': -42,
      'gen_ai.request.temperature': 0.25,
      'gen_ai.request.stream': true,
      'gen_ai.response.finish_reasons': ['stop', 'length'],
      'gen_ai.request.stop_sequences': [],
      'test.nested': { model: 'gpt-4o', limits: { max_tokens: 512, tools: ['search', 'calc'] }, on: false },
      'test.bytes': BYTES,
    });
    expect(child.attributes['test.bytes']).toBeInstanceOf(Uint8Array);
  });

  it.each(['protobuf', 'json'] as const)('%s: events and status', (format) => {
    const r = format === 'json' ? fromJson : fromProto;
    const child = byName(r, 'chat gpt-4o');
    expect(child.events).toEqual([{ name: 'gen_ai.choice', timeUnixNano: EVENT_NS, attributes: { index: 0, 'finish.reason': 'stop', ratio: 1.5 } }]);
    expect(child.status).toEqual({ code: 2, message: 'rate limited by provider' });
    expect(byName(r, 'invoke_agent planner').status).toEqual({ code: 1, message: '' });
  });

  it.each(['protobuf', 'json'] as const)('%s: resource and scope, shared by reference', (format) => {
    const r = format === 'json' ? fromJson : fromProto;
    const [a, b] = r.spans;
    expect(a.resource.attributes).toEqual({
      'service.name': 'roundtrip-agent',
      'deployment.environment': 'test',
      'process.pid': 4242,
    });
    expect(a.scope).toEqual({ name: 'dunetrace-test-scope', version: '1.2.3' });
    expect(a.resource).toBe(b.resource);
    expect(a.scope).toBe(b.scope);
  });

  it('decodeExport dispatches on the format', () => {
    const proto = Buffer.from(ProtobufTraceSerializer.serializeRequest(sdkSpans)!);
    const json = Buffer.from(JsonTraceSerializer.serializeRequest(sdkSpans)!);
    expect(decodeExport(proto, 'protobuf')).toEqual(fromProto);
    expect(decodeExport(json, 'json')).toEqual(fromJson);
    expect(() => decodeExport(proto, 'json')).toThrow(/invalid OTLP\/JSON/);
  });
});
