import { describe, expect, it } from 'vitest';
import { BASELINE_WINDOW, baselineFromStats, p75, percentile, runStats, type Baseline } from '../../src/detectors/index.js';
import type { AssembledRun } from '../../src/runs/types.js';
import { cleanRun, detect, run } from './run-builder.js';

function baselineOf(n: number, make: () => AssembledRun): Baseline {
  return baselineFromStats(Array.from({ length: n }, make).map(runStats));
}

describe('p75 / percentile', () => {
  it('interpolates like PERCENTILE_CONT(0.75)', () => {
    expect(p75([1, 2, 3, 4])).toBe(3.25);
    expect(p75([4, 1, 3, 2])).toBe(3.25);
    expect(p75([7])).toBe(7);
    expect(percentile([1, 2, 3, 4, 5], 0.5)).toBe(3);
  });
  it('ignores null/non-finite values and gives null on no data', () => {
    expect(p75([null, 2, undefined, Number.NaN, 2])).toBe(2);
    expect(p75([])).toBeNull();
  });
});

describe('runStats / baselineFromStats', () => {
  it('gives the per-run numbers of a clean run', () => {
    const s = runStats(cleanRun());
    expect(s).toMatchObject({
      eligible: true,
      steps: 6,
      llm_calls: 3,
      tool_calls: 2,
      retrieval_calls: 1,
      max_step_ms: { llm: 2000, tool: 900, retrieval: 300 },
      first_prompt_tokens: 800,
      last_prompt_tokens: 1500,
      prompt_growth: 1.875,
      llm_tool_ratio: 1.5,
      total_tokens: 3550,
    });
    expect(s.wall_clock_ms).toBeGreaterThan(5000);
  });
  it('marks errored, stalled and open runs ineligible, and the baseline skips them', () => {
    expect(runStats(run().llm().error().build()).eligible).toBe(false);
    expect(runStats(run().llm().stall().build()).eligible).toBe(false);
    expect(runStats(run().llm().build()).eligible).toBe(false);
    const b = baselineFromStats([runStats(run().llm().error().build()), runStats(cleanRun())]);
    expect(b.sample_size).toBe(1);
    expect(b.p75_steps).toBe(6);
  });
  it(`uses at most the ${BASELINE_WINDOW} newest runs`, () => {
    const stats = [
      ...Array.from({ length: 50 }, () => runStats(cleanRun())),
      ...Array.from({ length: 10 }, () => runStats(run().llms(30).finalAnswer().build())),
    ];
    const b = baselineFromStats(stats);
    expect(b.sample_size).toBe(50);
    expect(b.p75_steps).toBe(6);
  });
  it('gives null stats where the runs have no data', () => {
    const b = baselineOf(3, () => run().tool('a').complete().build());
    expect(b).toMatchObject({ sample_size: 3, p75_llm_tool_ratio: null, p75_total_tokens: null, p75_prompt_growth: null });
    expect(b.p75_max_step_ms.llm).toBeNull();
  });
});

describe('STEP_COUNT_INFLATION (baseline from 10 runs, 2×)', () => {
  const typical = () =>
    run()
      .llm({ tool_calls: ['a'] })
      .tool('a')
      .llm({ tool_calls: ['a'] })
      .tool('a')
      .llm()
      .finalAnswer()
      .build(); // 5 steps
  const long = (steps: number) => run().llms(steps).finalAnswer().build();
  it('fires above 2 × P75 with 10 runs', () => {
    const s = detect('STEP_COUNT_INFLATION', long(11), {}, baselineOf(10, typical));
    expect(s).toMatchObject({
      severity: 'MEDIUM',
      confidence: 0.82,
      step_index: 11,
      evidence: { current_steps: 11, baseline_p75: 5, inflation_ratio: 2.2, threshold_factor: 2, baseline_runs: 10 },
    });
  });
  it('stays quiet with 9 runs, at exactly 2 ×, and without a baseline', () => {
    expect(detect('STEP_COUNT_INFLATION', long(11), {}, baselineOf(9, typical))).toBeNull();
    expect(detect('STEP_COUNT_INFLATION', long(10), {}, baselineOf(10, typical))).toBeNull();
    expect(detect('STEP_COUNT_INFLATION', long(40), {}, null)).toBeNull();
  });
});

