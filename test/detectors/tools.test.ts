import { describe, expect, it } from 'vitest';
import { HASH, detect, run } from './run-builder.js';

describe('TOOL_LOOP (threshold 3, window 5)', () => {
  it('fires on 3 calls of one tool in 5', () => {
    const r = run()
      .tools(5, (i) => (i % 2 === 0 ? 'search' : `other${i}`))
      .finalAnswer()
      .build();
    const s = detect('TOOL_LOOP', r);
    expect(s).toMatchObject({ severity: 'HIGH', confidence: 0.95, step_index: 5 });
    expect(s?.evidence).toMatchObject({ tool: 'search', count: 3, window: 5, first_step: 1, last_step: 5 });
  });
  it('stays quiet on 2 of 5', () => {
    const r = run()
      .tools(5, (i) => (i < 2 ? 'search' : `other${i}`))
      .finalAnswer()
      .build();
    expect(detect('TOOL_LOOP', r)).toBeNull();
  });
  it('stays quiet until the window is reached (4 identical calls, window 5)', () => {
    const r = run().tools(4, 'search').build();
    expect(detect('TOOL_LOOP', r)).toBeNull();
  });
  it('catches a loop the agent later escaped (not only the last window)', () => {
    const r = run()
      .tools(3, 'search')
      .tools(5, (i) => `t${i}`)
      .finalAnswer()
      .build();
    expect(detect('TOOL_LOOP', r)?.evidence).toMatchObject({ tool: 'search', count: 3 });
  });
  it('reports distinct argument sets', () => {
    const r = run()
      .tools(5, 'search', (i) => ({ args_hash: HASH(String(i)) }))
      .build();
    expect(detect('TOOL_LOOP', r)?.evidence).toMatchObject({ count: 5, distinct_args: 5, args_identical: false });
  });
  it('honours a tuned threshold', () => {
    const r = run()
      .tools(5, (i) => (i % 2 === 0 ? 'search' : `o${i}`))
      .build();
    expect(detect('TOOL_LOOP', r, { threshold: 4 })).toBeNull();
  });
});

describe('TOOL_THRASHING (window 6)', () => {
  it('fires on A B A B A B', () => {
    const r = run()
      .tools(6, (i) => (i % 2 ? 'b' : 'a'))
      .build();
    expect(detect('TOOL_THRASHING', r)).toMatchObject({ severity: 'HIGH', step_index: 6, evidence: { tool_a: 'a', tool_b: 'b', pattern: 'ABABAB', count: 6 } });
  });
  it('stays quiet on 5 alternating calls', () => {
    expect(
      detect(
        'TOOL_THRASHING',
        run()
          .tools(5, (i) => (i % 2 ? 'b' : 'a'))
          .build(),
      ),
    ).toBeNull();
  });
  it('stays quiet when two adjacent calls repeat (A B A A B A)', () => {
    const names = ['a', 'b', 'a', 'a', 'b', 'a'];
    expect(
      detect(
        'TOOL_THRASHING',
        run()
          .tools(6, (i) => names[i])
          .build(),
      ),
    ).toBeNull();
  });
  it('stays quiet with a third tool in the window', () => {
    const names = ['a', 'b', 'a', 'c', 'a', 'b'];
    expect(
      detect(
        'TOOL_THRASHING',
        run()
          .tools(6, (i) => names[i])
          .build(),
      ),
    ).toBeNull();
  });
});

describe('TOOL_AVOIDANCE (min_llm_calls 2)', () => {
  it('fires: final answer, tools available, 2 LLM calls, no tool call', () => {
    const r = run({ tools: ['search'] })
      .llms(2)
      .finalAnswer()
      .build();
    expect(detect('TOOL_AVOIDANCE', r)).toMatchObject({
      severity: 'MEDIUM',
      step_index: 2,
      evidence: { available_tools: ['search'], tool_calls_made: 0, llm_calls: 2 },
    });
  });
  it('uses tools offered on LLM calls when run.started lists none', () => {
    const r = run()
      .llms(2, { tools_offered: ['lookup'] })
      .finalAnswer()
      .build();
    expect(detect('TOOL_AVOIDANCE', r)?.evidence).toMatchObject({ available_tools: ['lookup'] });
  });
  it('stays quiet with 1 LLM call', () => {
    expect(
      detect(
        'TOOL_AVOIDANCE',
        run({ tools: ['search'] })
          .llm()
          .finalAnswer()
          .build(),
      ),
    ).toBeNull();
  });
  it('stays quiet when a tool was called', () => {
    expect(
      detect(
        'TOOL_AVOIDANCE',
        run({ tools: ['search'] })
          .llm()
          .tool('search')
          .llm()
          .finalAnswer()
          .build(),
      ),
    ).toBeNull();
  });
  it('stays quiet without tools, or when the run did not end in a final answer', () => {
    expect(detect('TOOL_AVOIDANCE', run().llms(3).finalAnswer().build())).toBeNull();
    expect(
      detect(
        'TOOL_AVOIDANCE',
        run({ tools: ['search'] })
          .llms(3)
          .complete()
          .build(),
      ),
    ).toBeNull();
    expect(
      detect(
        'TOOL_AVOIDANCE',
        run({ tools: ['search'] })
          .llms(3)
          .error()
          .build(),
      ),
    ).toBeNull();
  });
});

