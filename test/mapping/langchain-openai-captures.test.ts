import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nameFailedTools } from '../../src/mapping/dialects/index.js';
import { createHasher, mapSpan, redactSpan, type RunEvent } from '../../src/mapping/index.js';
import { decodeExport } from '../../src/otlp/index.js';
import type { OtlpSpan } from '../../src/otlp/model.js';
import { assembleRun } from '../../src/runs/assemble.js';
import { toJson } from './helpers.js';

/**
 * The LangChain / openai / Anthropic captures (test/fixtures/framework-captures, written by
 * test/frameworks/capture-langchain-openai.ts from the real packages): the `failing` scenario — the model asks for
 * charge_card three times, it throws each time, then the model answers. Every content value carries CANARY_FIXTURE.
 * Each capture is read as the receiver reads an export (LangChain tools that threw named per export first), mapped,
 * assembled, and checked event by event; its redacted form (the SpanProcessor's output) must map the same.
 */
const CANARY = 'CANARY_FIXTURE';
const hasher = createHasher();
const d = (t: string): string => hasher.digest(t);
const PROMPT = `[scenario:failing] help me please ${CANARY}`;
const SYSTEM = `You are a support agent. ${CANARY}`;
const ERROR = `charge_card failed: card declined ${CANARY}`;
const ARGS = (i: number) => JSON.stringify({ query: `${CANARY} charge_card #${i}` });
const TOOLS = ['charge_card', 'get_weather', 'lookup_order', 'search_docs', 'send_email', 'translate_text'];
const HEX = /^[0-9a-f]{32}$/;

function load(name: string): OtlpSpan[] {
  const decoded = decodeExport(readFileSync(new URL(`../fixtures/framework-captures/${name}.json`, import.meta.url)), 'json');
  expect(decoded.rejectedSpans).toBe(0);
  return nameFailedTools(decoded.spans);
}

