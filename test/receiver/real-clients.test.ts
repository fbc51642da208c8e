import { SpanStatusCode, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter as OTLPHttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { context, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_KEY, startReceiver, waitForClosedRun, type Running } from '../helpers/receiver.js';

/**
 * An agent-shaped trace: workflow root → chat (asks for a tool) → tool → chat (final answer). Returns the trace id.
 * Explicit times, as a real agent's calls take milliseconds to seconds: the SDK rounds start times to the
 * millisecond and derives ends from them, so spans started within one millisecond carry no usable order.
 */
function emitAgentRun(tracer: Tracer): string {
  const t0 = Date.now() - 10_000;
  const at = (ms: number) => new Date(t0 + ms);
  const root = tracer.startSpan('support.workflow', {
    startTime: at(0),
    attributes: { 'traceloop.span.kind': 'workflow', 'traceloop.entity.name': 'support' },
  });
  const ctx = trace.setSpan(context.active(), root);
  const chat1 = tracer.startSpan(
    'chat gpt-4o',
    {
      startTime: at(10),
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.input_tokens': 40,
        'gen_ai.usage.output_tokens': 9,
        'gen_ai.response.finish_reasons': ['tool_calls'],
      },
    },
    ctx,
  );
  chat1.end(at(900));
  const tool = tracer.startSpan(
    'execute_tool lookup_order',
    { startTime: at(910), attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'lookup_order' } },
    ctx,
  );
  tool.setStatus({ code: SpanStatusCode.OK });
  tool.end(at(1200));
  const chat2 = tracer.startSpan(
    'chat gpt-4o',
    {
      startTime: at(1210),
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.input_tokens': 80,
        'gen_ai.usage.output_tokens': 20,
        'gen_ai.response.finish_reasons': ['stop'],
      },
    },
    ctx,
  );
  chat2.end(at(2000));
  root.end(at(2010));
  return root.spanContext().traceId;
}

describe('real OTel JS exporters → receiver', () => {
  let r: Running;
  beforeAll(async () => {
    r = await startReceiver();
  });
  afterAll(async () => r?.close());

  const cases: [string, (url: string) => SpanExporter][] = [
    ['exporter-trace-otlp-http (JSON)', (url) => new OTLPHttpJsonExporter({ url: `${url}/v1/traces`, headers: { authorization: `Bearer ${DEV_KEY}` } })],
    ['exporter-trace-otlp-proto (protobuf)', (url) => new OTLPProtoExporter({ url: `${url}/v1/traces`, headers: { authorization: `Bearer ${DEV_KEY}` } })],
    [
      'exporter-trace-otlp-proto with gzip',
      (url) => new OTLPProtoExporter({ url: `${url}/v1/traces`, headers: { 'x-dunetrace-api-key': DEV_KEY }, compression: 'gzip' as never }),
    ],
  ];

  for (const [name, makeExporter] of cases) {
    it(`${name}: spans become a run`, async () => {
      const provider = new BasicTracerProvider({
        resource: resourceFromAttributes({ 'service.name': 'support-bot', 'service.version': '2.1.0' }),
        spanProcessors: [new BatchSpanProcessor(makeExporter(r.url))],
      });
      const traceId = emitAgentRun(provider.getTracer('test'));
      await provider.forceFlush();
      const run = await waitForClosedRun(r.url, traceId);
      expect(run).toMatchObject({
        agent_id: 'support-bot',
        agent_version: '2.1.0',
        status: 'completed',
        exit_reason: 'final_answer',
        step_count: 3,
        span_count: 4,
      });
      expect(run.events.map((e: any) => e.event_type)).toEqual([
        'run.started',
        'llm.called',
        'llm.responded',
        'tool.called',
        'tool.responded',
        'llm.called',
        'llm.responded',
        'run.completed',
      ]);
      expect(run.events.find((e: any) => e.event_type === 'tool.called').payload.tool_name).toBe('lookup_order');
      await provider.shutdown();
    });
  }
});
