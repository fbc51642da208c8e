import { describe, expect, it } from 'vitest';
import { detect, run, type RunBuilder } from './run-builder.js';

describe('RUNAWAY_ITERATION (max_steps 50, max_total_tokens 200 000, live)', () => {
  it('fires HIGH on an open run past 50 steps, pinned to step 51', () => {
    expect(detect('RUNAWAY_ITERATION', run().tools(51, 'a').build())).toMatchObject({
      severity: 'HIGH',
      confidence: 0.85,
      step_index: 51,
      evidence: { ceiling: 'steps', steps: 51, max_steps: 50, status: 'open' },
    });
  });
  it('fires on stalled and errored runs, CRITICAL at 2 × the ceiling', () => {
    expect(detect('RUNAWAY_ITERATION', run().tools(60, 'a').stall().build())?.evidence).toMatchObject({ status: 'stalled' });
    expect(detect('RUNAWAY_ITERATION', run().tools(100, 'a').error().build())?.severity).toBe('CRITICAL');
  });
  it('stays quiet at exactly 50 steps and on runs that completed', () => {
    expect(detect('RUNAWAY_ITERATION', run().tools(50, 'a').build())).toBeNull();
    expect(detect('RUNAWAY_ITERATION', run().tools(80, 'a').llm().finalAnswer().build())).toBeNull();
    expect(detect('RUNAWAY_ITERATION', run().tools(80, 'a').complete().build())).toBeNull();
  });
  it('token ceiling: fires past 200 000 tokens, quiet at exactly 200 000', () => {
    expect(detect('RUNAWAY_ITERATION', run().llm({ total_tokens: 150_000 }).llm({ total_tokens: 50_001 }).build())).toMatchObject({
      step_index: 2,
      evidence: { ceiling: 'tokens', total_tokens: 200_001 },
    });
    expect(detect('RUNAWAY_ITERATION', run().llm({ total_tokens: 150_000 }).llm({ total_tokens: 50_000 }).build())).toBeNull();
  });
});

describe('AGENT_HANDOFF_FAILURE', () => {
  it('fires HIGH when a handoff tool fails', () => {
    const r = run()
      .llm({ tool_calls: ['transfer_to_billing_agent'] })
      .tool('transfer_to_billing_agent', { success: false, error_type: 'AgentNotFound' })
      .llm()
      .finalAnswer()
      .build();
    expect(detect('AGENT_HANDOFF_FAILURE', r)).toMatchObject({
      severity: 'HIGH',
      confidence: 0.85,
      step_index: 2,
      evidence: {
        handoff_kind: 'tool',
        name: 'transfer_to_billing_agent',
        target_agent: 'billing',
        failure: 'error',
        error_type: 'AgentNotFound',
        failed_handoffs: 1,
        total_handoffs: 1,
        recovered: false,
      },
    });
  });
  it('fires when a handoff tool returns an output known to be empty, not when it is unknown', () => {
    expect(detect('AGENT_HANDOFF_FAILURE', run().tool('handoff_to_support', { output_length: 0 }).finalAnswer().build())?.evidence).toMatchObject({
      failure: 'empty',
    });
    expect(detect('AGENT_HANDOFF_FAILURE', run().tool('handoff_to_support', { output_length: null }).finalAnswer().build())).toBeNull();
    expect(
      detect('AGENT_HANDOFF_FAILURE', run().tool('handoff_to_support', { output_length: 0 }).finalAnswer().build(), { empty_is_failure: false }),
    ).toBeNull();
  });
  it('fires when a nested agent span (agent.invoked) failed', () => {
    const r = run().llm().agent('Researcher', { success: false, error_type: 'TimeoutError' }).llm().finalAnswer().build();
    expect(detect('AGENT_HANDOFF_FAILURE', r)).toMatchObject({
      step_index: 1,
      evidence: { handoff_kind: 'agent', name: 'Researcher', target_agent: 'researcher', error_type: 'TimeoutError' },
    });
  });
  it('is MEDIUM when a later handoff to the same agent succeeded', () => {
    const r = run().tool('transfer_to_billing', { success: false }).tool('transfer_to_billing').finalAnswer().build();
    expect(detect('AGENT_HANDOFF_FAILURE', r)).toMatchObject({ severity: 'MEDIUM', evidence: { recovered: true } });
  });
  it('stays quiet on successful handoffs and on failures of ordinary tools', () => {
    expect(detect('AGENT_HANDOFF_FAILURE', run().tool('transfer_to_billing').agent('billing').finalAnswer().build())).toBeNull();
    expect(detect('AGENT_HANDOFF_FAILURE', run().tool('search', { success: false }).finalAnswer().build())).toBeNull();
  });
});

describe('DELEGATION_LOOP (min_cycles 4)', () => {
  /** OpenAI-Agents-like: sibling agent spans under a workflow root; each hands off with a transfer_to_* tool. */
  function pingPong(handoffs: number): RunBuilder {
    const b = run();
    const names = ['triage', 'billing'];
    b.agent('Triage Agent', { span_id: 'a0' });
    for (let i = 0; i < handoffs; i++) {
      b.llm({ parent: `a${i}`, tool_calls: [`transfer_to_${names[(i + 1) % 2]}_agent`] });
      b.tool(`transfer_to_${names[(i + 1) % 2]}_agent`, { parent: `a${i}` });
      b.agent(`${names[(i + 1) % 2]} agent`, { span_id: `a${i + 1}` });
    }
    return b;
  }
  it('fires on triage ⇄ billing handing work back 4 times (5 handoffs)', () => {
    const s = detect('DELEGATION_LOOP', pingPong(5).llm().finalAnswer().build());
    expect(s).toMatchObject({
      severity: 'HIGH',
      confidence: 0.8,
      evidence: { agents: ['billing', 'triage'], cycle_length: 2, cycles: 4, delegations: 5, distinct_agents: 2, via: 'handoff_tool' },
    });
  });
  it('stays quiet with 4 handoffs (3 cycles)', () => {
    expect(detect('DELEGATION_LOOP', pingPong(4).llm().finalAnswer().build())).toBeNull();
  });
  it('is CRITICAL at 2 × min_cycles', () => {
    expect(detect('DELEGATION_LOOP', pingPong(9).build())?.severity).toBe('CRITICAL');
  });
  it('fires on nested recursion planner → critic → planner → … (agent spans only)', () => {
    const b = run({ agent_name: 'planner' });
    let parent = b.rootSpanId;
    for (let i = 0; i < 5; i++) {
      const id = `n${i}`;
      b.agent(i % 2 === 0 ? 'critic' : 'planner', { span_id: id, parent });
      b.llm({ parent: id });
      parent = id;
    }
    expect(detect('DELEGATION_LOOP', b.finalAnswer().build())?.evidence).toMatchObject({ agents: ['critic', 'planner'], cycles: 4, via: 'agent_span' });
  });
  it('stays quiet for a supervisor that sends work to different workers (siblings) or repeatedly to one (nested)', () => {
    const siblings = run();
    for (const name of ['supervisor', 'research', 'supervisor', 'coder', 'supervisor', 'writer', 'supervisor']) siblings.agent(name).llm();
    expect(detect('DELEGATION_LOOP', siblings.finalAnswer().build())).toBeNull();
    const nested = run({ agent_name: 'supervisor' });
    for (let i = 0; i < 8; i++) nested.agent(i % 2 ? 'coder' : 'research').llm();
    expect(detect('DELEGATION_LOOP', nested.finalAnswer().build())).toBeNull();
  });
});
