import { OTLPTraceExporter as OTLPHttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emitAgentRun } from '../helpers/agent-run.js';
import { DEV_KEY, startReceiver, waitForClosedRun, type Running } from '../helpers/receiver.js';

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
