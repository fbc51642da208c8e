import { describe, expect, it } from 'vitest';
import { classify, createHasher, mapSpan, redactSpan, type MappedSpan, type SpanEvent } from '../../src/mapping/index.js';
import { vercelProvider } from '../../src/mapping/dialects/vercel-ai.js';
import { flowOfPath } from '../../src/mapping/dialects/genkit.js';
import type { Attributes } from '../../src/otlp/model.js';
import { CANARY } from './fixtures.js';
import { ROOT_ID, event, span, toJson, withoutContentFacts } from './helpers.js';

/** Vercel AI SDK and Genkit dialects, case by case (the captures test covers a whole real run of each). */
const hasher = createHasher();
const d = (t: string): string => hasher.digest(t);
const map = (name: string, attributes: Attributes, extra: Parameters<typeof span>[0] = { name }) =>
  withoutContentFacts(mapSpan(span({ ...extra, name, attributes }), { hasher }));
const j = (v: unknown) => JSON.stringify(v);

function ev(m: MappedSpan, type: SpanEvent['event_type']): any {
  const e = m.events.find((x) => x.event_type === type);
  if (!e) throw new Error(`no ${type} in ${m.events.map((x) => x.event_type).join(',')}`);
  return e.payload;
}

/** A mapped span carries no content, and maps the same after the SpanProcessor's redaction. */
function contentFree(name: string, attributes: Attributes, extra: Parameters<typeof span>[0] = { name }): MappedSpan {
  const raw = span({ ...extra, name, attributes });
  const m = withoutContentFacts(mapSpan(raw, { hasher }));
  const redacted = redactSpan(raw, { hasher });
  expect(toJson(m)).not.toContain(CANARY);
  expect(toJson(redacted)).not.toContain(CANARY);
  expect(withoutContentFacts(mapSpan(redacted, { hasher }))).toEqual(m);
  return m;
}

