import { describe, expect, it } from 'vitest';
import { createHasher, mapSpan, type MappedSpan, type SpanEvent } from '../../src/mapping/index.js';
import { loadCapture, withoutContentFacts } from './helpers.js';

/** The three real Python captures (shared/fixtures/emitter-captures), decoded by the project's OTLP/JSON decoder. */
const hasher = createHasher();
const d = (t: string): string => hasher.digest(t);

function only(file: string): MappedSpan {
  const spans = loadCapture(file);
  expect(spans).toHaveLength(1);
  return withoutContentFacts(mapSpan(spans[0], { hasher }));
}

function event<T extends SpanEvent['event_type']>(m: MappedSpan, type: T): Extract<SpanEvent, { event_type: T }> {
  const e = m.events.find((x) => x.event_type === type);
  if (!e) throw new Error(`no ${type}`);
  return e as Extract<SpanEvent, { event_type: T }>;
}

describe('golden: traceloop-python (openai.chat, content captured)', () => {
  const m = only('traceloop-python.json');

  it('is a single root LLM span that still yields its llm pair', () => {
    expect(m).toMatchObject({
      trace_id: '4e20a57ff03c65eb75a036945a5f6401',
      span_id: '305774b346390091',
      parent_span_id: null,
      name: 'openai.chat',
      category: 'llm',
      status: 'unset',
      error_type: null,
      service_name: 'traceloop-agent',
      agent_id: null,
      agent_version: null,
    });
    expect(m.events.map((e) => e.event_type)).toEqual(['llm.called', 'llm.responded']);
    expect(m.start_time).toBe(1784851970.025876);
    expect(m.end_time).toBe(1784851970.079029);
  });

  it('input/output messages are hashed; output_length from the content', () => {
    expect(event(m, 'llm.called').payload).toEqual({
      model: 'gpt-4o',
      provider: 'openai',
      operation: 'chat',
      prompt_tokens: 24,
      input_hash: d('What is the capital of France?'),
      input_length: 30,
      max_tokens: null,
      tools_offered: [],
      system_prompt_hash: null,
    });
    expect(event(m, 'llm.responded').payload).toEqual({
      model: 'gpt-4o-2024-08-06',
      completion_tokens: 8,
      reasoning_tokens: null,
      total_tokens: 32,
      latency_ms: 53.153,
      finish_reason: 'stop',
      finish_reasons: ['stop'],
      output_hash: d('The capital of France is Paris.'),
      output_length: 31,
      output_length_source: 'content',
      tool_calls: [],
      success: true,
      error_type: null,
    });
    expect(m.root).toEqual({
      input_hash: d('What is the capital of France?'),
      input_length: 30,
      output_hash: d('The capital of France is Paris.'),
      error_hash: null,
    });
  });

  it('carries no raw content', () => {
    const json = JSON.stringify(m);
    expect(json).not.toContain('capital of France');
    expect(json).not.toContain('Paris');
  });
});

describe('golden: otel-contrib-python (no content captured)', () => {
  const m = only('otel-contrib-python.json');

  it('a response without content is not empty: output_length 8 from output tokens', () => {
    const r = event(m, 'llm.responded').payload;
    expect(r).toMatchObject({
      output_hash: null,
      output_length: 8,
      output_length_source: 'tokens',
      finish_reason: 'stop',
      completion_tokens: 8,
      total_tokens: 32,
      success: true,
    });
    expect(event(m, 'llm.called').payload).toMatchObject({ input_hash: null, input_length: null, prompt_tokens: 24, model: 'gpt-4o' });
    expect(m.root).toEqual({ input_hash: null, input_length: null, output_hash: null, error_hash: null });
    expect(m.service_name).toBe('otel-contrib-agent');
  });
});

describe('golden: openlit-python (status ERROR + error.type)', () => {
  const m = only('openlit-python.json');

  it('errored LLM root: status error, error_type, failed llm.responded, no output', () => {
    expect(m).toMatchObject({ category: 'llm', status: 'error', error_type: 'AttributeError', parent_span_id: null });
    expect(event(m, 'llm.responded').payload).toMatchObject({
      success: false,
      error_type: 'AttributeError',
      output_length: null,
      output_length_source: null,
      finish_reason: null,
    });
    expect(m.root?.error_hash).toBeNull();
    expect(m.events.map((e) => e.event_type)).toEqual(['llm.called', 'llm.responded']);
  });
});