describe('CONTEXT_BLOAT (static 3× first→last, last ≥ 2000, ≥ 3 calls; baseline 2× P75 from 20 runs)', () => {
  const grow = (...tokens: number[]) =>
    tokens
      .reduce((b, t) => b.llm({ prompt_tokens: t }), run())
      .finalAnswer()
      .build();
  it('static: fires at growth 3.0', () => {
    expect(detect('CONTEXT_BLOAT', grow(1000, 2000, 3000))).toMatchObject({
      severity: 'MEDIUM',
      confidence: 0.8,
      step_index: 3,
      evidence: { first_tokens: 1000, last_tokens: 3000, growth_factor: 3, llm_call_count: 3, mode: 'static' },
    });
  });
  it('static: quiet at growth 2.999, with 2 calls, and with last < 2000 tokens', () => {
    expect(detect('CONTEXT_BLOAT', grow(1000, 2000, 2999))).toBeNull();
    expect(detect('CONTEXT_BLOAT', grow(1000, 3000))).toBeNull();
    expect(detect('CONTEXT_BLOAT', grow(100, 1000, 1999))).toBeNull();
  });
  it('ignores calls without prompt token counts', () => {
    expect(detect('CONTEXT_BLOAT', grow(1000, 0, 3000))).toBeNull();
  });
  const steady = () => grow(1000, 1100, 1200); // growth 1.2
  it('baseline: fires at 2.6× growth with 20 runs of 1.2× (threshold 2.4), quiet with 19 (static 3×)', () => {
    const r = grow(1000, 2000, 2600);
    expect(detect('CONTEXT_BLOAT', r, {}, baselineOf(20, steady))).toMatchObject({
      evidence: { mode: 'baseline', trigger: 'growth', threshold: 2.4, baseline_p75: 1.2, baseline_runs: 20 },
    });
    expect(detect('CONTEXT_BLOAT', r, {}, baselineOf(19, steady))).toBeNull();
  });
  it('baseline: quiet on growth below 2 × P75', () => {
    expect(detect('CONTEXT_BLOAT', grow(1000, 1500, 2300), {}, baselineOf(20, steady))).toBeNull();
  });
});

describe('SLOW_STEP (static tool 15 s / LLM 30 s; baseline 2× P75 from 20 runs)', () => {
  it('static: fires MEDIUM on a tool just over 15 s, HIGH at 5×', () => {
    const s = detect('SLOW_STEP', run().llm().tool('scrape', { duration_ms: 15_001 }).finalAnswer().build());
    expect(s).toMatchObject({
      severity: 'MEDIUM',
      confidence: 0.92,
      step_index: 2,
      evidence: { step_kind: 'tool', step_label: 'tool execution', name: 'scrape', duration_ms: 15001, threshold_ms: 15000, ratio: 1, mode: 'static' },
    });
    expect(detect('SLOW_STEP', run().tool('scrape', { duration_ms: 75_000 }).finalAnswer().build())?.severity).toBe('HIGH');
  });
  it('static: quiet at exactly 15 s / 30 s', () => {
    expect(detect('SLOW_STEP', run().llm({ duration_ms: 30_000 }).tool('a', { duration_ms: 15_000 }).finalAnswer().build())).toBeNull();
  });
  it('reports the worst ratio and coincident external signals', () => {
    const r = run().llm({ duration_ms: 45_000 }).signal('rate_limit', { status: 429 }).tool('a', { duration_ms: 16_000 }).finalAnswer().build();
    expect(detect('SLOW_STEP', r)?.evidence).toMatchObject({
      step_kind: 'llm',
      step_index: 1,
      ratio: 1.5,
      slow_step_count: 2,
      coincident_signals: [{ signal_name: 'rate_limit', source: 'otlp' }],
    });
  });
  it('skips spans still in flight', () => {
    expect(detect('SLOW_STEP', run().tool('a', { open: true, duration_ms: 99_000 }).stall().build())).toBeNull();
  });
  const fast = () => run().llm({ duration_ms: 1000 }).tool('a', { duration_ms: 2000 }).finalAnswer().build();
  it('baseline: a 10 s tool fires with 20 runs (2 × 2 s), quiet with 19 (static 15 s)', () => {
    const r = run().llm({ duration_ms: 1000 }).tool('a', { duration_ms: 10_000 }).finalAnswer().build();
    expect(detect('SLOW_STEP', r, {}, baselineOf(20, fast))).toMatchObject({
      severity: 'MEDIUM',
      evidence: { mode: 'baseline', threshold_ms: 4000, baseline_p75_ms: 2000, ratio: 2.5 },
    });
    expect(detect('SLOW_STEP', r, {}, baselineOf(19, fast))).toBeNull();
  });
  it('baseline: never flags below min_duration_ms', () => {
    const tiny = () => run().tool('a', { duration_ms: 10 }).finalAnswer().build();
    expect(detect('SLOW_STEP', run().tool('a', { duration_ms: 900 }).finalAnswer().build(), {}, baselineOf(20, tiny))).toBeNull();
  });
});