describe('Vercel AI SDK dialect', () => {
  const call = (op: string, more: Attributes = {}): Attributes => ({
    'ai.operationId': op,
    'operation.name': `${op} support`,
    'ai.telemetry.functionId': 'support',
    'ai.model.id': 'gpt-4o',
    'ai.model.provider': 'openai.chat',
    ...more,
  });

  it('classifies by ai.operationId: model calls, tool calls, SDK calls, embeddings; image/speech calls are not understood', () => {
    const c = (op: string) => classify(op, call(op));
    expect(['ai.generateText.doGenerate', 'ai.streamText.doStream', 'ai.generateObject.doGenerate', 'ai.streamObject.doStream'].map(c)).toEqual([
      'llm',
      'llm',
      'llm',
      'llm',
    ]);
    expect(['ai.generateText', 'ai.streamText', 'ai.generateObject', 'ai.streamObject'].map(c)).toEqual(['workflow', 'workflow', 'workflow', 'workflow']);
    expect(c('ai.toolCall')).toBe('tool');
    expect(['ai.embed', 'ai.embed.doEmbed', 'ai.embedMany.doEmbed', 'ai.rerank'].map(c)).toEqual(['other', 'other', 'other', 'other']);
    // Not understood: classified as any span would be (no LLM call is invented from ai.model.id).
    expect(c('ai.generateImage')).toBe('other');
    expect(map('ai.generateImage', call('ai.generateImage')).events).toEqual([]);
  });

  it('a streamed model call: usage (ai 6 and ai 5 names), finish reason normalised, provider from ai.model.provider', () => {
    const m = contentFree(
      'ai.streamText.doStream',
      call('ai.streamText.doStream', {
        'ai.usage.inputTokens': 90,
        'ai.usage.outputTokens': 12,
        'ai.usage.reasoningTokens': 4,
        'ai.settings.maxOutputTokens': 256,
        'ai.response.finishReason': 'content-filter',
        'ai.response.model': 'gpt-4o-2024-08-06',
        'ai.response.msToFirstChunk': 120,
        'ai.prompt.messages': j([
          { role: 'system', content: `Be brief ${CANARY}` },
          { role: 'user', content: [{ type: 'text', text: `Hi ${CANARY}` }] },
        ]),
        'ai.response.text': `blocked ${CANARY}`,
      }),
    );
    expect(ev(m, 'llm.called')).toMatchObject({
      model: 'gpt-4o',
      provider: 'openai',
      operation: 'chat',
      prompt_tokens: 90,
      max_tokens: 256,
      input_hash: d(`Be brief ${CANARY}\nHi ${CANARY}`),
      system_prompt_hash: d(`Be brief ${CANARY}`),
    });
    expect(ev(m, 'llm.responded')).toMatchObject({
      model: 'gpt-4o-2024-08-06',
      completion_tokens: 12,
      reasoning_tokens: 4,
      total_tokens: 102,
      finish_reason: 'content_filter',
      output_hash: d(`blocked ${CANARY}`),
    });
    const v5 = map('ai.generateText.doGenerate', call('ai.generateText.doGenerate', { 'ai.usage.promptTokens': 7, 'ai.usage.completionTokens': 3 }));
    expect([ev(v5, 'llm.called').prompt_tokens, ev(v5, 'llm.responded').completion_tokens, ev(v5, 'llm.responded').total_tokens]).toEqual([7, 3, 10]);
  });

  it('provider ids of the SDK packages map onto GenAI semconv names', () => {
    expect(
      [
        'openai.chat',
        'openai.responses',
        'anthropic.messages',
        'google.generative-ai',
        'google.vertex.chat',
        'amazon-bedrock',
        'mistral.chat',
        'xai.chat',
        'azure-openai.chat',
        'constructor',
      ].map(vercelProvider),
    ).toEqual(['openai', 'openai', 'anthropic', 'gcp.gemini', 'gcp.vertex_ai', 'aws.bedrock', 'mistral_ai', 'x_ai', 'azure-openai', 'constructor']);
  });

  it('a tool call: name, id, hashed args and result; a failure from the span status and exception event', () => {
    const ok = contentFree(
      'ai.toolCall',
      call('ai.toolCall', {
        'ai.toolCall.name': 'search',
        'ai.toolCall.id': 'call_9',
        'ai.toolCall.args': j({ q: CANARY }),
        'ai.toolCall.result': j(`found ${CANARY}`),
      }),
    );
    expect(ev(ok, 'tool.called')).toEqual({
      tool_name: 'search',
      tool_call_id: 'call_9',
      args_hash: d(j({ q: CANARY })),
      args_length: j({ q: CANARY }).length,
    });
    expect(ev(ok, 'tool.responded')).toMatchObject({ tool_name: 'search', success: true, output_hash: d(j(`found ${CANARY}`)), error_hash: null });
    const failed = contentFree('ai.toolCall', call('ai.toolCall', { 'ai.toolCall.name': 'search', 'ai.toolCall.args': '{}' }), {
      name: 'ai.toolCall',
      status: { code: 2, message: `timeout ${CANARY}` },
      events: [event('exception', { 'exception.type': 'TimeoutError', 'exception.message': `timeout ${CANARY}` })],
    });
    expect(ev(failed, 'tool.responded')).toMatchObject({ success: false, error_type: 'TimeoutError', error_hash: d(`timeout ${CANARY}`) });
  });

  it('the SDK call is the run: its prompt and answer; answered only when its last step stopped on text', () => {
    const root = (finish: string, more: Attributes = {}) =>
      contentFree(
        'ai.generateText',
        call('ai.generateText', { 'ai.prompt': j({ system: `sys ${CANARY}`, prompt: `question ${CANARY}` }), 'ai.response.finishReason': finish, ...more }),
        {
          name: 'ai.generateText',
          parentSpanId: '',
          spanId: ROOT_ID,
        },
      );
    const answered = root('stop', { 'ai.response.text': `answer ${CANARY}` });
    expect(answered.category).toBe('workflow');
    expect(answered.events).toEqual([]);
    expect(answered.root).toEqual({
      input_hash: d(`question ${CANARY}`),
      input_length: `question ${CANARY}`.length,
      output_hash: d(`answer ${CANARY}`),
      error_hash: null,
      answered: true,
    });
    // stopWhen reached on a tool-calls step, cut by length: no answer.
    expect(root('tool-calls').root?.answered).toBe(false);
    expect(root('length').root?.answered).toBe(false);
    // generateObject: the object is the answer.
    const obj = contentFree(
      'ai.generateObject',
      call('ai.generateObject', { 'ai.prompt': j({ prompt: CANARY }), 'ai.response.finishReason': 'stop', 'ai.response.object': j({ a: CANARY }) }),
      {
        name: 'ai.generateObject',
        parentSpanId: '',
      },
    );
    expect(obj.root).toMatchObject({ output_hash: d(j({ a: CANARY })), answered: true });
    // Nested under the app's own span it is structure, not a root: nothing about the run.
    expect(map('ai.generateText', call('ai.generateText', { 'ai.response.finishReason': 'stop' })).root).toBeNull();
  });

  it('identity: metadata agent id/version over functionId; the resource dunetrace.agent_id over both', () => {
    const plain = map('ai.toolCall', call('ai.toolCall', { 'ai.toolCall.name': 't' }));
    expect([plain.agent_id, plain.agent_name, plain.agent_version]).toEqual(['support', 'support', null]);
    const meta = map(
      'ai.toolCall',
      call('ai.toolCall', { 'ai.toolCall.name': 't', 'ai.telemetry.metadata.agentId': 'billing-bot', 'ai.telemetry.metadata.agentVersion': '2.1' }),
    );
    expect([meta.agent_id, meta.agent_name, meta.agent_version]).toEqual(['billing-bot', 'support', '2.1']);
    const pinned = mapSpan(
      span({
        name: 'ai.toolCall',
        attributes: call('ai.toolCall', { 'ai.toolCall.name': 't' }),
        resource: { 'service.name': 's', 'dunetrace.agent_id': 'ops' },
      }),
      { hasher },
    );
    expect(pinned.agent_id).toBe('ops');
  });

  it('with recordInputs/recordOutputs off: structure only, unknown content stays unknown', () => {
    const m = contentFree(
      'ai.generateText.doGenerate',
      call('ai.generateText.doGenerate', { 'ai.response.finishReason': 'tool-calls', 'ai.usage.outputTokens': 9 }),
    );
    expect(ev(m, 'llm.called')).toMatchObject({ input_hash: null, input_length: null, tools_offered: [] });
    expect(ev(m, 'llm.responded')).toMatchObject({
      finish_reason: 'tool_calls',
      output_hash: null,
      output_length: 9,
      output_length_source: 'tokens',
      tool_calls: [],
    });
  });

  it('metadata and request headers are content: digested on export, never stored', () => {
    const raw = span({
      name: 'ai.toolCall',
      attributes: call('ai.toolCall', { 'ai.toolCall.name': 't', 'ai.telemetry.metadata.userEmail': `a@${CANARY}`, 'ai.request.headers.x-api-key': CANARY }),
    });
    const redacted = redactSpan(raw, { hasher });
    expect(redacted.attributes['ai.telemetry.metadata.userEmail']).toBe(d(`a@${CANARY}`));
    expect(redacted.attributes['ai.request.headers.x-api-key']).toBe(d(CANARY));
    expect(redacted.attributes['ai.telemetry.functionId']).toBe('support');
  });

  it('an unparseable (cut) prompt is measured as raw text, never dropped', () => {
    const cut = `[{"role":"user","content":"${CANARY}`;
    const m = contentFree('ai.generateText.doGenerate', call('ai.generateText.doGenerate', { 'ai.prompt.messages': cut }));
    expect(ev(m, 'llm.called')).toMatchObject({ input_hash: d(cut), input_length: cut.length });
  });
});

