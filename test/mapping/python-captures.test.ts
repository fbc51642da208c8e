import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createHasher, mapSpan, redactSpan, type RunEvent } from '../../src/mapping/index.js';
import { decodeExport } from '../../src/otlp/index.js';
import { assembleRun } from '../../src/runs/assemble.js';
import { toJson, withoutContentFacts } from './helpers.js';

/**
 * Python frameworks through captured OTLP exports (test/fixtures/python-captures, provenance in its README): the
 * OpenAI Agents SDK and LangGraph, both via OpenInference. Each is mapped, assembled and checked event by event.
 */
const hasher = createHasher();
const d = (t: string): string => hasher.digest(t);

function runOf(name: string) {
  const decoded = decodeExport(readFileSync(new URL(`../fixtures/python-captures/${name}.json`, import.meta.url)), 'json');
  expect(decoded.rejectedSpans).toBe(0);
  const mapped = decoded.spans.map((s) => withoutContentFacts(mapSpan(s, { hasher })));
  const run = assembleRun(
    mapped.map((span) => ({ span })),
    { runId: mapped[0].trace_id, agentId: 'a', status: 'completed' },
  );
  return { spans: decoded.spans, mapped, run };
}

/** Events without timestamps (step, type, payload; latencies are the rounded source's). */
const events = (run: { events: RunEvent[] }) => run.events.map((e) => ({ step: e.step_index, type: e.event_type, payload: e.payload }));

describe('OpenAI Agents SDK (Python) via OpenInference: openai-cs-agents-demo', () => {
  const { spans, mapped, run } = runOf('openai-agents-openinference');
  const agent = (name: string) => ({ signal_name: 'agent.invoked', source: 'otlp', meta: { agent_name: name, success: true, error_type: null } });

  it('spans: the SDK trace root and its agents are agents, turns and the loop structure, the guardrail not a step', () => {
    expect(mapped.map((m) => [m.name, m.category])).toEqual([
      ['Agent workflow', 'agent'],
      ['Agent workflow', 'workflow'],
      ['Relevance Guardrail', 'other'],
      ['Agent workflow', 'workflow'],
      ['Relevance Guardrail', 'agent'],
      ['Triage Agent', 'agent'],
      ['turn', 'workflow'],
      ['response', 'llm'],
      ['handoff to Seat and Special Services Agent', 'tool'],
      ['Seat and Special Services Agent', 'agent'],
      ['turn', 'workflow'],
      ['update_seat', 'tool'],
      ['turn', 'workflow'],
      ['handoff to Triage Agent', 'tool'],
    ]);
  });

  it('the run, event by event: agents invoked, one model call, a handoff, update_seat, the handoff back', () => {
    expect(events(run)).toEqual([
      {
        step: 0,
        type: 'run.started',
        payload: {
          source: 'otlp',
          root_span_name: 'Agent workflow',
          input_hash: null,
          input_length: null,
          system_prompt_hash: null,
          model: 'gpt-5.2-2025-12-11',
          tools: [],
          // The root names no agent but by its span name (dialects/openinference.ts).
          agent_name: 'Agent workflow',
        },
      },
      { step: 0, type: 'external.signal', payload: agent('Triage Agent') },
      { step: 0, type: 'external.signal', payload: agent('Relevance Guardrail') },
      {
        step: 1,
        type: 'llm.called',
        payload: {
          model: 'gpt-5.2-2025-12-11',
          provider: 'openai',
          operation: null,
          prompt_tokens: 224,
          input_hash: null,
          input_length: null,
          max_tokens: null,
          tools_offered: [],
          system_prompt_hash: null,
        },
      },
      {
        step: 1,
        type: 'llm.responded',
        payload: {
          model: 'gpt-5.2-2025-12-11',
          completion_tokens: 39,
          reasoning_tokens: null,
          total_tokens: 263,
          latency_ms: 67,
          finish_reason: null,
          finish_reasons: [],
          output_hash: null,
          output_length: 39,
          output_length_source: 'tokens',
          tool_calls: [],
          success: true,
          error_type: null,
        },
      },
      ...toolPair(2, 'handoff to Seat and Special Services Agent', 'Triage Agent', 'Seat and Special Services Agent', 1),
      { step: 2, type: 'external.signal', payload: agent('Seat and Special Services Agent') },
      ...toolPair(3, 'update_seat', '{"confirmation_number":"IR-D204","new_seat":"14A"}', 'Updated seat to 14A for confirmation number IR-D204', 2),
      ...toolPair(4, 'handoff to Triage Agent', 'Seat and Special Services Agent', 'Triage Agent', 1),
      // The trimmed capture kept no finish reason: whether the run answered is unknown, so not final_answer.
      { step: 4, type: 'run.completed', payload: { exit_reason: 'completed', total_steps: 4, tool_call_count: 3, latency_ms: 4263 } },
    ]);
  });

  it('the redacted spans (processor path) map exactly as the raw ones and carry no tool argument or result', () => {
    for (let i = 0; i < spans.length; i++) {
      const redacted = redactSpan(spans[i], { hasher });
      expect(toJson(redacted)).not.toContain('IR-D204');
      expect(withoutContentFacts(mapSpan(redacted, { hasher })), spans[i].name).toEqual(mapped[i]);
    }
    expect(toJson(mapped)).not.toContain('IR-D204');
  });
});

