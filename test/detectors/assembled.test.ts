/**
 * Contract check against the lead's run assembly: detectors fire on runs built by assembleRun from mapped spans
 * (steps, pairing, agent.invoked signals, final_answer exit) exactly as on the builder's fixtures.
 */
import { describe, expect, it } from 'vitest';
import type { MappedSpan, SpanEvent } from '../../src/mapping/events.js';
import { assembleRun } from '../../src/runs/assemble.js';
import { runDetectors } from '../../src/detectors/index.js';

let clock = 1_700_000_000;
function span(
  id: string,
  parent: string | null,
  category: MappedSpan['category'],
  events: (t0: number, t1: number) => SpanEvent[],
  o: Partial<MappedSpan> = {},
): MappedSpan {
  const t0 = (clock += 0.1);
  const t1 = (clock += 0.5);
  return {
    trace_id: 'ab'.repeat(16),
    span_id: id,
    parent_span_id: parent,
    name: id,
    category,
    start_time: t0,
    end_time: t1,
    status: 'ok',
    error_type: null,
    agent_id: null,
    agent_name: null,
    service_name: 'svc',
    agent_version: '1.0',
    tools_available: [],
    root: null,
    events: events(t0, t1),
    ...o,
  };
}

const llm = (id: string, parent: string, finish: string, tools: string[] = []): MappedSpan =>
  span(id, parent, 'llm', (t0, t1) => [
    {
      event_type: 'llm.called',
      seq: 0,
      timestamp: t0,
      payload: {
        model: 'gpt-4o',
        provider: 'openai',
        operation: 'chat',
        prompt_tokens: 300,
        input_hash: null,
        input_length: null,
        max_tokens: null,
        tools_offered: ['search'],
      },
    },
    {
      event_type: 'llm.responded',
      seq: 1,
      timestamp: t1,
      payload: {
        model: 'gpt-4o',
        completion_tokens: 20,
        reasoning_tokens: null,
        total_tokens: null,
        latency_ms: 500,
        finish_reason: finish,
        finish_reasons: [finish],
        output_hash: null,
        output_length: null,
        output_length_source: null,
        tool_calls: tools.map((name) => ({ name, args_hash: null })),
        success: true,
        error_type: null,
      },
    },
  ]);

const tool = (id: string, parent: string, name: string, success: boolean): MappedSpan =>
  span(id, parent, 'tool', (t0, t1) => [
    { event_type: 'tool.called', seq: 0, timestamp: t0, payload: { tool_name: name, tool_call_id: null, args_hash: null, args_length: null } },
    {
      event_type: 'tool.responded',
      seq: 1,
      timestamp: t1,
      payload: {
        tool_name: name,
        success,
        output_hash: null,
        output_length: null,
        latency_ms: 500,
        error_type: success ? null : 'HTTPError',
        error_hash: null,
      },
    },
  ]);

const agent = (id: string, parent: string, name: string, success = true): MappedSpan =>
  span(id, parent, 'agent', (t0) => [
    {
      event_type: 'external.signal',
      seq: 0,
      timestamp: t0,
      payload: { signal_name: 'agent.invoked', source: 'otlp', meta: { agent_name: name, success, error_type: success ? null : 'AgentError' } },
    },
  ]);

const root = (): MappedSpan => span('root', null, 'workflow', () => [], { root: { input_hash: null, input_length: null, output_hash: null } });

function assemble(spans: MappedSpan[], status: 'completed' | 'open' = 'completed') {
  const r = root();
  const children = spans;
  r.end_time = clock += 1;
  return assembleRun(
    [r, ...children].map((s) => ({ span: s })),
    { runId: 'ab'.repeat(16), agentId: 'agent-a', status },
  );
}

describe('detectors on assembleRun output', () => {
  it('TOOL_AVOIDANCE fires on an OTLP run that ends in final_answer', () => {
    const r = assemble([llm('l1', 'root', 'stop'), llm('l2', 'root', 'stop')]);
    expect(r.exit_reason).toBe('final_answer');
    expect(runDetectors(r).map((s) => s.failure_type)).toEqual(['TOOL_AVOIDANCE']);
  });
  it('RETRY_STORM fires live on an open run, with steps from span order', () => {
    const r = assemble(
      [llm('l1', 'root', 'tool_calls', ['pay']), tool('t1', 'root', 'pay', false), tool('t2', 'root', 'pay', false), tool('t3', 'root', 'pay', false)],
      'open',
    );
    const s = runDetectors(r);
    expect(s.map((x) => x.failure_type)).toEqual(['RETRY_STORM']);
    expect(s[0]).toMatchObject({ step_index: 4, evidence: { first_fail_step: 2, last_fail_step: 4 } });
  });
  it('AGENT_HANDOFF_FAILURE and DELEGATION_LOOP read agent.invoked signals and span parents', () => {
    const spans: MappedSpan[] = [agent('a0', 'root', 'triage')];
    const names = ['billing', 'triage'];
    for (let i = 0; i < 5; i++) {
      spans.push(tool(`h${i}`, `a${i}`, `transfer_to_${names[i % 2]}`, true));
      spans.push(agent(`a${i + 1}`, 'root', names[i % 2], i !== 4));
    }
    spans.push(llm('l9', 'a5', 'stop'));
    const types = runDetectors(assemble(spans)).map((s) => s.failure_type);
    expect(types).toEqual(expect.arrayContaining(['DELEGATION_LOOP', 'AGENT_HANDOFF_FAILURE']));
  });
  it('a clean assembled run gives no signal', () => {
    const r = assemble([llm('l1', 'root', 'tool_calls', ['search']), tool('t1', 'root', 'search', true), llm('l2', 'root', 'stop')]);
    expect(runDetectors(r)).toEqual([]);
  });
});
