/**
 * Real spans from the OpenTelemetry JS SDK (2.x), serialized by the real OTLP serializers, as decoder input.
 */
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

export const START: [number, number] = [1784852272, 122267123];
export const START_NS = 1784852272122267123n;
export const END: [number, number] = [1784852272, 226389987];
export const END_NS = 1784852272226389987n;
export const EVENT_TIME: [number, number] = [1784852272, 200000001];
export const EVENT_NS = 1784852272200000001n;

export const BYTES = new Uint8Array([0, 1, 2, 250, 255]);

/** A parent agent span and a child LLM CLIENT span with every attribute type, an event and an ERROR status. */
export async function makeSdkSpans(): Promise<ReadableSpan[]> {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'roundtrip-agent', 'deployment.environment': 'test', 'process.pid': 4242 }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('dunetrace-test-scope', '1.2.3');

  const root = tracer.startSpan('invoke_agent planner', { kind: SpanKind.INTERNAL, startTime: START });
  const child = tracer.startSpan(
    'chat gpt-4o',
    {
      kind: SpanKind.CLIENT,
      startTime: START,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.usage.input_tokens': 1234,
        'gen_ai.usage.negative': -42,
        'gen_ai.request.temperature': 0.25,
        'gen_ai.request.stream': true,
        'gen_ai.response.finish_reasons': ['stop', 'length'],
        'gen_ai.request.stop_sequences': [],
      },
    },
    trace.setSpan(context.active(), root),
  );
  child.addEvent('gen_ai.choice', { index: 0, 'finish.reason': 'stop', ratio: 1.5 }, EVENT_TIME);
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'rate limited by provider' });
  child.end(END);
  root.setStatus({ code: SpanStatusCode.OK });
  root.end(END);
  await provider.forceFlush();

  const spans = exporter.getFinishedSpans();
  // The span API only takes primitives and primitive arrays, but the OTLP serializers (shared with logs) encode
  // objects as kvlistValue and Uint8Array as bytesValue: add those after the fact to cover the full AnyValue range.
  const llm = spans.find((s) => s.name === 'chat gpt-4o')!;
  Object.assign(llm.attributes as Record<string, unknown>, {
    'test.nested': { model: 'gpt-4o', limits: { max_tokens: 512, tools: ['search', 'calc'] }, on: false },
    'test.bytes': BYTES,
  });
  await provider.shutdown();
  return spans;
}
