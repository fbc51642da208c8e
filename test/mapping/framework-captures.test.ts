import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createHasher, mapSpan, redactSpan, type MappedSpan, type RunEvent } from '../../src/mapping/index.js';
import { decodeExport } from '../../src/otlp/index.js';
import type { OtlpSpan } from '../../src/otlp/model.js';
import { assembleRun } from '../../src/runs/assemble.js';
import { toJson, withoutContentFacts } from './helpers.js';

/**
 * The framework captures (test/fixtures/framework-captures, written by test/frameworks/capture.ts from the real
 * packages): the `failing` scenario — the model asks for charge_card three times, it throws each time, then the model
 * answers. Every content value carries CANARY_FIXTURE.
 */
const CANARY = 'CANARY_FIXTURE';
const hasher = createHasher();
const d = (t: string): string => hasher.digest(t);
const PROMPT = `[scenario:failing] help me please ${CANARY}`;
const SYSTEM = `You are a support agent. ${CANARY}`;
const ANSWER = `The card could not be charged. ${CANARY}`;
const ERROR = `charge_card failed: card declined ${CANARY}`;
const ARGS = (i: number) => JSON.stringify({ query: `${CANARY} charge_card #${i}` });
const TOOLS = ['charge_card', 'get_weather', 'lookup_order', 'search_docs', 'send_email', 'translate_text'];

function load(name: string): OtlpSpan[] {
  const decoded = decodeExport(readFileSync(new URL(`../fixtures/framework-captures/${name}.json`, import.meta.url)), 'json');
  expect(decoded.rejectedSpans).toBe(0);
  return decoded.spans;
}

function assemble(spans: MappedSpan[]) {
  return assembleRun(
    spans.map((span) => ({ span })),
    { runId: spans[0].trace_id, agentId: 'a', status: 'completed' },
  );
}

/** The run as (step, event, tool or finish reason, outcome) tuples. */
function outline(events: RunEvent[]): string[] {
  return events.map((e) => {
    switch (e.event_type) {
      case 'llm.responded':
        return `${e.step_index} llm.responded ${e.payload.finish_reason} [${e.payload.tool_calls.map((c) => c.name).join(',')}]`;
      case 'tool.called':
        return `${e.step_index} tool.called ${e.payload.tool_name}`;
      case 'tool.responded':
        return `${e.step_index} tool.responded ${e.payload.tool_name} ${e.payload.success ? 'ok' : 'failed'}`;
      case 'run.completed':
        return `${e.step_index} run.completed ${e.payload.exit_reason}`;
      default:
        return `${e.step_index} ${e.event_type}`;
    }
  });
}

const FAILING_OUTLINE = (finishOnTools: string) => [
  '0 run.started',
  '1 llm.called',
  `1 llm.responded ${finishOnTools} [charge_card]`,
  '2 tool.called charge_card',
  '2 tool.responded charge_card failed',
  '3 llm.called',
  `3 llm.responded ${finishOnTools} [charge_card]`,
  '4 tool.called charge_card',
  '4 tool.responded charge_card failed',
  '5 llm.called',
  `5 llm.responded ${finishOnTools} [charge_card]`,
  '6 tool.called charge_card',
  '6 tool.responded charge_card failed',
  '7 llm.called',
  '7 llm.responded stop []',
  '7 run.completed final_answer',
];

function sharedChecks(spans: OtlpSpan[], mapped: MappedSpan[]): void {
  // Nothing that reaches storage carries content.
  expect(toJson(mapped)).not.toContain(CANARY);
  // The in-process path: a redacted span maps exactly as the raw one, and carries no content.
  for (let i = 0; i < spans.length; i++) {
    const redacted = redactSpan(spans[i], { hasher });
    expect(toJson(redacted), spans[i].name).not.toContain(CANARY);
    expect(withoutContentFacts(mapSpan(redacted, { hasher })), spans[i].name).toEqual(mapped[i]);
  }
}

