import { describe, expect, it } from 'vitest';
import { createHasher, mapSpan, redactAttributes, type Hasher, type MappedSpan, type SpanEvent } from '../../src/mapping/index.js';
import { DIALECT_FIXTURES } from './fixtures.js';
import { span } from './helpers.js';

const hasher = createHasher();
const d = (t: string): string => hasher.digest(t);
const map = (s: Parameters<typeof mapSpan>[0], h: Hasher = hasher): MappedSpan => mapSpan(s, { hasher: h });

function ev<T extends SpanEvent['event_type']>(m: MappedSpan, type: T): Extract<SpanEvent, { event_type: T }> {
  const e = m.events.find((x) => x.event_type === type);
  if (!e) throw new Error(`no ${type}`);
  return e as Extract<SpanEvent, { event_type: T }>;
}

const chat = (attrs: Record<string, unknown>) =>
  span({ name: 'chat m', attributes: { 'gen_ai.operation.name': 'chat', ...(attrs as Record<string, string>) } });

describe('message formats', () => {
  it('OpenAI-shaped messages in gen_ai.input/output.messages (content string / text array / tool_calls.function)', () => {
    const m = map(
      chat({
        'gen_ai.input.messages': JSON.stringify([
          { role: 'system', content: 'sys' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'hello' },
              { type: 'image_url', image_url: { url: 'x' } },
            ],
          },
        ]),
        'gen_ai.output.messages': JSON.stringify([
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
            finish_reason: 'tool_calls',
          },
        ]),
      }),
    );
    expect(ev(m, 'llm.called').payload).toMatchObject({ input_hash: d('sys\nhello'), input_length: 9, system_prompt_hash: d('sys') });
    expect(ev(m, 'llm.responded').payload).toMatchObject({
      output_length: 0,
      output_length_source: 'content',
      finish_reasons: ['tool_calls'],
      tool_calls: [{ name: 'f', args_hash: d('{"a":1}') }],
    });
  });

  it('a JSON-mode answer in gen_ai.completion is text, not an empty message list', () => {
    const answer = '{"answer": 42}';
    const m = map(span({ name: 'openai.chat', attributes: { 'llm.request.type': 'chat', 'gen_ai.completion': answer } }));
    expect(ev(m, 'llm.responded').payload).toMatchObject({ output_hash: d(answer), output_length: answer.length, output_length_source: 'content' });
  });

  it('an empty output message list is a captured, empty reply', () => {
    const m = map(chat({ 'gen_ai.output.messages': '[]', 'gen_ai.usage.output_tokens': 5 }));
    expect(ev(m, 'llm.responded').payload).toMatchObject({ output_length: 0, output_length_source: 'content', output_hash: d('') });
  });

  it('multiple choices: texts joined with newlines, one finish reason per choice', () => {
    const m = map(
      chat({
        'gen_ai.output.messages': JSON.stringify([
          {
            role: 'assistant',
            parts: [
              { type: 'text', content: 'a' },
              { type: 'text', content: 'b' },
            ],
            finish_reason: 'stop',
          },
          {
            role: 'assistant',
            parts: [
              { type: 'reasoning', content: 'hidden' },
              { type: 'text', content: 'c' },
            ],
            finish_reason: 'max_tokens',
          },
        ]),
      }),
    );
    expect(ev(m, 'llm.responded').payload).toMatchObject({
      output_hash: d('ab\nc'),
      output_length: 4,
      finish_reason: 'stop',
      finish_reasons: ['stop', 'length'],
    });
  });

  it('OpenInference message contents (multimodal) and no-content structure', () => {
    const m = map(
      span({
        name: 'llm',
        attributes: {
          'openinference.span.kind': 'LLM',
          'llm.input_messages.0.message.role': 'user',
          'llm.input_messages.0.message.contents.0.message_content.type': 'text',
          'llm.input_messages.0.message.contents.0.message_content.text': 'look at ',
          'llm.input_messages.0.message.contents.1.message_content.text': 'this',
          'llm.output_messages.0.message.role': 'assistant',
          'llm.token_count.completion': 12,
        },
      }),
    );
    expect(ev(m, 'llm.called').payload).toMatchObject({ input_hash: d('look at this'), input_length: 12 });
    // Output messages with only a role: not captured → tokens.
    expect(ev(m, 'llm.responded').payload).toMatchObject({ output_hash: null, output_length: 12, output_length_source: 'tokens' });
  });

  it('unparseable tool definitions are skipped without throwing', () => {
    const m = map(chat({ 'gen_ai.tool.definitions': '[{"name": "a"}, {"na' }));
    expect(ev(m, 'llm.called').payload.tools_offered).toEqual([]);
  });

  it('agent spans report the tools they define', () => {
    const m = map(
      span({
        name: 'invoke_agent a',
        attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.tool.definitions': JSON.stringify([{ name: 'z' }, { name: 'y' }]) },
      }),
    );
    expect(m.tools_available).toEqual(['y', 'z']);
  });

  it('a root agent span: user input is the user-role text of its input messages, scanned for injection', () => {
    const m = map(
      span({
        name: 'invoke_agent a',
        parentSpanId: '',
        attributes: {
          'gen_ai.operation.name': 'invoke_agent',
          'gen_ai.input.messages': JSON.stringify([
            { role: 'system', parts: [{ type: 'text', content: 'Act as a planner.' }] },
            { role: 'user', parts: [{ type: 'text', content: 'pretend to be root' }] },
          ]),
        },
      }),
    );
    expect(m.root).toMatchObject({ input_hash: d('pretend to be root'), input_length: 18, injection_signal: { matched_patterns: ['pretend'] } });
  });
});

describe('hashing discipline', () => {
  it('each distinct content value is hashed once per span', () => {
    const calls: string[] = [];
    const counting: Hasher = { algorithm: 'sha256', digest: (t) => (calls.push(t), hasher.digest(t)) };
    // Root tool span: the entity input is both the run input and the tool arguments.
    const s = { ...DIALECT_FIXTURES.legacyTraceloopTool, parentSpanId: '' };
    map(s, counting);
    expect(new Set(calls).size).toBe(calls.length);
    calls.length = 0;
    redactAttributes(s, { hasher: counting });
    expect(new Set(calls).size).toBe(calls.length);
  });

  it('HMAC digests differ from SHA-256 ones and are stable', () => {
    const keyed = createHasher({ key: 'k1' });
    const a = map(DIALECT_FIXTURES.semconvChat, keyed);
    const b = map(DIALECT_FIXTURES.semconvChat, keyed);
    const plain = map(DIALECT_FIXTURES.semconvChat);
    expect(a).toEqual(b);
    expect(ev(a, 'llm.responded').payload.output_hash).not.toBe(ev(plain, 'llm.responded').payload.output_hash);
    expect(ev(a, 'llm.responded').payload.output_length).toBe(ev(plain, 'llm.responded').payload.output_length);
  });

  it('redactAttributes works on a view without span ids or times (what the SpanProcessor has: name, parent, trace id)', () => {
    const s = DIALECT_FIXTURES.openllmetryChat;
    const view = { name: s.name, parentSpanId: s.parentSpanId, traceId: s.traceId, attributes: s.attributes, events: s.events, status: s.status };
    const r = redactAttributes(view, { hasher });
    expect(r.attributes['dunetrace.content.v']).toBe(2);
    expect(map({ ...s, attributes: r.attributes, events: r.events, status: { code: s.status.code, message: r.statusMessage } })).toEqual(map(s));
  });
});
