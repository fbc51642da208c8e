import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLlmStub, type LlmStub } from '../../examples/llm-stub.js';
import { closedPort } from '../processor/helpers.js';
import { capturingSdk, sha } from './helpers.js';

/**
 * dt.wrapOpenAI / dt.wrapAnthropic with the real `openai` and `@anthropic-ai/sdk` clients against a local stub of
 * each API (whole and streamed responses): one LLM step per call with tokens, latency, finish reason and the tool
 * calls the model asked for; what the caller gets back is untouched.
 */
let stub: LlmStub;
beforeAll(async () => {
  stub = await startLlmStub({ loops: 1, model: 'stub-model-1' });
});
afterAll(() => stub?.close());

const Q = 'Where is my order 42?';
const tools: OpenAI.Chat.Completions.ChatCompletionTool[] = [
  { type: 'function', function: { name: 'search_docs', parameters: { type: 'object', properties: { query: { type: 'string' } } } } },
];

type Llm = { called: Record<string, unknown>; responded: Record<string, unknown> };

function llmCalls(run: { events: { event_type: string; span_id: string; payload: unknown }[] }): Llm[] {
  const out = new Map<string, Llm>();
  for (const e of run.events) {
    if (e.event_type !== 'llm.called' && e.event_type !== 'llm.responded') continue;
    const x = out.get(e.span_id) ?? { called: {}, responded: {} };
    if (e.event_type === 'llm.called') x.called = e.payload as Record<string, unknown>;
    else x.responded = e.payload as Record<string, unknown>;
    out.set(e.span_id, x);
  }
  return [...out.values()];
}

describe('dt.wrapOpenAI (real openai client, local stub)', () => {
  it('records each chat.completions.create as one LLM step; the caller gets the SDK result (withResponse too)', async () => {
    const { dt, run } = capturingSdk();
    const client = dt.wrapOpenAI(new OpenAI({ apiKey: 'sk-stub', baseURL: stub.baseURL, maxRetries: 0 }));
    expect(dt.wrapOpenAI(client)).toBe(client); // idempotent
    const outside = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: Q }] });
    expect(outside.choices[0].finish_reason).toBe('tool_calls'); // not in a run: passes through, nothing recorded

    const id = await dt.run('shop-bot', { userInput: Q }, async (r) => {
      const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: Q },
      ];
      const first = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, tools });
      const call = first.choices[0].message.tool_calls?.[0];
      expect(call?.type === 'function' && call.function.name).toBe('search_docs');
      messages.push(first.choices[0].message, { role: 'tool', tool_call_id: call?.id ?? '', content: '{"hits":[]}' });
      const { data, response } = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, tools }).withResponse();
      expect(response.status).toBe(200);
      expect(data.choices[0].message.content).toContain(Q);
      return r.runId;
    });
    const got = await run(id);
    const calls = llmCalls(got);
    expect(calls).toHaveLength(2);
    expect(calls[0].called).toMatchObject({
      model: 'gpt-4o-mini',
      provider: 'openai',
      tools_offered: ['search_docs'],
      system_prompt_hash: sha('You are terse.'),
    });
    expect(calls[0].responded).toMatchObject({
      model: 'stub-model-1',
      finish_reason: 'tool_calls',
      completion_tokens: 18,
      tool_calls: [{ name: 'search_docs', args_hash: sha(JSON.stringify({ query: Q })) }],
    });
    expect(calls[0].called.prompt_tokens).toBeGreaterThan(0);
    expect(calls[1].responded).toMatchObject({
      finish_reason: 'stop',
      completion_tokens: 12,
      output_hash: sha(`Sorry, I found nothing about: ${Q}`),
      tool_calls: [],
    });
    expect(calls[1].responded.latency_ms).toBeGreaterThan(0);
    expect(got.exit_reason).toBe('final_answer');
  });

  it('streams: the step ends when the stream does, with the deltas folded (text, tool call, usage); tee still works', async () => {
    const { dt, run } = capturingSdk();
    const client = dt.wrapOpenAI(new OpenAI({ apiKey: 'sk-stub', baseURL: stub.baseURL, maxRetries: 0 }));
    const id = await dt.run('shop-bot', {}, async (r) => {
      const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [{ role: 'user', content: Q }];
      const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, tools, stream: true, stream_options: { include_usage: true } });
      const [a, b] = stream.tee();
      let args = '';
      for await (const chunk of a) args += chunk.choices[0]?.delta.tool_calls?.[0]?.function?.arguments ?? '';
      expect(JSON.parse(args)).toEqual({ query: Q });
      for await (const _ of b) {
        // the second branch drains too
      }
      messages.push({ role: 'assistant', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'search_docs', arguments: args } }] });
      messages.push({ role: 'tool', tool_call_id: 'c1', content: '[]' });
      // The SDK's own stream helper goes through create() as well.
      const final = await client.chat.completions.stream({ model: 'gpt-4o-mini', messages }).finalContent();
      expect(final).toContain(Q);
      return r.runId;
    });
    const calls = llmCalls(await run(id));
    expect(calls).toHaveLength(2);
    expect(calls[0].responded).toMatchObject({
      finish_reason: 'tool_calls',
      completion_tokens: 18,
      tool_calls: [{ name: 'search_docs', args_hash: sha(JSON.stringify({ query: Q })) }],
    });
    expect(calls[0].called.prompt_tokens).toBeGreaterThan(0); // from the usage chunk
    expect(calls[1].responded).toMatchObject({ finish_reason: 'stop', output_hash: sha(`Sorry, I found nothing about: ${Q}`), completion_tokens: null });
  });

  it('a consumer that stops reading early ends the step; an API error is a failed call', async () => {
    const { dt, run } = capturingSdk();
    const client = dt.wrapOpenAI(new OpenAI({ apiKey: 'sk-stub', baseURL: stub.baseURL, maxRetries: 0 }));
    const broken = dt.wrapOpenAI(new OpenAI({ apiKey: 'sk-stub', baseURL: `http://127.0.0.1:${await closedPort()}/v1`, maxRetries: 0 }));
    const id = await dt.run('shop-bot', {}, async (r) => {
      const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: Q }], stream: true });
      for await (const _ of stream) break;
      await expect(broken.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: Q }] })).rejects.toThrow();
      return r.runId;
    });
    const calls = llmCalls(await run(id));
    expect(calls).toHaveLength(2);
    expect(calls[0].responded.success).toBe(true);
    expect(calls[1].responded).toMatchObject({ success: false, error_type: 'APIConnectionError' });
  });
});

