import { describe, expect, it } from 'vitest';
import { assembleRun } from '../../src/runs/assemble.js';
import { llmSpan, rootSpan, toolSpan } from '../helpers/mapped.js';

const opts = { runId: 'a'.repeat(32), agentId: 'agent' };

describe('assembleRun', () => {
  it('numbers steps by span start time whatever the arrival order, pairs sharing their span step', () => {
    const root = rootSpan(100, 110);
    const spans = [toolSpan(104, 105, 'search'), llmSpan(101, 102, { finish: 'tool_calls', toolCalls: ['search'] }), llmSpan(106, 107), root];
    const run = assembleRun(
      spans.map((span) => ({ span })),
      { ...opts, status: 'completed' },
    );
    const seq = run.events.map((e) => `${e.step_index}:${e.event_type}`);
    expect(seq).toEqual([
      '0:run.started',
      '1:llm.called',
      '1:llm.responded',
      '2:tool.called',
      '2:tool.responded',
      '3:llm.called',
      '3:llm.responded',
      '3:run.completed',
    ]);
    expect(run.step_count).toBe(3);
    expect(run.exit_reason).toBe('final_answer');
    expect(run.started_at).toBe(100);
    expect(run.ended_at).toBe(110);
    // Both events of a pair carry the span they came from.
    const tool = run.events.filter((e) => e.event_type.startsWith('tool.'));
    expect(new Set(tool.map((e) => e.span_id)).size).toBe(1);
  });

  it('gives the same run for every permutation of the same spans', () => {
    const spans = [rootSpan(0, 10), llmSpan(1, 2), toolSpan(3, 4, 'a'), toolSpan(3, 4.5, 'b'), llmSpan(5, 6)];
    const ref = JSON.stringify(
      assembleRun(
        spans.map((span) => ({ span })),
        { ...opts, status: 'completed' },
      ),
    );
    for (const order of [
      [4, 3, 2, 1, 0],
      [2, 0, 4, 1, 3],
      [1, 3, 0, 4, 2],
    ]) {
      expect(
        JSON.stringify(
          assembleRun(
            order.map((i) => ({ span: spans[i] })),
            { ...opts, status: 'completed' },
          ),
        ),
      ).toBe(ref);
    }
  });

  it('ends in "completed", not final_answer, when the last LLM response asked for tools', () => {
    const run = assembleRun(
      [rootSpan(0, 5), llmSpan(1, 2, { finish: 'tool_calls', toolCalls: ['x'] })].map((span) => ({ span })),
      { ...opts, status: 'completed' },
    );
    expect(run.exit_reason).toBe('completed');
    expect(run.events.at(-1)?.event_type).toBe('run.completed');
  });

  it('ends in "completed" when the last LLM response stopped for length', () => {
    const run = assembleRun(
      [rootSpan(0, 5), llmSpan(1, 2, { finish: 'length' })].map((span) => ({ span })),
      { ...opts, status: 'completed' },
    );
    expect(run.exit_reason).toBe('completed');
  });

  it('an errored root gives run.errored with exit_reason error', () => {
    const run = assembleRun(
      [rootSpan(0, 5, { status: 'error', error_type: 'ValueError' }), llmSpan(1, 2)].map((span) => ({ span })),
      { ...opts, status: 'errored' },
    );
    expect(run.exit_reason).toBe('error');
    const last = run.events.at(-1)!;
    expect(last.event_type).toBe('run.errored');
    expect(last.payload).toMatchObject({ exit_reason: 'error', error_type: 'ValueError', total_steps: 1 });
  });

  it('an open run has no terminal event and no exit reason', () => {
    const run = assembleRun(
      [rootSpan(0, 5), llmSpan(1, 2)].map((span) => ({ span })),
      { ...opts, status: 'open' },
    );
    expect(run.exit_reason).toBeNull();
    expect(run.events.map((e) => e.event_type)).toEqual(['run.started', 'llm.called', 'llm.responded']);
  });

  it('a stalled run (no root) has run.started from its first span and exit_reason stalled', () => {
    const run = assembleRun(
      [toolSpan(3, 4, 'a'), llmSpan(1, 2)].map((span) => ({ span })),
      { ...opts, status: 'stalled' },
    );
    expect(run.exit_reason).toBe('stalled');
    expect(run.events[0]).toMatchObject({ event_type: 'run.started', step_index: 0, timestamp: 1 });
    expect(run.events.some((e) => e.event_type === 'run.completed' || e.event_type === 'run.errored')).toBe(false);
    expect(run.ended_at).toBe(4);
  });

  it('a single LLM root span is a run with one LLM call', () => {
    const root = { ...llmSpan(1, 2), parent_span_id: null, root: { input_hash: null, input_length: null, output_hash: null } };
    const run = assembleRun([{ span: root }], { ...opts, status: 'completed' });
    expect(run.events.map((e) => `${e.step_index}:${e.event_type}`)).toEqual(['0:run.started', '1:llm.called', '1:llm.responded', '1:run.completed']);
    expect(run.exit_reason).toBe('final_answer');
  });

  it('collects the tools the agent had into run.started and fingerprints the version from model and tools', () => {
    const a = assembleRun(
      [rootSpan(0, 5), llmSpan(1, 2, { tools: ['search', 'calc'] })].map((span) => ({ span })),
      { ...opts, status: 'completed' },
    );
    expect(a.events[0].payload).toMatchObject({ tools: ['calc', 'search'], model: 'gpt-4o' });
    const b = assembleRun(
      [rootSpan(0, 5), llmSpan(1, 2, { tools: ['search'] })].map((span) => ({ span })),
      { ...opts, status: 'completed' },
    );
    expect(a.agent_version).toMatch(/^[0-9a-f]{8}$/);
    expect(a.agent_version).not.toBe(b.agent_version);
    const declared = assembleRun(
      [rootSpan(0, 5, { agent_version: '1.2.3' })].map((span) => ({ span })),
      { ...opts, status: 'completed' },
    );
    expect(declared.agent_version).toBe('1.2.3');
  });

  it('late spans are shown after the judged events, flagged, without changing the judged step count', () => {
    const run = assembleRun([{ span: rootSpan(0, 5) }, { span: llmSpan(1, 2) }, { span: toolSpan(0.5, 0.7, 'late_tool'), late: true }], {
      ...opts,
      status: 'completed',
    });
    expect(run.step_count).toBe(1);
    const last = run.events.slice(-2);
    expect(last.map((e) => [e.event_type, e.step_index, e.late])).toEqual([
      ['tool.called', 2, true],
      ['tool.responded', 2, true],
    ]);
    expect(run.events.findIndex((e) => e.event_type === 'run.completed')).toBeLessThan(run.events.findIndex((e) => e.late));
  });
});

describe('assembleRun with coarse SDK clocks', () => {
  it('orders spans started in the same millisecond by their end, and keeps the terminal event last', () => {
    // OTel JS start times are millisecond-rounded while ends are finer: the root can "end" before its last child.
    const root = rootSpan(100.05, 100.0569);
    const first = llmSpan(100.056, 100.05617, { finish: 'tool_calls', toolCalls: ['t'] });
    const second = llmSpan(100.056, 100.05715, { finish: 'stop' });
    const run = assembleRun([{ span: second }, { span: root }, { span: first }], { ...opts, status: 'completed' });
    expect(run.exit_reason).toBe('final_answer');
    expect(run.events.at(-1)?.event_type).toBe('run.completed');
    expect(run.events.filter((e) => e.event_type === 'llm.responded').map((e) => e.payload)).toMatchObject([
      { finish_reason: 'tool_calls' },
      { finish_reason: 'stop' },
    ]);
  });
});
