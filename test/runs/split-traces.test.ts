import { describe, expect, it } from 'vitest';
import type { OtlpSpan } from '../../src/otlp/model.js';
import { prepareUnits } from '../../src/pipeline/prepare-units.js';
import type { IngestUnit } from '../../src/pipeline/types.js';
import { groupSplitTraces, SPLITTING_SCOPES } from '../../src/runs/split-traces.js';
import { span } from '../mapping/helpers.js';

/**
 * Item 2: OpenLLMetry's LangChain spans without withWorkflow, each its own trace, adopted by the invocation whose
 * outermost chain span contains them in time — only when exactly one does.
 */
const LC = '@traceloop/instrumentation-langchain';
let n = 0;
const tid = () => (++n).toString(16).padStart(32, 'a');

/** A parentless span of its own trace, as OpenLLMetry's LangChain instrumentation sends it without a wrapper. */
function lone(name: string, startMs: number, endMs: number, o: { op?: string; scope?: string; service?: string } = {}): OtlpSpan {
  const s = span({
    name,
    parentSpanId: '',
    startMs,
    endMs,
    attributes: { 'gen_ai.operation.name': o.op ?? (name.startsWith('chat') ? 'chat' : name.startsWith('execute_tool') ? 'execute_tool' : 'workflow') },
    resource: { 'service.name': o.service ?? 'lc-app' },
  });
  return { ...s, traceId: tid(), scope: { name: o.scope ?? LC, version: '0.27.0' } };
}

/** One invocation: the graph span around a model call, a tool call and a chain step. */
function invocation(at: number, service = 'lc-app') {
  const graph = lone('workflow CompiledStateGraph', at, at + 1000, { service });
  const llm = lone('chat gpt-4o-mini', at + 10, at + 200, { service });
  const tool = lone('execute_tool DynamicStructuredTool', at + 210, at + 220, { service });
  const step = lone('workflow RunnableSequence', at + 5, at + 205, { service });
  return { graph, llm, tool, step, all: [graph, llm, tool, step] };
}

const adoptedBy = (s: OtlpSpan, graph: OtlpSpan) => ({ ...s, traceId: graph.traceId, parentSpanId: graph.spanId });

describe('groupSplitTraces', () => {
  it('one invocation: every span is adopted by the graph span (its trace, its child), with one diagnosis naming the wrapper', () => {
    const { graph, llm, tool, step, all } = invocation(0);
    const r = groupSplitTraces(all);
    expect(r.spans).toEqual([graph, adoptedBy(llm, graph), adoptedBy(tool, graph), adoptedBy(step, graph)]);
    expect(r.spans[0]).toBe(graph);
    expect(r.diagnoses).toEqual([{ service: 'lc-app', scope: LC, spans: 4, grouped: 3, ungrouped: 0, advice: SPLITTING_SCOPES.get(LC) }]);
    expect(r.diagnoses[0].advice).toContain('traceloop.withWorkflow');
  });

  it('two invocations one after the other: each keeps its own spans', () => {
    const a = invocation(0);
    const b = invocation(2000);
    const r = groupSplitTraces([...a.all, ...b.all]);
    expect(r.spans).toEqual([
      a.graph,
      adoptedBy(a.llm, a.graph),
      adoptedBy(a.tool, a.graph),
      adoptedBy(a.step, a.graph),
      b.graph,
      adoptedBy(b.llm, b.graph),
      adoptedBy(b.tool, b.graph),
      adoptedBy(b.step, b.graph),
    ]);
    expect(r.diagnoses[0]).toMatchObject({ spans: 8, grouped: 6, ungrouped: 0 });
  });

  it('overlapping invocations of one service: a span inside both is never guessed; one inside only one is adopted', () => {
    const a = invocation(0);
    const b = invocation(500); // b's graph runs 500..1500: a's spans at 10..220 lie in a only; b's at 505..720 in both
    const r = groupSplitTraces([...a.all, ...b.all]);
    expect(r.spans.slice(0, 4)).toEqual([a.graph, adoptedBy(a.llm, a.graph), adoptedBy(a.tool, a.graph), adoptedBy(a.step, a.graph)]);
    expect(r.spans.slice(4)).toEqual(b.all);
    expect(r.diagnoses[0]).toMatchObject({ spans: 8, grouped: 3, ungrouped: 3 });
  });

  it('a span whose graph span is in another export stays as it came, and is counted', () => {
    const { llm, tool } = invocation(0);
    const r = groupSplitTraces([llm, tool]);
    expect(r.spans).toEqual([llm, tool]);
    expect(r.diagnoses[0]).toMatchObject({ spans: 2, grouped: 0, ungrouped: 2 });
  });

  it('services are never mixed', () => {
    const a = invocation(0, 'app-a');
    const stray = lone('chat gpt-4o-mini', 10, 200, { service: 'app-b' });
    const r = groupSplitTraces([...a.all, stray]);
    expect(r.spans[4]).toBe(stray);
    expect(r.diagnoses.map((x) => [x.service, x.spans, x.grouped])).toEqual([
      ['app-a', 4, 3],
      ['app-b', 1, 0],
    ]);
  });

  it('spans of other scopes, and spans that have a parent, are not touched: same array, no diagnosis', () => {
    const other = lone('chat gpt-4o-mini', 10, 200, { scope: '@traceloop/instrumentation-openai' });
    const child = { ...lone('chat gpt-4o-mini', 10, 200), parentSpanId: 'b7ad6b7169203331' };
    const input = [lone('workflow CompiledStateGraph', 0, 1000, { scope: 'other' }), other, child];
    const r = groupSplitTraces(input);
    expect(r.spans).toBe(input);
    expect(r.diagnoses).toEqual([]);
  });

  it('a chain span nested in the graph span is adopted like any other, not taken for a second invocation', () => {
    const { graph, step, all } = invocation(0);
    const inner = lone('workflow RunnableLambda', 6, 100);
    const r = groupSplitTraces([...all, inner]);
    expect(r.spans[3]).toEqual(adoptedBy(step, graph));
    expect(r.spans[4]).toEqual(adoptedBy(inner, graph));
  });
});

describe('prepareUnits (the pipeline step before mapping)', () => {
  const unit = (customerId: string, s: OtlpSpan): IngestUnit => ({ kind: 'otlp_span', customerId, keyAgentId: null, span: s });

  it('groups per customer: one customer never adopts another customer’s spans', () => {
    const a = invocation(0);
    const theirs = lone('chat gpt-4o-mini', 10, 200);
    const units = [...a.all.map((s) => unit('c1', s)), unit('c2', theirs)];
    const r = prepareUnits(units);
    expect(r.units.map((u) => [u.customerId, u.kind === 'otlp_span' ? u.span.traceId : null])).toEqual([
      ['c1', a.graph.traceId],
      ['c1', a.graph.traceId],
      ['c1', a.graph.traceId],
      ['c1', a.graph.traceId],
      ['c2', theirs.traceId],
    ]);
    expect(r.units[4]).toBe(units[4]);
    expect(r.diagnoses.map((d) => [d.spans, d.grouped])).toEqual([
      [4, 3],
      [1, 0],
    ]);
  });
});
