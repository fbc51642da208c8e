/** Where the mapping core puts HANDOFF_CONTEXT_LOSS's facts: parent texts (root input, LLM reply, tool result) and the child's input. */
import { describe, expect, it } from 'vitest';
import { createHasher } from '../../src/mapping/hash.js';
import { mapSpan } from '../../src/mapping/map-span.js';
import { createFactSecret } from '../../src/mapping/facts/index.js';
import { ROOT_ID, TRACE_ID, span } from './helpers.js';

const hasher = createHasher();
const facts = createFactSecret(Buffer.from('handoff-facts'));
const keyer = facts.forRun(TRACE_ID);
const map = (s: ReturnType<typeof span>) => mapSpan(s, { hasher, facts });
const j = (v: unknown) => JSON.stringify(v);
const payload = (m: ReturnType<typeof map>, type: string) => m.events.find((e) => e.event_type === type)?.payload as Record<string, unknown> | undefined;

describe('hand-off facts in the mapping core', () => {
  it('the root input, a tool result and an LLM reply carry their code-point length and entity digests', () => {
    const root = map(
      span({
        name: 'support.workflow',
        spanId: ROOT_ID,
        parentSpanId: '',
        attributes: { 'traceloop.span.kind': 'workflow', 'traceloop.entity.input': 'Order 48213 ✓' },
      }),
    );
    expect(root.root?.handoff_text).toEqual({ length: 13, entities: { key: keyer.keyId, digests: [keyer.digest('48213')], truncated: false } });

    const tool = map(
      span({
        name: 'execute_tool lookup',
        attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'lookup', 'gen_ai.tool.call.result': 'mail bob@corp.example' },
      }),
    );
    expect(payload(tool, 'tool.responded')?.handoff_text).toEqual({
      length: 21,
      entities: { key: keyer.keyId, digests: [keyer.digest('bob@corp.example')], truncated: false },
    });

    const chat = map(
      span({
        name: 'chat gpt-4o',
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.input.messages': j([{ role: 'user', parts: [{ type: 'text', content: 'id 777?' }] }]),
          'gen_ai.output.messages': j([{ role: 'assistant', parts: [{ type: 'text', content: 'It is 777.' }] }]),
        },
      }),
    );
    expect(payload(chat, 'llm.responded')?.handoff_text).toMatchObject({ length: 10, entities: { digests: [keyer.digest('777')] } });
    // The prompt is not parent context on its own (it is the root input or earlier outputs again).
    expect(payload(chat, 'llm.called')?.handoff_text).toBeUndefined();
  });

  it("a nested agent span's input becomes handoff_input on agent.invoked; a root agent span's does not", () => {
    const input = j([{ role: 'user', parts: [{ type: 'text', content: 'Refund (order 48213).' }] }]);
    const nested = map(
      span({
        name: 'invoke_agent refunds',
        attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'refunds', 'gen_ai.input.messages': input },
      }),
    );
    const signal = payload(nested, 'external.signal') as { handoff_input?: { length: number; tokens: { digests: string[] } } };
    expect(signal.handoff_input?.length).toBe(21);
    expect(signal.handoff_input?.tokens.digests).toContain(keyer.digest('48213'));
    const root = map(
      span({
        name: 'invoke_agent refunds',
        spanId: ROOT_ID,
        parentSpanId: '',
        attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.input.messages': input },
      }),
    );
    expect(root.events.some((e) => e.event_type === 'external.signal')).toBe(false);
    // Not captured: no fact (unknown), never an empty one.
    const bare = map(span({ name: 'invoke_agent refunds', attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'refunds' } }));
    expect((payload(bare, 'external.signal') as { handoff_input?: unknown }).handoff_input).toBeUndefined();
  });
});