describe('dt.wrapAnthropic (real @anthropic-ai/sdk client, local stub)', () => {
  it('messages.create, whole and streamed (and messages.stream): tokens, stop reason, tool use', async () => {
    const { dt, run } = capturingSdk();
    const client = dt.wrapAnthropic(new Anthropic({ apiKey: 'sk-ant-stub', baseURL: stub.anthropicBaseURL, maxRetries: 0 }));
    const anthropicTools: Anthropic.Tool[] = [{ name: 'search_docs', input_schema: { type: 'object', properties: { query: { type: 'string' } } } }];
    const id = await dt.run('claude-bot', {}, async (r) => {
      const messages: Anthropic.MessageParam[] = [{ role: 'user', content: Q }];
      const first = await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 256, system: 'Be brief.', messages, tools: anthropicTools });
      const use = first.content.find((b) => b.type === 'tool_use');
      expect(use?.name).toBe('search_docs');
      messages.push(
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: use?.id ?? '', content: 'no hits' }] },
      );
      const streamed = await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 256, messages, stream: true });
      let textOut = '';
      for await (const ev of streamed) if (ev.type === 'content_block_delta' && ev.delta.type === 'text_delta') textOut += ev.delta.text;
      expect(textOut).toContain(Q);
      const helper = await client.messages
        .stream({ model: 'claude-sonnet-4-5', max_tokens: 256, messages: [{ role: 'user', content: Q }], tools: anthropicTools })
        .finalMessage();
      expect(helper.stop_reason).toBe('tool_use');
      return r.runId;
    });
    const calls = llmCalls(await run(id));
    expect(calls).toHaveLength(3);
    expect(calls[0].called).toMatchObject({
      model: 'claude-sonnet-4-5',
      provider: 'anthropic',
      max_tokens: 256,
      tools_offered: ['search_docs'],
      system_prompt_hash: sha('Be brief.'),
    });
    // stop reasons folded onto the common vocabulary by the mapping core (tool_use → tool_calls, end_turn → stop).
    expect(calls[0].responded).toMatchObject({
      finish_reason: 'tool_calls',
      completion_tokens: 18,
      tool_calls: [{ name: 'search_docs', args_hash: sha(JSON.stringify({ query: Q })) }],
    });
    expect(calls[1].responded).toMatchObject({ finish_reason: 'stop', completion_tokens: 12, output_hash: sha(`Sorry, I found nothing about: ${Q}`) });
    expect(calls[1].called.prompt_tokens).toBeGreaterThan(0);
    expect(calls[2].responded).toMatchObject({
      finish_reason: 'tool_calls',
      tool_calls: [{ name: 'search_docs', args_hash: sha(JSON.stringify({ query: Q })) }],
    });
  });

  it('run.llm(model, promise) records a call from either API shape', async () => {
    const { dt, run } = capturingSdk();
    const openai = new OpenAI({ apiKey: 'sk-stub', baseURL: stub.baseURL, maxRetries: 0 });
    const anthropic = new Anthropic({ apiKey: 'sk-ant-stub', baseURL: stub.anthropicBaseURL, maxRetries: 0 });
    const id = await dt.run('manual', {}, async (r) => {
      await r.llm('gpt-4o-mini', openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: Q }] }));
      await r.llm('claude', anthropic.messages.create({ model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: Q }] }));
      return r.runId;
    });
    const calls = llmCalls(await run(id));
    expect(calls.map((c) => [c.called.model, c.responded.finish_reason, c.responded.completion_tokens])).toEqual([
      ['gpt-4o-mini', 'tool_calls', 18],
      ['claude', 'tool_calls', 18],
    ]);
  });
});
