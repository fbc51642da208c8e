/** The original's three content-free structural detectors: firing and near-miss cases (reference §1.7, §1.10, §1.11). */
import { describe, expect, it } from 'vitest';
import { runDetectors } from '../../src/detectors/index.js';
import { cleanRun, detect, run } from './run-builder.js';

describe('OVERSIZED_TOOL_ARGUMENTS (max_arg_length 10,000)', () => {
  it('fires on the first call over the limit (MEDIUM, 0.9)', () => {
    const r = run().tool('search').tool('write_file', { args_length: 10_001 }).tool('write_file', { args_length: 50_000 }).llm().finalAnswer().build();
    expect(detect('OVERSIZED_TOOL_ARGUMENTS', r)).toEqual({
      failure_type: 'OVERSIZED_TOOL_ARGUMENTS',
      severity: 'MEDIUM',
      confidence: 0.9,
      step_index: 2,
      evidence: { step_index: 2, tool_name: 'write_file', arg_length: 10_001, threshold: 10_000, oversized_calls: 2 },
    });
  });
  it.each([
    ['exactly at the limit', 10_000],
    ['unknown length (arguments not captured)', null],
  ])('quiet: %s', (_n, len) => {
    expect(detect('OVERSIZED_TOOL_ARGUMENTS', run().tool('write_file', { args_length: len }).llm().finalAnswer().build())).toBeNull();
  });
  it('honours max_arg_length, and judges open runs (live)', () => {
    const r = run().tool('a', { args_length: 600 }).build();
    expect(r.status).toBe('open');
    expect(detect('OVERSIZED_TOOL_ARGUMENTS', r)).toBeNull();
    expect(detect('OVERSIZED_TOOL_ARGUMENTS', r, { max_arg_length: 500 })?.evidence).toMatchObject({ arg_length: 600, threshold: 500 });
    const big = run().tool('a', { args_length: 20_000 }).build();
    expect(runDetectors(big)).toEqual([expect.objectContaining({ failure_type: 'OVERSIZED_TOOL_ARGUMENTS', shadow: true })]);
  });
});

describe('SCATTERSHOT_TOOL_USE (8 calls, 6 distinct, ratio 1.5, scan 250)', () => {
  const spray = (calls: number, distinct: number) => run().tools(calls, (i) => `tool_${i % distinct}`);
  it('fires on 9 calls over 6 tools with no final answer (ratio 1.5 → confidence 0.5)', () => {
    expect(detect('SCATTERSHOT_TOOL_USE', spray(9, 6).stall().build())).toEqual({
      failure_type: 'SCATTERSHOT_TOOL_USE',
      severity: 'MEDIUM',
      confidence: 0.5,
      step_index: 9,
      evidence: {
        distinct_tool_count: 6,
        tools: ['tool_0', 'tool_1', 'tool_2', 'tool_3', 'tool_4', 'tool_5'],
        total_calls: 9,
        repeat_ratio: 1.5,
        min_distinct_tools: 6,
        min_total_calls: 8,
        min_repeat_ratio: 1.5,
        first_step: 1,
        last_step: 9,
        scan_truncated: false,
      },
    });
  });
  it('confidence grows with the ratio: 18 calls over 6 tools (ratio 3) → 0.9', () => {
    expect(detect('SCATTERSHOT_TOOL_USE', spray(18, 6).error().build())?.confidence).toBe(0.9);
  });
  it('scans only the last scan_limit calls', () => {
    const r = run()
      .tools(10, 'warmup')
      .tools(12, (i) => `t${i % 6}`)
      .stall()
      .build();
    expect(detect('SCATTERSHOT_TOOL_USE', r, { scan_limit: 12 })?.evidence).toMatchObject({
      total_calls: 22,
      first_step: 11,
      scan_truncated: true,
      distinct_tool_count: 6,
    });
  });
  it.each([
    ['a final answer vetoes it', spray(12, 6).llm().finalAnswer()],
    ['fewer than 8 calls', spray(7, 6).stall()],
    ['fewer than 6 distinct tools', spray(12, 5).stall()],
    ['every call a different tool (ratio 1 < 1.5)', spray(8, 8).stall()],
    ['8 calls over 6 tools (ratio 1.33)', spray(8, 6).stall()],
  ])('quiet: %s', (_n, b) => {
    expect(detect('SCATTERSHOT_TOOL_USE', b.build())).toBeNull();
  });
});

