import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createHasher, mapSpan, type MappedSpan } from '../../src/mapping/index.js';
import type { RunIngestHealth } from '../../src/model/index.js';
import { decodeExport } from '../../src/otlp/index.js';
import type { Attributes, OtlpSpan } from '../../src/otlp/model.js';
import { assembleRun } from '../../src/runs/assemble.js';
import { agentIngestHealth, hasGaps, runIngestHealth, summarise } from '../../src/runs/ingest-health.js';
import { ROOT_ID, span } from '../mapping/helpers.js';

/** "Accepted but not understood": what the mapping marks on a span, one run's health, an agent's report and advice. */

const hasher = createHasher();
const CANARY = 'CANARY_HEALTH_91c2';
const map = (s: OtlpSpan): MappedSpan => mapSpan(s, { hasher });
const inScope = (s: OtlpSpan, scope: string): OtlpSpan => ({ ...s, scope: { name: scope, version: '1' } });
const root = (attrs: Attributes = { 'traceloop.span.kind': 'workflow' }, name = 'agent.workflow') =>
  span({ name, spanId: ROOT_ID, parentSpanId: '', attributes: attrs, endMs: 5000 });
const chat = (tokens = true, parent?: string) =>
  span({
    name: 'chat gpt-4o',
    parentSpanId: parent,
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o',
      ...(tokens ? { 'gen_ai.usage.input_tokens': 10, 'gen_ai.usage.output_tokens': 3 } : {}),
    },
  });

function health(spans: OtlpSpan[]): RunIngestHealth {
  const mapped = spans.map(map);
  const run = assembleRun(
    mapped.map((s) => ({ span: s })),
    { runId: mapped[0].trace_id, agentId: 'a', status: 'completed' },
  );
  return runIngestHealth(mapped, run);
}

describe('the gaps mapSpan marks', () => {
  it('an unknown child span: unclassified, with its scope; no attribute value kept', () => {
    const m = map(inScope(span({ name: 'my.custom.step', attributes: { 'custom.payload': CANARY } }), 'acme-instrumentation'));
    expect(m.category).toBe('other');
    expect(m.gaps).toEqual({ scope: 'acme-instrumentation', unclassified: true });
    expect(JSON.stringify(m)).not.toContain(CANARY);
  });

  it('a framework dialect span it does not understand (Vercel AI ai.foo) is unclassified, whatever its name says', () => {
    const m = map(inScope(span({ name: 'ai.foo.tool', attributes: { 'ai.operationId': 'ai.foo' } }), 'ai'));
    expect(m.gaps).toEqual({ scope: 'ai', unclassified: true });
  });

  it('understood spans, explicit non-steps (embeddings) and a plain root carry no gaps', () => {
    expect(map(chat()).gaps).toBeUndefined();
    expect(map(span({ name: 'embeddings text-embedding-3', attributes: { 'gen_ai.operation.name': 'embeddings' } })).gaps).toBeUndefined();
    expect(map(span({ name: 'embeddings text-embedding-3' })).gaps).toBeUndefined();
    expect(map(root({}, 'POST /chat')).gaps).toBeUndefined();
    expect(map(span({ name: 'execute_tool search', attributes: { 'gen_ai.operation.name': 'execute_tool' } })).gaps).toBeUndefined();
    // OpenInference names a tool span after its tool.
    expect(map(span({ name: 'search', attributes: { 'openinference.span.kind': 'TOOL' } })).gaps).toBeUndefined();
  });

  it('a tool span without a tool name is an unnamed tool', () => {
    const m = map(span({ name: 'DynamicTool', attributes: { 'gen_ai.operation.name': 'execute_tool' } }));
    expect(m.category).toBe('tool');
    expect(m.gaps).toEqual({ scope: 'test', unnamed_tool: true });
  });

  it('a root that is itself one LLM call is a step root', () => {
    expect(map(chat(true, '')).gaps).toEqual({ scope: 'test', step_root: true });
  });
});

describe('runIngestHealth', () => {
  it('counts unclassified spans by name and scope, LLM calls without tokens, unnamed tools and broken parents', () => {
    const h = health([
      root(),
      chat(true),
      chat(false),
      inScope(span({ name: 'ai.foo', attributes: { 'ai.operationId': 'ai.foo' } }), 'ai'),
      inScope(span({ name: 'ai.foo', attributes: { 'ai.operationId': 'ai.foo' } }), 'ai'),
      inScope(span({ name: 'ai.bar', attributes: { 'ai.operationId': 'ai.bar' } }), 'ai'),
      span({ name: 'Tool', attributes: { 'gen_ai.operation.name': 'execute_tool' } }),
      span({ name: 'execute_tool lookup', attributes: { 'gen_ai.operation.name': 'execute_tool' }, parentSpanId: 'dddddddddddddddd' }),
    ]);
    expect(h).toEqual({
      spans: 8,
      unclassified_spans: 3,
      unclassified: [
        { name: 'ai.foo', scope: 'ai', count: 2 },
        { name: 'ai.bar', scope: 'ai', count: 1 },
      ],
      llm_calls: 2,
      llm_calls_without_tokens: 1,
      tool_calls: 2,
      unnamed_tool_calls: 1,
      unnamed_tools: [{ name: 'Tool', scope: 'test', count: 1 }],
      broken_parents: 1,
      step_root_scope: null,
    });
    expect(hasGaps(h)).toBe(true);
  });

  it('keeps the ten most frequent names and counts the rest', () => {
    const spans = [root()];
    for (let i = 0; i < 15; i++) for (let k = 0; k <= i; k++) spans.push(span({ name: `unknown.${String(i).padStart(2, '0')}` }));
    const h = health(spans);
    expect(h.unclassified_spans).toBe(120);
    expect(h.unclassified.map((n) => n.name)).toEqual(Array.from({ length: 10 }, (_, i) => `unknown.${String(14 - i).padStart(2, '0')}`));
  });

  it('a clean run has no gaps; a run of LLM calls none of which has tokens has', () => {
    expect(hasGaps(health([root(), chat()]))).toBe(false);
    const noTokens = health([root(), chat(false), chat(false)]);
    expect(noTokens.llm_calls_without_tokens).toBe(2);
    expect(hasGaps(noTokens)).toBe(true);
  });

  // The real emitters' captures (test/fixtures, recorded from the real packages) are understood: nothing unclassified.
  const captures = [
    'vercel-ai5',
    'vercel-ai6',
    'genkit',
    'langchain-openinference',
    'langchain-openllmetry',
    'openai-openinference',
    'openai-otel',
    'anthropic-openllmetry',
  ];
  it.each(captures)('framework capture %s: no unclassified span, no broken parent, tokens on every LLM call', (name) => {
    const decoded = decodeExport(readFileSync(new URL(`../fixtures/framework-captures/${name}.json`, import.meta.url)), 'json');
    const h = health(decoded.spans);
    expect(h).toMatchObject({ unclassified_spans: 0, broken_parents: 0, llm_calls_without_tokens: 0, step_root_scope: null });
    expect(h.llm_calls).toBeGreaterThan(0);
    // OpenLLMetry's LangChain tool spans are named after their class: reported as unnamed.
    expect(h.unnamed_tools).toEqual(
      name === 'langchain-openllmetry' ? [{ name: 'execute_tool DynamicStructuredTool', scope: '@traceloop/instrumentation-langchain', count: 3 }] : [],
    );
  });
});

