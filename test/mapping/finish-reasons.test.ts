import { describe, expect, it } from 'vitest';
import { createHasher, decodeContentFacts, FINISH_REASONS, mapSpan, normalizeFinishReason, type MappedSpan, type SpanEvent } from '../../src/mapping/index.js';
import { CANARY } from './fixtures.js';
import { span, toJson } from './helpers.js';

const hasher = createHasher();

function responded(m: MappedSpan): Extract<SpanEvent, { event_type: 'llm.responded' }>['payload'] {
  const e = m.events.find((x) => x.event_type === 'llm.responded');
  if (!e) throw new Error('no llm.responded');
  return e.payload;
}

describe('normalizeFinishReason: every dialect onto one closed set', () => {
  it.each([
    // stop
    ['stop', 'stop'],
    ['STOP', 'stop'], // Gemini
    ['end_turn', 'stop'], // Anthropic, Bedrock
    ['stop_sequence', 'stop'],
    ['STOP_SEQUENCE', 'stop'], // Cohere
    ['COMPLETE', 'stop'], // Cohere
    ['eos_token', 'stop'], // Hugging Face TGI
    [' Stop ', 'stop'],
    // length
    ['length', 'length'],
    ['max_tokens', 'length'], // Anthropic, Bedrock
    ['MAX_TOKENS', 'length'], // Gemini, Cohere
    ['max_output_tokens', 'length'], // OpenAI Responses
    ['model_length', 'length'], // Mistral
    ['token_limit', 'length'],
    ['model_context_window_exceeded', 'length'], // Anthropic, Bedrock
    ['ERROR_LIMIT', 'length'], // Cohere v1
    // tool calls
    ['tool_calls', 'tool_calls'], // OpenAI, Mistral
    ['tool-calls', 'tool_calls'], // Vercel AI SDK
    ['tool_call', 'tool_calls'], // Traceloop JS
    ['TOOL_CALL', 'tool_calls'], // Cohere
    ['tool_use', 'tool_calls'], // Anthropic, Bedrock
    ['TOOL_USE', 'tool_calls'],
    ['function_call', 'tool_calls'], // OpenAI legacy functions
    // content filter
    ['content_filter', 'content_filter'], // OpenAI, Traceloop JS
    ['content-filter', 'content_filter'], // Vercel AI SDK
    ['content_filtered', 'content_filter'], // Bedrock
    ['guardrail_intervened', 'content_filter'], // Bedrock
    ['SAFETY', 'content_filter'], // Gemini
    ['IMAGE_SAFETY', 'content_filter'],
    ['RECITATION', 'content_filter'],
    ['BLOCKLIST', 'content_filter'],
    ['PROHIBITED_CONTENT', 'content_filter'],
    ['SPII', 'content_filter'],
    ['refusal', 'content_filter'], // Anthropic
    ['blocked', 'content_filter'], // Genkit
    ['ERROR_TOXIC', 'content_filter'], // Cohere v1
    // error
    ['error', 'error'], // Traceloop JS, Mistral, Vercel AI SDK
    ['ERROR', 'error'], // Cohere
    ['MALFORMED_FUNCTION_CALL', 'error'], // Gemini
    ['malformed_model_output', 'error'], // Bedrock
    ['malformed_tool_use', 'error'],
    // other
    ['other', 'other'], // Vercel AI SDK
    ['OTHER', 'other'], // Gemini
    ['unknown', 'other'], // Vercel AI SDK
    ['FINISH_REASON_UNSPECIFIED', 'other'], // Gemini
    ['pause_turn', 'other'], // Anthropic: not a spelling of any of the others
    ['', 'other'],
    [`free text ${CANARY}`, 'other'],
  ])('%j → %s', (spelling, expected) => {
    expect(normalizeFinishReason(spelling)).toBe(expected);
  });

  it('is idempotent and its image is the closed set', () => {
    for (const r of FINISH_REASONS) expect(normalizeFinishReason(r)).toBe(r);
    expect([...FINISH_REASONS]).toEqual(['stop', 'length', 'tool_calls', 'content_filter', 'error', 'other']);
  });
});

describe('finish reasons through mapSpan: every source normalised, free text never stored', () => {
  const chat = (attributes: Record<string, string | string[] | number>) =>
    span({ name: 'chat m', attributes: { 'gen_ai.operation.name': 'chat', ...attributes } });

  it('gen_ai.response.finish_reasons (Vercel AI SDK and Gemini spellings)', () => {
    const m = mapSpan(chat({ 'gen_ai.response.finish_reasons': ['tool-calls', 'SAFETY', CANARY] }), { hasher });
    expect(responded(m)).toMatchObject({ finish_reason: 'tool_calls', finish_reasons: ['tool_calls', 'content_filter', 'other'] });
    expect(toJson(m)).not.toContain(CANARY);
  });

  it('output messages (Bedrock and Cohere spellings)', () => {
    const out = JSON.stringify([
      { role: 'assistant', parts: [{ type: 'text', content: 'x' }], finish_reason: 'guardrail_intervened' },
      { role: 'assistant', parts: [{ type: 'text', content: 'y' }], finish_reason: 'COMPLETE' },
    ]);
    const m = mapSpan(chat({ 'gen_ai.output.messages': out }), { hasher });
    expect(responded(m).finish_reasons).toEqual(['content_filter', 'stop']);
  });

  it('legacy indexed gen_ai.completion.N.finish_reason and llm.response.finish_reason', () => {
    expect(responded(mapSpan(chat({ 'gen_ai.completion.0.finish_reason': 'MAX_TOKENS' }), { hasher })).finish_reasons).toEqual(['length']);
    expect(responded(mapSpan(chat({ 'llm.response.finish_reason': 'model_length' }), { hasher })).finish_reasons).toEqual(['length']);
  });

  it('decoded dunetrace.content.finish_reasons are normalised too (a sender cannot store free text there)', () => {
    const facts = decodeContentFacts({ 'dunetrace.content.v': 1, 'dunetrace.content.finish_reasons': ['end_turn', '', CANARY] });
    expect(facts.finish_reasons).toEqual(['stop', 'other']);
    const m = mapSpan(chat({ 'dunetrace.content.v': 1, 'dunetrace.content.finish_reasons': ['tool_use', CANARY] }), { hasher });
    expect(responded(m).finish_reasons).toEqual(['tool_calls', 'other']);
    expect(toJson(m)).not.toContain(CANARY);
  });
});