describe('INSTRUMENTATION_DEGRADED (min_calls 2)', () => {
  const blank = { completion_tokens: null, finish: null, output_length: null, output_length_source: null } as const;
  it('all_calls_structurally_blank (0.8): every response has no output, no completion tokens, no finish reason', () => {
    const r = run().llms(2, blank).tool('search').llm(blank).finalAnswer().build();
    expect(detect('INSTRUMENTATION_DEGRADED', r)).toEqual({
      failure_type: 'INSTRUMENTATION_DEGRADED',
      severity: 'MEDIUM',
      confidence: 0.8,
      step_index: 1,
      evidence: {
        reason: 'all_calls_structurally_blank',
        affected_calls: 3,
        total_llm_calls: 3,
        total_tool_calls: 1,
        providers: ['openai'],
        models: ['gpt-4o'],
        anonymous_llm_calls: 0,
        unnamed_tools: 0,
        first_step: 1,
        suppressed_detectors: [
          'EMPTY_LLM_RESPONSE',
          'PREMATURE_TERMINATION',
          'UNREAD_TOOL_ERROR',
          'LLM_TRUNCATION_LOOP',
          'SILENT_TRUNCATION',
          'RUNAWAY_ITERATION',
          'FIRST_STEP_FAILURE',
        ],
        unmeasurable: ['llm.responded.output', 'llm.responded.finish_reason'],
      },
    });
  });
  it('the original fingerprint also takes finish "stop" with 0 output and 0 completion tokens', () => {
    const r = run().llms(2, { completion_tokens: 0, output_length: 0, finish: 'stop' }).finalAnswer().build();
    expect(detect('INSTRUMENTATION_DEGRADED', r)?.evidence.reason).toBe('all_calls_structurally_blank');
  });
  it('unidentified_calls (0.7): most calls name no model (and report no tokens) or no tool', () => {
    const anon = { model: null, prompt_tokens: null, completion_tokens: null } as const;
    const r = run().llm(anon).tool('').llm(anon).tool('search').finalAnswer().build();
    expect(detect('INSTRUMENTATION_DEGRADED', r)).toMatchObject({
      confidence: 0.7,
      step_index: 1,
      evidence: {
        reason: 'unidentified_calls',
        affected_calls: 3,
        anonymous_llm_calls: 2,
        unnamed_tools: 1,
        suppressed_detectors: [],
        unmeasurable: ['llm.model', 'llm.usage', 'tool.name'],
      },
    });
  });
  it.each([
    ['a healthy run', cleanRun()],
    ['content capture off (no output length, but usage tokens arrive)', cleanRun({ captured: false })],
    ['one blank call among measured ones', run().llm(blank).llm().finalAnswer().build()],
    ['a single blank call (min_calls 2)', run().llm(blank).finalAnswer().build()],
    [
      'blank calls that asked for tools',
      run()
        .llms(2, { ...blank, tool_calls: ['search'], finish: null })
        .finalAnswer()
        .build(),
    ],
    [
      'truncated calls are measurable',
      run()
        .llms(2, { ...blank, finish: 'length' })
        .finalAnswer()
        .build(),
    ],
    ['a model without tokens is identified', run().llms(3, { prompt_tokens: null, completion_tokens: null }).finalAnswer().build()],
    ['one unnamed tool among four calls (share 0.25 < 0.5)', run().llm().tool('').tool('a').llm().finalAnswer().build()],
    ['an open run is not judged', run().llms(3, blank).build()],
  ])('quiet: %s', (_n, r) => {
    expect(detect('INSTRUMENTATION_DEGRADED', r)).toBeNull();
  });

  it('output-reading detectors stay quiet on a run whose responses were all blank, as the original', () => {
    const zero = { completion_tokens: 0, output_length: 0, finish: 'stop', output_length_source: 'tokens' } as const;
    const degraded = run().llms(2, zero).error('RuntimeError').build();
    const types = runDetectors(degraded).map((s) => s.failure_type);
    expect(types).toContain('INSTRUMENTATION_DEGRADED');
    expect(types).not.toContain('EMPTY_LLM_RESPONSE');
    expect(detect('FIRST_STEP_FAILURE', run().llms(2, zero).tool('a').finalAnswer().build())).toBeNull();
    // near miss: one real empty answer after a measured response is still judged
    const oneEmpty = run().llm().llm(zero).finalAnswer().build();
    expect(detect('EMPTY_LLM_RESPONSE', oneEmpty)).not.toBeNull();
    expect(detect('INSTRUMENTATION_DEGRADED', oneEmpty)).toBeNull();
  });
  it('RUNAWAY_ITERATION gives no verdict on a blank run, and still fires on a measured one', () => {
    const blankLoop = run().llms(60, blank).stall().build();
    expect(detect('RUNAWAY_ITERATION', blankLoop)).toBeNull();
    expect(detect('RUNAWAY_ITERATION', run().llms(60).stall().build())).not.toBeNull();
  });
});
