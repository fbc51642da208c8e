import { context, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';

/**
 * An agent-shaped trace: workflow root → chat (asks for a tool) → tool → chat (final answer). Returns the trace id.
 * Explicit times, as a real agent's calls take milliseconds to seconds: the SDK rounds start times to the
 * millisecond and derives ends from them, so spans started within one millisecond carry no usable order.
 */
export function emitAgentRun(tracer: Tracer): string {
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
