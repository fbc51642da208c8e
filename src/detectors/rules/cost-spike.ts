/**
 * COST_SPIKE (MEDIUM, 0.80). The run's total tokens (sum of known per-call totals; unknown counts never add up to a
 * spike):
 *  - static: > `max_total_tokens`;
 *  - baseline (≥ `min_baseline_runs` runs): > max(`inflation_factor` (3) × P75(total tokens), `min_total_tokens`).
 * Step: the LLM call at which the running total crossed the threshold.
 */
import { z } from 'zod';
import { baselineValue } from '../baseline.js';
import { runFacts } from '../facts.js';
import { defineDetector } from '../types.js';
import { STEP_BUDGET } from '../fixes.js';
import { round } from '../util.js';
import { inflationFactor, minBaselineRuns } from './common.js';

const schema = z.strictObject({
  max_total_tokens: z.number().int().min(1).describe('static: total tokens of one run that count as a spike (tokens)'),
  min_total_tokens: z.number().int().min(0).describe('with a baseline: never fire below this total (tokens)'),
  inflation_factor: inflationFactor,
  min_baseline_runs: minBaselineRuns,
});
type Params = z.infer<typeof schema>;

export const costSpike = defineDetector<Params>()({
  failure_type: 'COST_SPIKE',
  key: 'cost_spike',
  description: 'Total tokens of the run above `max_total_tokens` (or > 3× the agent P75 with a baseline).',
  live: false,
  needsBaseline: true,
  defaults: { max_total_tokens: 50_000, min_total_tokens: 1_000, inflation_factor: 3.0, min_baseline_runs: 20 },
  schema,
  severities: ['MEDIUM'],
  reads: [],
  detect(run, { params, baseline }) {
    const f = runFacts(run);
    const p75 = baselineValue(baseline, params.min_baseline_runs, baseline?.p75_total_tokens);
    const threshold = p75 === null ? params.max_total_tokens : Math.max(params.inflation_factor * p75, params.min_total_tokens);
    let total = 0;
    let known = 0;
    let crossedAt: number | null = null;
    for (const c of f.llm) {
      if (c.total_tokens === null) continue;
      total += c.total_tokens;
      known++;
      if (crossedAt === null && total > threshold) crossedAt = c.step_index;
    }
    if (crossedAt === null) return null;
    return {
      failure_type: 'COST_SPIKE',
      severity: 'MEDIUM',
      confidence: 0.8,
      step_index: crossedAt,
      evidence: {
        total_tokens: total,
        threshold_tokens: Math.round(threshold),
        ratio: round(total / (p75 ?? threshold), 2),
        mode: p75 === null ? 'static' : 'baseline',
        baseline_p75: p75 === null ? null : Math.round(p75),
        llm_calls: f.llm.length,
        calls_with_token_counts: known,
      },
    };
  },
  explain: (e) => ({
    title: `Run used ${e.n('total_tokens')} tokens`,
    what: `The run used ${e.n('total_tokens')} tokens over ${e.n('llm_calls')} LLM calls, above the ${e.s('mode')} threshold of ${e.n('threshold_tokens')}.`,
    why_it_matters: 'Token spend is cost; one run far above normal usually hides a loop or oversized context.',
    suggested_fixes: [
      { description: 'Add a per-run token budget and look for loops or bloated context in this run.', language: 'typescript', code: STEP_BUDGET },
    ],
  }),
});