function toolPair(step: number, name: string, args: string, result: string, latency: number) {
  return [
    { step, type: 'tool.called', payload: { tool_name: name, tool_call_id: null, args_hash: d(args), args_length: args.length } },
    {
      step,
      type: 'tool.responded',
      payload: {
        tool_name: name,
        success: true,
        output_hash: d(result),
        output_length: result.length,
        latency_ms: latency,
        error_type: null,
        error_hash: null,
      },
    },
  ];
}

describe('LangGraph (Python) via OpenInference: open_deep_research', () => {
  const { spans, mapped, run } = runOf('langgraph-openinference');
  const reflection = '{"reflection":"The user wants one paragraph."}';

  it('spans: graph, nodes, subgraphs and runnables are structure; one model call, one tool', () => {
    expect(mapped.filter((m) => m.category !== 'workflow').map((m) => [m.name, m.category])).toEqual([
      ['ChatOpenAI', 'llm'],
      ['think_tool', 'tool'],
    ]);
    expect(mapped.filter((m) => m.category === 'workflow')).toHaveLength(12);
    // LangGraph's metadata (node names, checkpoint namespaces) is the app's: never stored.
    expect(toJson(mapped)).not.toContain('langgraph_node');
  });

  it('the run, event by event', () => {
    expect(events(run)).toEqual([
      {
        step: 0,
        type: 'run.started',
        payload: {
          source: 'otlp',
          root_span_name: 'LangGraph',
          input_hash: null,
          input_length: null,
          system_prompt_hash: null,
          model: 'gpt-4.1-mini-2025-04-14',
          tools: [],
          agent_name: null,
        },
      },
      {
        step: 1,
        type: 'llm.called',
        payload: {
          model: 'gpt-4.1-mini-2025-04-14',
          provider: 'openai',
          operation: null,
          prompt_tokens: 469,
          input_hash: null,
          input_length: null,
          max_tokens: null,
          tools_offered: [],
          system_prompt_hash: null,
        },
      },
      {
        step: 1,
        type: 'llm.responded',
        payload: {
          model: 'gpt-4.1-mini-2025-04-14',
          completion_tokens: 100,
          reasoning_tokens: null,
          total_tokens: 569,
          latency_ms: 1624,
          finish_reason: null,
          finish_reasons: [],
          output_hash: null,
          output_length: 100,
          output_length_source: 'tokens',
          tool_calls: [],
          success: true,
          error_type: null,
        },
      },
      { step: 2, type: 'tool.called', payload: { tool_name: 'think_tool', tool_call_id: null, args_hash: d(reflection), args_length: reflection.length } },
      {
        step: 2,
        type: 'tool.responded',
        payload: { tool_name: 'think_tool', success: true, output_hash: null, output_length: null, latency_ms: 0, error_type: null, error_hash: null },
      },
      { step: 2, type: 'run.completed', payload: { exit_reason: 'completed', total_steps: 2, tool_call_count: 1, latency_ms: 21846 } },
    ]);
  });

  it('the redacted spans (processor path) map exactly as the raw ones', () => {
    for (let i = 0; i < spans.length; i++) {
      const redacted = redactSpan(spans[i], { hasher });
      expect(toJson(redacted)).not.toContain('one paragraph');
      expect(toJson(redacted)).not.toContain('langgraph_node');
      expect(withoutContentFacts(mapSpan(redacted, { hasher })), spans[i].name).toEqual(mapped[i]);
    }
  });
});
