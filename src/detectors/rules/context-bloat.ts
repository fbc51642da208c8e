/**
 * CONTEXT_BLOAT (MEDIUM, 0.80). The prompt keeps growing within the run. Over the LLM calls that report prompt
 * tokens (> 0): ≥ `min_calls` calls, first ≥ 10 tokens, last ≥ `min_last_tokens`, and
 *  - static (no baseline of ≥ `min_baseline_runs` runs): last / first ≥ `growth_factor`;
 *  - baseline: the prompt grew (last > first) and either growth > `inflation_factor` × P75(growth) or
 *    last > `inflation_factor` × P75(last prompt tokens) of the agent's completed runs.
 * Step: the last LLM call counted.
 */
import { z } from 'zod';
import { baselineValue } from '../baseline.js';
import { runFacts } from '../facts.js';
import { defineDetector } from '../types.js';
import { TRIM_HISTORY } from '../fixes.js';
import { round } from '../util.js';
import { inflationFactor, minBaselineRuns } from './common.js';

const MIN_FIRST_TOKENS = 10;

const schema = z.strictObject({
  growth_factor: z.number().gt(1).describe('static: last / first prompt tokens that count as bloat (ratio)'),
  min_calls: z.number().int().min(2).describe('LLM calls with prompt token counts needed (count)'),
  min_last_tokens: z.number().int().min(0).describe('the last prompt must be at least this big (tokens)'),
  inflation_factor: inflationFactor,
  min_baseline_runs: minBaselineRuns,
});
type Params = z.infer<typeof schema>;

export const contextBloat = defineDetector<Params>()({
  failure_type: 'CONTEXT_BLOAT',
  key: 'context_bloat',
  description: 'Prompt tokens grow ≥ `growth_factor`× within the run (or > 2× the agent P75 with a baseline).',
  live: false,
  needsBaseline: true,
  defaults: { growth_factor: 3.0, min_calls: 3, min_last_tokens: 2000, inflation_factor: 2.0, min_baseline_runs: 20 },
  schema,
  severities: ['MEDIUM'],
  reads: [],
  detect(run, { params, baseline }) {
    const calls = runFacts(run).llm.filter((c) => c.prompt_tokens !== null && c.prompt_tokens > 0);
    if (calls.length < params.min_calls) return null;
    const first = calls[0].prompt_tokens as number;
    const last = calls[calls.length - 1].prompt_tokens as number;
    if (first < MIN_FIRST_TOKENS || last < params.min_last_tokens) return null;
    const growth = last / first;
    const p75Growth = baselineValue(baseline, params.min_baseline_runs, baseline?.p75_prompt_growth);
    const p75Last = baselineValue(baseline, params.min_baseline_runs, baseline?.p75_last_prompt_tokens);
    let mode: 'static' | 'baseline' = 'static';
    let trigger: 'growth' | 'last_tokens' = 'growth';
    let threshold = params.growth_factor;
    let p75: number | null = null;
    if (p75Growth !== null || p75Last !== null) {
      mode = 'baseline';
      if (growth <= 1) return null;
      if (p75Growth !== null && growth > params.inflation_factor * p75Growth) {
        threshold = params.inflation_factor * p75Growth;
        p75 = p75Growth;
      } else if (p75Last !== null && last > params.inflation_factor * p75Last) {
        trigger = 'last_tokens';
        threshold = params.inflation_factor * p75Last;
        p75 = p75Last;
      } else return null;
    } else if (growth < params.growth_factor) return null;
    return {
      failure_type: 'CONTEXT_BLOAT',
      severity: 'MEDIUM',
      confidence: 0.8,
      step_index: calls[calls.length - 1].step_index,
      evidence: {
        first_tokens: first,
        last_tokens: last,
        growth_factor: round(growth, 2),
        llm_call_count: calls.length,
        first_call_step: calls[0].step_index,
        last_call_step: calls[calls.length - 1].step_index,
        mode,
        trigger,
        threshold: round(threshold, 2),
        baseline_p75: p75 === null ? null : round(p75, 2),
        baseline_runs: mode === 'baseline' && baseline ? baseline.sample_size : 0,
      },
    };
  },
  explain: (e) => ({
    title: `Prompt grew ${e.n('growth_factor')}× during the run`,
    what: `Prompt tokens went from ${e.n('first_tokens')} to ${e.n('last_tokens')} over ${e.n('llm_call_count')} LLM calls (steps ${e.n('first_call_step')}–${e.n('last_call_step')}; ${e.s('mode')} threshold ${e.n('threshold')}).`,
    why_it_matters: "Growing context raises cost and latency on every call and pushes instructions out of the model's attention.",
    suggested_fixes: [{ description: 'Trim or summarise old turns and large tool outputs before each call.', language: 'typescript', code: TRIM_HISTORY }],
  }),
});