describe('the agent report and its advice', () => {
  const gaps = (o: Partial<RunIngestHealth>): RunIngestHealth => ({
    spans: 4,
    unclassified_spans: 0,
    unclassified: [],
    llm_calls: 1,
    llm_calls_without_tokens: 0,
    tool_calls: 0,
    unnamed_tool_calls: 0,
    unnamed_tools: [],
    broken_parents: 0,
    step_root_scope: null,
    ...o,
  });

  it('merges the runs’ names and counts, and advises per finding', () => {
    const r = agentIngestHealth('vercel-ai-agent', 5, [
      gaps({ unclassified_spans: 40, unclassified: [{ name: 'ai.foo', scope: 'ai', count: 40 }] }),
      gaps({
        unclassified_spans: 3,
        unclassified: [
          { name: 'ai.bar', scope: 'ai', count: 2 },
          { name: 'GET', scope: '@opentelemetry/instrumentation-undici', count: 1 },
        ],
      }),
      gaps({ llm_calls: 2, llm_calls_without_tokens: 2 }),
    ]);
    expect(r).toMatchObject({ agent_id: 'vercel-ai-agent', runs_checked: 5, runs_with_gaps: 3, unclassified_spans: 43, runs_llm_without_tokens: 1 });
    expect(r.unclassified).toEqual([
      { name: 'ai.foo', scope: 'ai', count: 40 },
      { name: 'ai.bar', scope: 'ai', count: 2 },
      { name: 'GET', scope: '@opentelemetry/instrumentation-undici', count: 1 },
    ]);
    expect(r.advice.map((a) => [a.code, a.scope])).toEqual([
      ['unclassified', 'ai'],
      ['unclassified', '@opentelemetry/instrumentation-undici'],
      ['llm_without_tokens', null],
    ]);
    expect(r.advice[0].message).toMatch(/^42 span\(s\) from ai were not recognised \(ai\.foo \(40\), ai\.bar \(2\)\): Vercel AI SDK/);
    expect(r.advice[1].message).toContain('infrastructure spans');
    expect(r.advice[2].message).toContain('include_usage');
  });

  it('OpenLLMetry LangChain without a workflow wrapper: names the wrapper to add', () => {
    const scope = '@traceloop/instrumentation-langchain';
    const r = agentIngestHealth('lc', 3, [gaps({ spans: 1, step_root_scope: scope }), gaps({ spans: 1, step_root_scope: scope })]);
    expect(r.step_root_runs).toBe(2);
    expect(r.step_root_scopes).toEqual([{ name: scope, scope, count: 2 }]);
    expect(r.advice).toHaveLength(1);
    expect(r.advice[0]).toMatchObject({ code: 'step_root', scope });
    expect(r.advice[0].message).toContain('traceloop.withWorkflow');
  });

  it('an unknown scope points to the support matrix; runs without steps get the Vercel telemetry switch', () => {
    const r = agentIngestHealth('x', 1, [gaps({ llm_calls: 0, unclassified_spans: 2, unclassified: [{ name: 'do.thing', scope: 'acme-tracer', count: 2 }] })]);
    expect(r.advice.map((a) => a.code)).toEqual(['unclassified', 'no_steps']);
    expect(r.advice[0].message).toContain('docs/support-matrix.md');
    expect(r.advice[1].message).toContain('experimental_telemetry: { isEnabled: true }');
  });

  it('summarise ignores rows without gaps and counts each finding once per run', () => {
    expect(summarise(2, [gaps({})])).toMatchObject({ runs_checked: 2, runs_with_gaps: 0 });
    expect(summarise(3, [gaps({ broken_parents: 2 }), gaps({ broken_parents: 1, unnamed_tool_calls: 4 })])).toEqual({
      runs_checked: 3,
      runs_with_gaps: 2,
      unclassified_spans: 0,
      runs_llm_without_tokens: 0,
      runs_without_steps: 0,
      unnamed_tool_calls: 4,
      broken_parents: 3,
      step_root_runs: 0,
    });
  });
});