describe('REASONING_STALL (static ratio ≥ 4 with ≥ 5 LLM calls; baseline 2× P75 from 20 runs)', () => {
  const mix = (llm: number, tools: number) => {
    let b = run();
    for (let i = 0; i < Math.max(llm, tools); i++) {
      if (i < llm) b = b.llm();
      if (i < tools) b = b.tool('a');
    }
    return b;
  };
  it('static: fires MEDIUM at 8 LLM / 2 tools (4.0) on a final answer, HIGH when stalled', () => {
    expect(detect('REASONING_STALL', mix(8, 2).finalAnswer().build())).toMatchObject({
      severity: 'MEDIUM',
      confidence: 0.7,
      evidence: { llm_calls: 8, tool_calls: 2, ratio: 4, mode: 'static', outcome: 'finished' },
    });
    expect(detect('REASONING_STALL', mix(8, 2).stall().build())).toMatchObject({ severity: 'HIGH', evidence: { outcome: 'stalled' } });
  });
  it('static: quiet at 7 / 2 (3.5), at 4 LLM calls with no tool, and on errored runs', () => {
    expect(detect('REASONING_STALL', mix(7, 2).finalAnswer().build())).toBeNull();
    expect(detect('REASONING_STALL', mix(4, 0).finalAnswer().build())).toBeNull();
    expect(detect('REASONING_STALL', mix(8, 0).error().build())).toBeNull();
  });
  it('baseline: 6 / 2 (3.0) fires with 20 runs of ratio 1 (threshold 2), quiet with 19', () => {
    const r = mix(6, 2).finalAnswer().build();
    const b20 = baselineOf(20, () => mix(2, 2).finalAnswer().build());
    expect(detect('REASONING_STALL', r, {}, b20)).toMatchObject({ evidence: { mode: 'baseline', threshold: 2, baseline_p75: 1 } });
    expect(
      detect(
        'REASONING_STALL',
        r,
        {},
        baselineOf(19, () => mix(2, 2).finalAnswer().build()),
      ),
    ).toBeNull();
  });
});

describe('COST_SPIKE (static > 50 000 tokens; baseline 3× P75 from 20 runs)', () => {
  const tokens = (...totals: number[]) =>
    totals
      .reduce((b, t) => b.llm({ total_tokens: t }), run())
      .finalAnswer()
      .build();
  it('static: fires at 50 001, pinned to the call that crossed', () => {
    expect(detect('COST_SPIKE', tokens(30_000, 20_001, 10))).toMatchObject({
      severity: 'MEDIUM',
      step_index: 2,
      evidence: { total_tokens: 50_011, threshold_tokens: 50_000, mode: 'static' },
    });
  });
  it('static: quiet at exactly 50 000 and when token counts are unknown', () => {
    expect(detect('COST_SPIKE', tokens(25_000, 25_000))).toBeNull();
    expect(detect('COST_SPIKE', run().llms(5, { prompt_tokens: null, completion_tokens: null }).finalAnswer().build())).toBeNull();
  });
  it('baseline: 20 000 tokens fires with 20 runs of 3 000 (threshold 9 000), quiet with 19', () => {
    const r = tokens(10_000, 10_000);
    expect(
      detect(
        'COST_SPIKE',
        r,
        {},
        baselineOf(20, () => tokens(3000)),
      ),
    ).toMatchObject({ evidence: { mode: 'baseline', threshold_tokens: 9000, baseline_p75: 3000 } });
    expect(
      detect(
        'COST_SPIKE',
        r,
        {},
        baselineOf(19, () => tokens(3000)),
      ),
    ).toBeNull();
  });
});

describe('SESSION_LATENCY (static > 5 min; baseline 3× P75 from 20 runs)', () => {
  const lasting = (ms: number) =>
    run()
      .llm({ duration_ms: ms - 20 })
      .finalAnswer()
      .build(); // + 2 × 10 ms gaps
  it('static: fires just over 5 minutes', () => {
    const s = detect('SESSION_LATENCY', lasting(300_100));
    expect(s).toMatchObject({ severity: 'MEDIUM', evidence: { mode: 'static', threshold_ms: 300_000 } });
    expect(s?.evidence.wall_clock_ms).toBeGreaterThan(300_000);
  });
  it('static: quiet under 5 minutes', () => {
    expect(detect('SESSION_LATENCY', lasting(299_900))).toBeNull();
  });
  it('baseline: 60 s fires with 20 runs of 5 s (threshold 15 s), quiet with 19', () => {
    const r = lasting(60_000);
    expect(
      detect(
        'SESSION_LATENCY',
        r,
        {},
        baselineOf(20, () => lasting(5000)),
      ),
    ).toMatchObject({ evidence: { mode: 'baseline', threshold_ms: 15_000 } });
    expect(
      detect(
        'SESSION_LATENCY',
        r,
        {},
        baselineOf(19, () => lasting(5000)),
      ),
    ).toBeNull();
  });
});
