import { context, trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { UNKNOWN_SPAN_CANARY } from '../api/helpers.js';
import { DEV_KEY } from './receiver.js';

/**
 * A Vercel AI SDK-shaped run emitted through the real OTel SDK (tracer `ai`, as the SDK names its own): a
 * generateText call with one model call the mapping understands, and operations it does not — `ai.foo` twice and
 * `ai.bar` once, each carrying UNKNOWN_SPAN_CANARY in an attribute value. Returns the trace id.
 */
export function emitUnknownSpansRun(tracer: Tracer): string {
  const t0 = Date.now() - 10_000;
  const at = (ms: number) => new Date(t0 + ms);
  const root = tracer.startSpan('ai.generateText', { startTime: at(0), attributes: { 'ai.operationId': 'ai.generateText' } });
  const ctx = trace.setSpan(context.active(), root);
  const model = tracer.startSpan(
    'ai.generateText.doGenerate',
    {
      startTime: at(10),
      attributes: {
        'ai.operationId': 'ai.generateText.doGenerate',
        'ai.model.id': 'gpt-4o',
        'ai.model.provider': 'openai.chat',
        'ai.usage.inputTokens': 40,
        'ai.usage.outputTokens': 8,
        'ai.response.finishReason': 'stop',
      },
    },
    ctx,
  );
  model.end(at(300));
  let t = 310;
  for (const op of ['ai.foo', 'ai.foo', 'ai.bar']) {
    const s = tracer.startSpan(op, { startTime: at(t), attributes: { 'ai.operationId': op, [`${op}.payload`]: `${UNKNOWN_SPAN_CANARY} secret` } }, ctx);
    s.end(at(t + 50));
    t += 60;
  }
  root.end(at(t + 10));
  return root.spanContext().traceId;
}

/** Sends emitUnknownSpansRun to a receiver with the real OTLP/HTTP exporter; resolves once exported. */
export async function exportUnknownSpansRun(receiverUrl: string, agentId = 'vercel-ai-agent', key = DEV_KEY): Promise<string> {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': agentId }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${receiverUrl}/v1/traces`, headers: { authorization: `Bearer ${key}` } }))],
  });
  const traceId = emitUnknownSpansRun(provider.getTracer('ai', '6.0.0'));
  await provider.forceFlush();
  await provider.shutdown();
  return traceId;
}