/** The run as (step, event, tool or finish reason, outcome) tuples. */
function outline(events: RunEvent[]): string[] {
  return events.map((e) => {
    switch (e.event_type) {
      case 'llm.responded':
        return `${e.step_index} llm.responded ${e.payload.finish_reason}`;
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

const FAILING = [
  '0 run.started',
  ...[1, 3, 5].flatMap((s) => [
    `${s} llm.called`,
    `${s} llm.responded tool_calls`,
    `${s + 1} tool.called charge_card`,
    `${s + 1} tool.responded charge_card failed`,
  ]),
  '7 llm.called',
  '7 llm.responded stop',
  '7 run.completed final_answer',
];

interface Expected {
  /** `span name:category` → count. */
  categories: Record<string, number>;
  root: string;
  agent: string | null;
  model: string;
  provider: string | null;
  promptTokens: number[];
  /** [completion, total] per call. */
  outputTokens: [number, number][];
  /** Length of each call's prompt text (null: the emitter records no prompt on spans). */
  inputLengths: (number | null)[];
  /** Each call's requested tools, as the LLM span says (empty: it does not say). */
  requested: string[];
  /** The tool arguments exactly as the span holds them. */
  args: (i: number) => string;
  toolCallIds: (string | null)[];
  errorType: string | null;
  /** The status message is exactly the error's message (OpenInference LangChain appends the stack). */
  errorIsMessage: boolean;
  system: boolean;
}

const PROMPT_LENGTHS = [88, 171, 254, 337];
const CASES: [string, Expected][] = [
  [
    'langchain-openllmetry',
    {
      categories: {
        'support-agent.workflow:workflow': 1,
        'workflow CompiledStateGraph:workflow': 1,
        'workflow RunnableSequence:workflow': 12,
        'workflow RunnableLambda:workflow': 8,
        'chat gpt-4o-mini:llm': 4,
        'execute_tool DynamicStructuredTool:tool': 3,
      },
      root: 'support-agent.workflow',
      agent: 'support-agent',
      model: 'gpt-4o-mini',
      provider: 'openai',
      promptTokens: [37, 122, 206, 291],
      outputTokens: [
        [18, 55],
        [18, 140],
        [18, 224],
        [12, 303],
      ],
      inputLengths: PROMPT_LENGTHS,
      requested: [],
      args: ARGS,
      toolCallIds: ['call_1_0', 'call_2_0', 'call_3_0'],
      errorType: 'Error',
      errorIsMessage: true,
      system: true,
    },
  ],
  [
    'langchain-openinference',
    {
      categories: {
        'LangGraph:workflow': 1,
        '__start__:workflow': 1,
        'agent:workflow': 4,
        'prompt:workflow': 4,
        'RunnableSequence:workflow': 4,
        'RunnableLambda:workflow': 4,
        'tools:workflow': 3,
        'ChatOpenAI:llm': 4,
        'charge_card:tool': 3,
      },
      root: 'LangGraph',
      agent: null,
      model: 'gpt-4o-mini',
      provider: null,
      promptTokens: [37, 122, 206, 291],
      outputTokens: [
        [18, 55],
        [18, 140],
        [18, 224],
        [12, 303],
      ],
      inputLengths: PROMPT_LENGTHS,
      requested: ['charge_card'],
      args: (i) => `${CANARY} charge_card #${i}`,
      toolCallIds: [null, null, null],
      errorType: null,
      errorIsMessage: false,
      system: true,
    },
  ],
  [
    'openai-openinference',
    {
      categories: { 'support-agent:agent': 1, 'OpenAI Chat Completions:llm': 4, 'charge_card:tool': 3 },
      root: 'support-agent',
      agent: 'support-agent',
      model: 'gpt-4o-mini',
      provider: 'openai',
      promptTokens: [37, 114, 190, 267],
      outputTokens: [
        [18, 55],
        [18, 132],
        [18, 208],
        [12, 279],
      ],
      inputLengths: [88, 144, 200, 256],
      requested: ['charge_card'],
      args: ARGS,
      toolCallIds: [null, null, null],
      errorType: 'Error',
      errorIsMessage: true,
      system: true,
    },
  ],
  [
    'openai-otel',
    {
      categories: { 'invoke_agent support-agent:agent': 1, 'chat gpt-4o-mini:llm': 4, 'execute_tool charge_card:tool': 3 },
      root: 'invoke_agent support-agent',
      agent: 'support-agent',
      model: 'gpt-4o-mini',
      provider: 'openai',
      promptTokens: [37, 114, 190, 267],
      outputTokens: [
        [18, 55],
        [18, 132],
        [18, 208],
        [12, 279],
      ],
      inputLengths: [null, null, null, null],
      requested: [],
      args: ARGS,
      toolCallIds: ['call_1_0', 'call_2_0', 'call_3_0'],
      errorType: 'Error',
      errorIsMessage: true,
      system: false,
    },
  ],
  [
    'anthropic-openllmetry',
    {
      categories: {
        'support-agent.agent:agent': 1,
        'chat claude-sonnet-4-5:llm': 4,
        // The SDK's own span of the same call, under OpenLLMetry's: kept, counted once (runs/nested-llm.ts).
        'anthropic.messages.create:llm': 4,
        'charge_card.tool:tool': 3,
      },
      root: 'support-agent.agent',
      agent: 'support-agent',
      model: 'claude-sonnet-4-5',
      provider: 'anthropic',
      promptTokens: [20, 95, 171, 246],
      outputTokens: [
        [18, 38],
        [18, 113],
        [18, 189],
        [12, 258],
      ],
      // The user's messages only: Anthropic's system prompt is separate (gen_ai.system_instructions).
      inputLengths: [48, 104, 160, 216],
      requested: ['charge_card'],
      args: (i) => JSON.stringify({ args: [], kwargs: { query: `${CANARY} charge_card #${i}` } }),
      toolCallIds: [null, null, null],
      errorType: 'Error',
      errorIsMessage: true,
      system: true,
    },
  ],
];

describe.each(CASES)('capture %s', (name, x) => {
  const spans = load(name);
  const mapped = spans.map((s) => mapSpan(s, { hasher }));
  const run = assembleRun(
    mapped.map((span) => ({ span })),
    { runId: mapped[0].trace_id, agentId: 'a', status: 'completed' },
  );
  const of = <T extends RunEvent['event_type']>(t: T) => run.events.filter((e): e is Extract<RunEvent, { event_type: T }> => e.event_type === t);

  it('spans classify by what they are; the run is exactly three failed charge_card calls between four model calls', () => {
    const counts: Record<string, number> = {};
    for (const m of mapped) counts[`${m.name}:${m.category}`] = (counts[`${m.name}:${m.category}`] ?? 0) + 1;
    expect(counts).toEqual(x.categories);
    expect(new Set(mapped.map((m) => m.trace_id)).size).toBe(1);
    expect(outline(run.events)).toEqual(FAILING);
    expect(run.exit_reason).toBe('final_answer');
  });

  it('run.started: the root, the agent, the model, the tools the agent had', () => {
    expect(of('run.started')[0].payload).toMatchObject({
      root_span_name: x.root,
      agent_name: x.agent,
      model: x.model,
      tools: TOOLS,
      system_prompt_hash: x.system ? d(SYSTEM) : null,
    });
  });

  it('model calls: model, provider, tokens, prompt digests and lengths, requested tools', () => {
    const called = of('llm.called');
    const responded = of('llm.responded');
    expect(called.map((e) => [e.payload.model, e.payload.provider])).toEqual(Array(4).fill([x.model, x.provider]));
    expect(called.map((e) => e.payload.prompt_tokens)).toEqual(x.promptTokens);
    expect(responded.map((e) => [e.payload.completion_tokens, e.payload.total_tokens])).toEqual(x.outputTokens);
    expect(called.map((e) => e.payload.input_length)).toEqual(x.inputLengths);
    // The first prompt is the system prompt and the user's request (Anthropic: the request; its system is apart).
    const first = x.provider === 'anthropic' ? PROMPT : `${SYSTEM}\n${PROMPT}`;
    expect(called[0].payload.input_hash).toBe(x.inputLengths[0] === null ? null : d(first));
    if (x.inputLengths[0] !== null) expect(first.length).toBe(x.inputLengths[0]);
    expect(responded.map((e) => e.payload.tool_calls.map((c) => c.name))).toEqual([x.requested, x.requested, x.requested, []]);
    for (let i = 0; i < 3; i++) {
      const requested = responded[i].payload.tool_calls;
      if (requested.length > 0) expect(requested[0].args_hash).toBe(d(ARGS(i + 1)));
    }
  });

  it('tool calls: the real tool name, its call id, hashed arguments, the failure as a type and a digest', () => {
    const called = of('tool.called');
    expect(called.map((e) => e.payload.tool_name)).toEqual(['charge_card', 'charge_card', 'charge_card']);
    expect(called.map((e) => e.payload.tool_call_id)).toEqual(x.toolCallIds);
    expect(called.map((e) => [e.payload.args_hash, e.payload.args_length])).toEqual([1, 2, 3].map((i) => [d(x.args(i)), x.args(i).length]));
    for (const e of of('tool.responded')) {
      expect(e.payload).toMatchObject({ success: false, error_type: x.errorType });
      if (x.errorIsMessage) expect(e.payload.error_hash).toBe(d(ERROR));
      else expect(e.payload.error_hash).toMatch(HEX);
    }
  });

  it('no content in what is stored; the redacted spans (processor path) map exactly as the raw ones', () => {
    expect(toJson(mapped)).not.toContain(CANARY);
    const root = mapped.find((m) => m.parent_span_id === null);
    if (root?.root?.input_hash) expect(root.root.input_hash).toMatch(HEX);
    for (let i = 0; i < spans.length; i++) {
      const redacted = redactSpan(spans[i], { hasher });
      expect(toJson(redacted), spans[i].name).not.toContain(CANARY);
      expect(mapSpan(redacted, { hasher }), spans[i].name).toEqual(mapped[i]);
    }
  });
});

describe('capture langchain-openllmetry: what OpenLLMetry alone would have said', () => {
  it('read span by span (no export-level naming), the failed calls are unnamed, never the class, and told apart by their arguments', () => {
    const raw = decodeExport(readFileSync(new URL('../fixtures/framework-captures/langchain-openllmetry.json', import.meta.url)), 'json').spans;
    const names = raw
      .map((s) => mapSpan(s, { hasher }))
      .flatMap((m) => m.events)
      .filter((e) => e.event_type === 'tool.called')
      .map((e) => e.payload.tool_name);
    expect(names).toEqual([1, 2, 3].map((i) => `unnamed_tool#${d(ARGS(i)).slice(0, 8)}`));
  });
});

it('the prompt of every capture is the scenario prompt (the fixtures are what the tests say they are)', () => {
  // The contrib instrumentation records prompts only as log events: its capture has none.
  for (const [name] of CASES.filter(([n]) => n !== 'openai-otel'))
    expect(readFileSync(new URL(`../fixtures/framework-captures/${name}.json`, import.meta.url), 'utf8'), name).toContain(PROMPT);
});