describe.each(['vercel-ai6', 'vercel-ai5'])('capture %s (generateText, experimental_telemetry)', (name) => {
  const spans = load(name);
  const mapped = spans.map((s) => withoutContentFacts(mapSpan(s, { hasher })));
  const run = assemble(mapped);
  const of = <T extends RunEvent['event_type']>(t: T) => run.events.filter((e): e is Extract<RunEvent, { event_type: T }> => e.event_type === t);
  const major = name === 'vercel-ai6' ? 6 : 5;

  it('doGenerate spans are LLM calls, ai.toolCall spans tool calls, ai.generateText the run', () => {
    expect(mapped.map((m) => `${m.name}:${m.category}`).sort()).toEqual([
      ...Array(4).fill('ai.generateText.doGenerate:llm'),
      'ai.generateText:workflow',
      ...Array(3).fill('ai.toolCall:tool'),
    ]);
    expect(outline(run.events)).toEqual(FAILING_OUTLINE('tool_calls'));
    expect(run.exit_reason).toBe('final_answer');
  });

  it('functionId names the agent; the root says it answered', () => {
    for (const m of mapped) expect([m.agent_id, m.agent_name]).toEqual([`support-agent-ai${major}`, `support-agent-ai${major}`]);
    const root = mapped.find((m) => m.parent_span_id === null);
    expect(root?.root).toEqual({ input_hash: d(PROMPT), input_length: PROMPT.length, output_hash: d(ANSWER), error_hash: null, answered: true });
    expect(of('run.started')[0].payload).toMatchObject({
      root_span_name: 'ai.generateText',
      system_prompt_hash: d(SYSTEM),
      model: 'scripted-model-1',
      tools: TOOLS,
    });
  });

  it('model calls: model, provider, tokens, offered tools, requested tool calls with hashed arguments', () => {
    const called = of('llm.called');
    expect(called.map((e) => e.payload.prompt_tokens)).toEqual([120, 160, 200, 240]);
    expect(called[0].payload).toMatchObject({ model: 'scripted-model-1', provider: 'scripted', operation: 'chat', tools_offered: TOOLS });
    const responded = of('llm.responded');
    expect(responded.map((e) => [e.payload.completion_tokens, e.payload.total_tokens])).toEqual([
      [18, 138],
      [18, 178],
      [18, 218],
      [42, 282],
    ]);
    expect(responded[0].payload.tool_calls).toEqual([{ name: 'charge_card', args_hash: d(ARGS(1)) }]);
    expect(responded[3].payload).toMatchObject({ output_hash: d(ANSWER), output_length: ANSWER.length, output_length_source: 'content' });
  });

  it('tool calls: name, call id, hashed arguments, the error as a digest', () => {
    const called = of('tool.called');
    expect(called.map((e) => e.payload)).toEqual(
      [1, 2, 3].map((i) => ({ tool_name: 'charge_card', tool_call_id: `call_${i - 1}_0`, args_hash: d(ARGS(i)), args_length: ARGS(i).length })),
    );
    for (const e of of('tool.responded')) {
      expect(e.payload).toMatchObject({ tool_name: 'charge_card', success: false, output_hash: null, error_type: 'Error', error_hash: d(ERROR) });
    }
  });

  it("exit_reason is the root's own word: the same whichever LLM span was judged last (the issue's flip)", () => {
    // The final model call arriving after the run was judged (a late span), or missing: still a final answer.
    const lastLlm = [...mapped].filter((m) => m.category === 'llm').sort((a, b) => b.start_time - a.start_time)[0];
    const late = assembleRun(
      mapped.map((span) => ({ span, late: span === lastLlm })),
      { runId: mapped[0].trace_id, agentId: 'a', status: 'completed' },
    );
    expect(late.exit_reason).toBe('final_answer');
    // Without the root's word the last judged LLM response (tool calls) would have decided: completed.
    const withoutRoot = assembleRun(
      mapped.map((span) => ({ span: span.root ? { ...span, root: { ...span.root, answered: undefined } } : span, late: span === lastLlm })),
      { runId: mapped[0].trace_id, agentId: 'a', status: 'completed' },
    );
    expect(withoutRoot.exit_reason).toBe('completed');
    // A step limit hit on tool calls is no answer: the SDK call's finish reason is tool-calls.
    const root = spans.find((x) => x.parentSpanId === '');
    if (!root) throw new Error('no root');
    const cut = withoutContentFacts(mapSpan({ ...root, attributes: { ...root.attributes, 'ai.response.finishReason': 'tool-calls' } }, { hasher }));
    expect(cut.root?.answered).toBe(false);
  });

  it('maps the same from a redacted span, and nothing stored or exported carries content', () => sharedChecks(spans, mapped));
});

