import { describe, expect, it } from 'vitest';
import { createHasher, mapSpan, type MappedSpan } from '../../src/mapping/index.js';
import { assembleRun } from '../../src/runs/assemble.js';
import { dedupeNestedLlm } from '../../src/runs/nested-llm.js';
import { ROOT_ID, span } from '../mapping/helpers.js';

/** One model call seen by two instrumentations (an LLM span inside an LLM span) counts once. */
const hasher = createHasher();
const chat = (spanId: string, parent: string, startMs: number, endMs: number, finish: string): MappedSpan =>
  mapSpan(
    span({
      name: 'chat claude',
      spanId,
      parentSpanId: parent,
      startMs,
      endMs,
      attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'claude', 'gen_ai.response.finish_reasons': [finish] },
    }),
    { hasher },
  );
const root = mapSpan(
  span({ name: 'support.agent', spanId: ROOT_ID, parentSpanId: '', startMs: 0, endMs: 1000, attributes: { 'traceloop.span.kind': 'agent' } }),
  {
    hasher,
  },
);
const llmCalls = (spans: MappedSpan[]) => spans.flatMap((s) => s.events).filter((e) => e.event_type === 'llm.called').length;

describe('dedupeNestedLlm', () => {
  it('an LLM span with one LLM child: the outer one counts, the child keeps its span but not its events', () => {
    const outer = chat('00000000000000a1', ROOT_ID, 10, 100, 'tool_use');
    const inner = chat('00000000000000a2', outer.span_id, 11, 99, 'tool_use');
    const out = dedupeNestedLlm([root, outer, inner]);
    expect(out[1]).toBe(outer);
    expect(out[2]).toEqual({ ...inner, events: [] });
    expect(inner.events).toHaveLength(2); // never modified
    const run = assembleRun(
      out.map((s) => ({ span: s })),
      { runId: root.trace_id, agentId: 'a', status: 'completed' },
    );
    expect(run.events.filter((e) => e.event_type === 'llm.called').map((e) => e.span_id)).toEqual([outer.span_id]);
  });

  it('an LLM span with several LLM children (a router, a fallback): the children are the calls, the wrapper is not', () => {
    const wrapper = chat('00000000000000b1', ROOT_ID, 10, 300, 'stop');
    const first = chat('00000000000000b2', wrapper.span_id, 11, 100, 'error');
    const second = chat('00000000000000b3', wrapper.span_id, 101, 299, 'stop');
    const out = dedupeNestedLlm([root, wrapper, first, second]);
    expect(out).toEqual([root, { ...wrapper, events: [] }, first, second]);
    expect(llmCalls(out)).toBe(2);
  });

  it('sibling LLM calls, or one LLM span: unchanged (the same array)', () => {
    const spans = [root, chat('00000000000000c1', ROOT_ID, 10, 100, 'tool_calls'), chat('00000000000000c2', ROOT_ID, 110, 200, 'stop')];
    expect(dedupeNestedLlm(spans)).toBe(spans);
  });

  it('assembly applies it: a run of four calls each seen twice shows four calls', () => {
    const spans: MappedSpan[] = [root];
    for (let i = 0; i < 4; i++) {
      const outer = chat(`00000000000000d${i}`, ROOT_ID, 10 + i * 100, 90 + i * 100, i < 3 ? 'tool_use' : 'end_turn');
      spans.push(outer, chat(`00000000000000e${i}`, outer.span_id, 11 + i * 100, 89 + i * 100, i < 3 ? 'tool_use' : 'end_turn'));
    }
    const run = assembleRun(
      spans.map((s) => ({ span: s })),
      { runId: root.trace_id, agentId: 'a', status: 'completed' },
    );
    expect(run.events.filter((e) => e.event_type === 'llm.called')).toHaveLength(4);
    expect(run.step_count).toBe(4);
    expect(run.exit_reason).toBe('final_answer');
  });
});
