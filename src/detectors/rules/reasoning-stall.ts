/**
 * REASONING_STALL (MEDIUM when the run finished, HIGH when it stalled; 0.70). The agent keeps calling the LLM
 * without acting: ≥ `min_llm_calls` LLM calls and llm_calls / max(tool_calls, 1)
 *  - static: ≥ `ratio_threshold`;
 *  - baseline (≥ `min_baseline_runs` runs): > max(`inflation_factor` × P75(ratio), `min_ratio`).
 * Judged on runs that ended (final_answer or completed) or stalled; errored runs are left to the error detectors.
 * Step: the last LLM call.
 */
import { z } from 'zod';
import { baselineValue } from '../baseline.js';
import { endedOk, runFacts } from '../facts.js';
import { defineDetector } from '../types.js';
import { round } from '../util.js';
import { inflationFactor, minBaselineRuns } from './common.js';

const schema = z.strictObject({
  min_llm_calls: z.number().int().min(1).describe('LLM calls needed before judging (count)'),
  ratio_threshold: z.number().gt(0).describe('static: LLM calls per tool call that count as a stall (ratio)'),
  min_ratio: z.number().gt(0).describe('with a baseline: never fire below this LLM:tool ratio (ratio)'),
  inflation_factor: inflationFactor,
  min_baseline_runs: minBaselineRuns,
});
type Params = z.infer<typeof schema>;

export const reasoningStall = defineDetector<Params>()({
  failure_type: 'REASONING_STALL',
  key: 'reasoning_stall',
  description: 'Many LLM calls per tool call (≥ `ratio_threshold`, or > 2× the agent P75 with a baseline).',
  live: false,
  needsBaseline: true,
  defaults: { min_llm_calls: 5, ratio_threshold: 4.0, min_ratio: 2.0, inflation_factor: 2.0, min_baseline_runs: 20 },
  schema,
  severities: ['MEDIUM', 'HIGH'],
  reads: [],
  detect(run, { params, baseline }) {
    const f = runFacts(run);
    const stalled = run?.status === 'stalled';
    if (!stalled && !endedOk(f)) return null;
    if (f.llm.length < params.min_llm_calls) return null;
    const ratio = f.llm.length / Math.max(f.tools.length, 1);
    const p75 = baselineValue(baseline, params.min_baseline_runs, baseline?.p75_llm_tool_ratio);
    const threshold = p75 === null ? params.ratio_threshold : Math.max(params.inflation_factor * p75, params.min_ratio);
    if (p75 === null ? ratio < threshold : ratio <= threshold) return null;
    return {
      failure_type: 'REASONING_STALL',
      severity: stalled ? 'HIGH' : 'MEDIUM',
      confidence: 0.7,
      step_index: f.llm[f.llm.length - 1].step_index,
      evidence: {
        llm_calls: f.llm.length,
        tool_calls: f.tools.length,
        ratio: round(ratio, 2),
        threshold: round(threshold, 2),
        mode: p75 === null ? 'static' : 'baseline',
        baseline_p75: p75 === null ? null : round(p75, 2),
        outcome: stalled ? 'stalled' : 'finished',
      },
    };
  },
  explain: (e) => ({
    title: `${e.n('llm_calls')} LLM calls for ${e.n('tool_calls')} tool calls`,
    what: `The agent made ${e.n('llm_calls')} LLM calls and ${e.n('tool_calls')} tool calls (ratio ${e.n('ratio')}, ${e.s('mode')} threshold ${e.n('threshold')}); the run ${e.s('outcome') === 'stalled' ? 'stalled' : 'finished'}.`,
    why_it_matters: 'Many LLM calls without action means the agent is deliberating in circles: cost and latency without progress.',
    suggested_fixes: [{ description: 'Limit consecutive LLM calls without a tool call or answer, and make the plan explicit in the prompt.' }],
  }),
});
