import type { MappedSpan, SpanEvent } from '../../src/mapping/events.js';

let counter = 0;
export const spanId = () => (++counter).toString(16).padStart(16, '0');

const base = (over: Partial<MappedSpan>): MappedSpan => ({
  trace_id: 'a'.repeat(32),
  span_id: spanId(),
  parent_span_id: 'f'.repeat(16),
  name: 'span',
  category: 'other',
  start_time: 1000,
  end_time: 1001,
  status: 'unset',
  error_type: null,
  agent_id: null,
  agent_name: null,
  service_name: 'svc',
  agent_version: null,
  tools_available: [],
  root: null,
  events: [],
  ...over,
});

export function rootSpan(start: number, end: number, over: Partial<MappedSpan> = {}): MappedSpan {
  return base({
    name: 'agent.workflow',
    category: 'workflow',
    parent_span_id: null,
    start_time: start,
    end_time: end,
    root: { input_hash: 'i'.repeat(64), input_length: 10, output_hash: null },
    ...over,
  });
}

export function llmSpan(
  start: number,
  end: number,
  o: { finish?: string; toolCalls?: string[]; model?: string; parent?: string; tools?: string[]; promptTokens?: number } = {},
): MappedSpan {
  const events: SpanEvent[] = [
    {
      event_type: 'llm.called',
      seq: 0,
      timestamp: start,
      payload: {
        model: o.model ?? 'gpt-4o',
        provider: 'openai',
        operation: 'chat',
        prompt_tokens: o.promptTokens ?? 100,
        input_hash: 'h'.repeat(64),
        input_length: 20,
        max_tokens: null,
        tools_offered: o.tools ?? [],
      },
    },
    {
      event_type: 'llm.responded',
      seq: 1,
      timestamp: end,
      payload: {
        model: o.model ?? 'gpt-4o',
        completion_tokens: 5,
        reasoning_tokens: null,
        total_tokens: 105,
        latency_ms: (end - start) * 1000,
        finish_reason: o.finish ?? 'stop',
        finish_reasons: [o.finish ?? 'stop'],
        output_hash: 'o'.repeat(64),
        output_length: 12,
        output_length_source: 'content',
        tool_calls: (o.toolCalls ?? []).map((name) => ({ name, args_hash: null })),
        success: true,
        error_type: null,
      },
    },
  ];
  return base({ name: 'chat gpt-4o', category: 'llm', start_time: start, end_time: end, events, parent_span_id: o.parent ?? 'f'.repeat(16) });
}

export function toolSpan(start: number, end: number, name: string, o: { success?: boolean; parent?: string } = {}): MappedSpan {
  const success = o.success ?? true;
  const events: SpanEvent[] = [
    { event_type: 'tool.called', seq: 0, timestamp: start, payload: { tool_name: name, tool_call_id: null, args_hash: 'a'.repeat(64), args_length: 3 } },
    {
      event_type: 'tool.responded',
      seq: 1,
      timestamp: end,
      payload: {
        tool_name: name,
        success,
        output_hash: null,
        output_length: null,
        latency_ms: (end - start) * 1000,
        error_type: success ? null : 'Error',
        error_hash: success ? null : 'e'.repeat(64),
      },
    },
  ];
  return base({
    name: `${name}.tool`,
    category: 'tool',
    start_time: start,
    end_time: end,
    events,
    status: success ? 'unset' : 'error',
    parent_span_id: o.parent ?? 'f'.repeat(16),
  });
}
