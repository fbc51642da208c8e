import { SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { openAITools, type AgentHooks } from './openai-agent.js';
import type { Scenario } from './scenarios.js';

/** The agent's own spans, as the GenAI semantic conventions describe an agent and its tool executions. */
export function semconvHooks(s: Scenario): AgentHooks {
  const tracer = trace.getTracer('support-agent');
  const ended = async <T>(span: Span, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      span.setAttribute('error.type', (err as Error).name);
      throw err;
    } finally {
      span.end();
    }
  };
  return {
    agent: (fn) =>
      tracer.startActiveSpan(
        'invoke_agent support-agent',
        {
          attributes: {
            'gen_ai.operation.name': 'invoke_agent',
            'gen_ai.agent.name': 'support-agent',
            'gen_ai.provider.name': 'openai',
            'gen_ai.tool.definitions': JSON.stringify(openAITools(s).map((t) => ({ type: 'function', name: t.function.name }))),
          },
        },
        (span) => ended(span, fn),
      ),
    tool: (name, id, args, fn) =>
      tracer.startActiveSpan(
        `execute_tool ${name}`,
        { attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': name, 'gen_ai.tool.call.id': id, 'gen_ai.tool.call.arguments': args } },
        (span) =>
          ended(span, async () => {
            const result = await fn();
            span.setAttribute('gen_ai.tool.call.result', result);
            return result;
          }),
      ),
  };
}