describe('RETRY_STORM (threshold 3)', () => {
  it('fires on 3 consecutive failures of one tool', () => {
    const r = run().tool('ok').tools(3, 'pay', { success: false }).build();
    const s = detect('RETRY_STORM', r);
    expect(s).toMatchObject({ severity: 'HIGH', confidence: 0.92, step_index: 4 });
    expect(s?.evidence).toMatchObject({
      tool: 'pay',
      consecutive_fails: 3,
      first_fail_step: 2,
      last_fail_step: 4,
      args_identical: true,
      reason_identical: true,
      error_type: 'ToolError',
      recovered: false,
    });
  });
  it('reports the full streak and a later recovery', () => {
    const r = run().tools(4, 'pay', { success: false }).tool('pay').finalAnswer().build();
    expect(detect('RETRY_STORM', r)?.evidence).toMatchObject({ consecutive_fails: 4, recovered: true });
  });
  it('stays quiet on 2 failures', () => {
    expect(detect('RETRY_STORM', run().tools(2, 'pay', { success: false }).tool('pay').build())).toBeNull();
  });
  it('stays quiet when another tool breaks the streak', () => {
    const r = run().tools(2, 'pay', { success: false }).tool('log', { success: false }).tool('pay', { success: false }).build();
    expect(detect('RETRY_STORM', r)).toBeNull();
  });
  it('does not count a call still in flight as a failure', () => {
    expect(detect('RETRY_STORM', run().tools(2, 'pay', { success: false }).tool('pay', { open: true }).build())).toBeNull();
  });
});

describe('CASCADING_TOOL_FAILURE (threshold 3, ≥ 2 tools)', () => {
  it('fires on 3 consecutive failures across 2 tools', () => {
    const r = run().tool('a').tool('a', { success: false }).tool('b', { success: false }).tool('a', { success: false }).build();
    expect(detect('CASCADING_TOOL_FAILURE', r)).toMatchObject({
      severity: 'HIGH',
      step_index: 4,
      evidence: { consecutive_failures: 3, distinct_tools: ['a', 'b'], distinct_tool_count: 2, first_fail_step: 2 },
    });
  });
  it('stays quiet on 2 failures', () => {
    expect(detect('CASCADING_TOOL_FAILURE', run().tool('a', { success: false }).tool('b', { success: false }).tool('c').build())).toBeNull();
  });
  it('stays quiet when all failures are the same tool (that is a retry storm)', () => {
    expect(detect('CASCADING_TOOL_FAILURE', run().tools(4, 'a', { success: false }).build())).toBeNull();
  });
});

describe('GOAL_ABANDONMENT (stall_steps 4)', () => {
  it('fires on a stalled run: tool, then 2 LLM calls (4 LLM events), no exit', () => {
    const r = run()
      .llm({ tool_calls: ['a'] })
      .tool('a')
      .llms(2)
      .signal('rate_limit')
      .stall()
      .build();
    expect(detect('GOAL_ABANDONMENT', r)).toMatchObject({
      severity: 'MEDIUM',
      step_index: 4,
      evidence: { trailing_llm_events: 4, trailing_llm_calls: 2, last_tool_step: 2 },
    });
  });
  it('stays quiet with only 3 trailing LLM events', () => {
    const r = run().tool('a').llm().llm({ open: true }).stall().build();
    expect(detect('GOAL_ABANDONMENT', r)).toBeNull();
  });
  it('stays quiet when the run was hung in a tool, never used a tool, or completed', () => {
    expect(detect('GOAL_ABANDONMENT', run().tool('a').llms(2).tool('b', { open: true }).stall().build())).toBeNull();
    expect(detect('GOAL_ABANDONMENT', run().llms(4).stall().build())).toBeNull();
    expect(detect('GOAL_ABANDONMENT', run().tool('a').llms(3).finalAnswer().build())).toBeNull();
  });
});