describe('capture genkit (flow, ai.generate with tools, the turn retried on a tool error)', () => {
  const spans = load('genkit');
  const mapped = spans.map((s) => withoutContentFacts(mapSpan(s, { hasher })));
  const run = assemble(mapped);
  const of = <T extends RunEvent['event_type']>(t: T) => run.events.filter((e): e is Extract<RunEvent, { event_type: T }> => e.event_type === t);

  it('model actions are LLM calls, tool actions tool calls, generate steps structure, the flow the run', () => {
    expect(mapped.map((m) => `${m.name}:${m.category}:${m.status}`).sort()).toEqual([
      ...Array(3).fill('charge_card:tool:error'),
      ...Array(3).fill('generate:task:error'),
      'generate:task:unset',
      ...Array(4).fill('scripted/support-model:llm:unset'),
      'supportAgent:workflow:unset',
    ]);
    // Genkit models report `stop` beside their tool requests (as Gemini does): the requests tell the steps apart.
    expect(outline(run.events)).toEqual(FAILING_OUTLINE('stop'));
    expect(run.exit_reason).toBe('final_answer');
  });

  it('the flow names the agent and holds the question and the answer', () => {
    for (const m of mapped) expect([m.agent_id, m.agent_name]).toEqual(['supportAgent', 'supportAgent']);
    const root = mapped.find((m) => m.parent_span_id === null);
    expect(root?.root).toEqual({ input_hash: d(PROMPT), input_length: PROMPT.length, output_hash: d(ANSWER), error_hash: null, answered: true });
    expect(of('run.started')[0].payload).toMatchObject({ root_span_name: 'supportAgent', system_prompt_hash: d(SYSTEM), model: 'support-model', tools: TOOLS });
  });

  it('model calls: model and provider from the action name, tokens and finish reason from genkit:output', () => {
    const called = of('llm.called');
    expect(called.map((e) => e.payload.prompt_tokens)).toEqual([120, 160, 200, 240]);
    expect(called[0].payload).toMatchObject({ model: 'support-model', provider: 'scripted', tools_offered: TOOLS });
    const responded = of('llm.responded');
    expect(responded.map((e) => [e.payload.completion_tokens, e.payload.total_tokens, e.payload.finish_reason])).toEqual([
      [18, 138, 'stop'],
      [18, 178, 'stop'],
      [18, 218, 'stop'],
      [42, 282, 'stop'],
    ]);
    expect(responded[0].payload.tool_calls).toEqual([{ name: 'charge_card', args_hash: d(ARGS(1)) }]);
    expect(responded[3].payload).toMatchObject({ output_hash: d(ANSWER), output_length: ANSWER.length, tool_calls: [] });
  });

  it('tool calls: hashed arguments, errors from the span status', () => {
    expect(of('tool.called').map((e) => e.payload)).toEqual(
      [1, 2, 3].map((i) => ({ tool_name: 'charge_card', tool_call_id: null, args_hash: d(ARGS(i)), args_length: ARGS(i).length })),
    );
    for (const e of of('tool.responded')) {
      expect(e.payload).toMatchObject({ tool_name: 'charge_card', success: false, output_hash: null, error_type: 'Error', error_hash: d(ERROR) });
    }
  });

  it('maps the same from a redacted span, and nothing stored or exported carries content', () => sharedChecks(spans, mapped));
});