describe('Genkit dialect', () => {
  const action = (subtype: string, name: string, more: Attributes = {}): Attributes => ({
    'genkit:type': 'action',
    'genkit:metadata:subtype': subtype,
    'genkit:name': name,
    'genkit:path': `/{supportFlow,t:flow}/{generate,t:util}/{${name},t:action,s:${subtype}}`,
    'genkit:state': 'success',
    ...more,
  });

  it('classifies by genkit:type and subtype, never by the user-chosen name', () => {
    const c = (name: string, a: Attributes) => classify(name, a);
    expect(c('gemini', action('model', 'googleai/gemini-2.5-flash'))).toBe('llm');
    expect(c('search.tool', action('tool', 'search.tool'))).toBe('tool');
    expect(c('multi', action('tool.v2', 'multi'))).toBe('tool');
    expect(c('kb', action('retriever', 'kb'))).toBe('retrieval');
    expect(c('supportFlow', action('flow', 'supportFlow'))).toBe('workflow');
    expect(c('emb', action('embedder', 'emb'))).toBe('other');
    expect(c('x.tool', { 'genkit:type': 'util', 'genkit:name': 'x.tool' })).toBe('task');
    expect(c('step.chat', { 'genkit:type': 'flowStep', 'genkit:name': 'step.chat' })).toBe('task');
    // An action subtype Genkit adds later: not understood (and no name pattern applies).
    expect(c('thing.tool', action('constructor', 'thing.tool'))).toBe('other');
  });

  it('a model action: model/provider from its name, usage and finish reason from genkit:output, messages and tools', () => {
    const m = contentFree(
      'googleai/gemini-2.5-flash',
      action('model', 'googleai/gemini-2.5-flash', {
        'genkit:input': j({
          messages: [
            { role: 'system', content: [{ text: `sys ${CANARY}` }] },
            { role: 'user', content: [{ text: `q ${CANARY}` }] },
            { role: 'model', content: [{ toolRequest: { name: 'search', ref: 'r1', input: { q: CANARY } } }] },
            { role: 'tool', content: [{ toolResponse: { name: 'search', ref: 'r1', output: `hits ${CANARY}` } }] },
          ],
          tools: [{ name: 'search', description: CANARY }],
          config: {},
        }),
        'genkit:output': j({
          message: { role: 'model', content: [{ text: `a ${CANARY}` }] },
          finishReason: 'blocked',
          usage: { inputTokens: 50, outputTokens: 5, totalTokens: 55, thoughtsTokens: 2 },
        }),
      }),
    );
    expect(ev(m, 'llm.called')).toMatchObject({
      model: 'gemini-2.5-flash',
      provider: 'googleai',
      prompt_tokens: 50,
      tools_offered: ['search'],
      system_prompt_hash: d(`sys ${CANARY}`),
    });
    expect(ev(m, 'llm.called').input_hash).toBe(d([`sys ${CANARY}`, `q ${CANARY}`, `hits ${CANARY}`].join('\n')));
    expect(ev(m, 'llm.responded')).toMatchObject({
      completion_tokens: 5,
      total_tokens: 55,
      reasoning_tokens: 2,
      finish_reason: 'content_filter',
      output_hash: d(`a ${CANARY}`),
      tool_calls: [],
    });
    expect([m.agent_id, m.agent_name]).toEqual(['supportFlow', 'supportFlow']);
  });

  it('older responses (candidates[0]) are read too', () => {
    const m = map(
      'm',
      action('model', 'm', {
        'genkit:output': j({ candidates: [{ finishReason: 'length', message: { role: 'model', content: [{ text: 'x' }] } }], usage: { outputTokens: 1 } }),
      }),
    );
    expect(ev(m, 'llm.responded')).toMatchObject({ finish_reason: 'length', completion_tokens: 1, output_length: 1 });
  });

  it('a tool action: arguments and result as whole values; its error from the status', () => {
    const ok = contentFree('lookup', action('tool', 'lookup', { 'genkit:input': j({ id: CANARY }), 'genkit:output': j(`order ${CANARY}`) }));
    expect(ev(ok, 'tool.called')).toMatchObject({ tool_name: 'lookup', args_hash: d(j({ id: CANARY })) });
    expect(ev(ok, 'tool.responded')).toMatchObject({ success: true, output_hash: d(`order ${CANARY}`) });
    const failed = contentFree('lookup', action('tool', 'lookup', { 'genkit:state': 'error', 'genkit:isFailureSource': true, 'genkit:input': '{}' }), {
      name: 'lookup',
      status: { code: 2, message: `db down ${CANARY}` },
      events: [event('exception', { 'exception.type': 'Error', 'exception.message': `db down ${CANARY}` })],
    });
    expect(ev(failed, 'tool.responded')).toMatchObject({ success: false, error_type: 'Error', error_hash: d(`db down ${CANARY}`) });
  });

  it('a retriever action: index, k, query digest, result count', () => {
    const m = contentFree(
      'kb',
      action('retriever', 'kb', {
        'genkit:input': j({ query: { content: [{ text: CANARY }] }, options: { k: 4 } }),
        'genkit:output': j({ documents: [{ content: [{ text: CANARY }] }] }),
      }),
    );
    expect(ev(m, 'retrieval.called')).toMatchObject({ index_name: 'kb', top_k: 4, query_hash: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(ev(m, 'retrieval.responded')).toMatchObject({ index_name: 'kb', result_count: 1, success: true });
  });

  it('the flow is the run: its question and answer (JSON strings read as text); answered when it returned a value', () => {
    const flow = (more: Attributes) =>
      contentFree(
        'supportFlow',
        {
          'genkit:type': 'action',
          'genkit:metadata:subtype': 'flow',
          'genkit:name': 'supportFlow',
          'genkit:isRoot': true,
          'genkit:path': '/{supportFlow,t:flow}',
          ...more,
        },
        { name: 'supportFlow', parentSpanId: '' },
      );
    const answered = flow({ 'genkit:state': 'success', 'genkit:input': j(`q ${CANARY}`), 'genkit:output': j(`a ${CANARY}`) });
    expect(answered.root).toEqual({
      input_hash: d(`q ${CANARY}`),
      input_length: `q ${CANARY}`.length,
      output_hash: d(`a ${CANARY}`),
      error_hash: null,
      answered: true,
    });
    expect([answered.agent_id, answered.category]).toEqual(['supportFlow', 'workflow']);
    expect(flow({ 'genkit:state': 'success', 'genkit:input': '"q"' }).root?.answered).toBe(false);
    expect(flow({ 'genkit:state': 'success', 'genkit:output': 'null' }).root?.answered).toBe(false);
    expect(flow({ 'genkit:state': 'error' }).root?.answered).toBeUndefined();
  });

  it('a bare generate() as the root answered when it stopped on text, not on tool requests', () => {
    const gen = (output: unknown) =>
      map(
        'generate',
        { 'genkit:type': 'util', 'genkit:name': 'generate', 'genkit:state': 'success', 'genkit:output': j(output) },
        { name: 'generate', parentSpanId: '' },
      ).root?.answered;
    expect(gen({ message: { role: 'model', content: [{ text: 'a' }] }, finishReason: 'stop' })).toBe(true);
    expect(gen({ message: { role: 'model', content: [{ toolRequest: { name: 't' } }] }, finishReason: 'stop' })).toBe(false);
  });

  it('the request context is content', () => {
    const raw = span({ name: 'f', attributes: { ...action('flow', 'f'), 'genkit:metadata:context': j({ user: CANARY }) } });
    expect(toJson(redactSpan(raw, { hasher }))).not.toContain(CANARY);
  });

  it('the flow of a step comes from the first segment of its path', () => {
    expect(flowOfPath('/{supportAgent,t:flow}/{generate,t:util}')).toBe('supportAgent');
    expect(flowOfPath('/{supportAgent,t:flow}')).toBe('supportAgent');
    expect(flowOfPath('/{generate,t:util}/{m,t:action,s:model}')).toBeNull();
  });
});
