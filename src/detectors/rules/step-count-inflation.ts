/**
 * STEP_COUNT_INFLATION (MEDIUM, 0.82). Needs a baseline of ≥ `min_baseline_runs` (10) completed runs of the same
 * agent + version: fires when the run's step count > `inflation_factor` × P75(steps). Quiet without a baseline.
 * Step: the run's last step.
 */
import { z } from 'zod';
import { baselineValue } from '../baseline.js';
import { runFacts } from '../facts.js';
import { defineDetector } from '../types.js';
import { STEP_BUDGET } from '../fixes.js';
import { round } from '../util.js';
import { inflationFactor, minBaselineRuns } from './common.js';

const schema = z.strictObject({
  inflation_factor: inflationFactor,
  min_baseline_runs: minBaselineRuns,
});
type Params = z.infer<typeof schema>;

export const stepCountInflation = defineDetector<Params>()({
  failure_type: 'STEP_COUNT_INFLATION',
  key: 'step_count_inflation',
  description: 'The run took more than `inflation_factor` × the P75 step count of the agent+version.',
  live: false,
  needsBaseline: true,
  defaults: { inflation_factor: 2.0, min_baseline_runs: 10 },
  schema,
  severities: ['MEDIUM'],
  reads: [],
  detect(run, { params, baseline }) {
    const p75 = baselineValue(baseline, params.min_baseline_runs, baseline?.p75_steps);
    if (p75 === null || !baseline) return null;
    const steps = runFacts(run).last_step;
    if (!(steps > p75 * params.inflation_factor)) return null;
    return {
      failure_type: 'STEP_COUNT_INFLATION',
      severity: 'MEDIUM',
      confidence: 0.82,
      step_index: steps,
      evidence: {
        current_steps: steps,
        baseline_p75: round(p75, 1),
        inflation_ratio: round(steps / p75, 2),
        threshold_factor: params.inflation_factor,
        baseline_runs: baseline.sample_size,
      },
    };
  },
  explain: (e) => ({
    title: `Run took ${e.n('inflation_ratio')}× the usual number of steps`,
    what: `This run took ${e.n('current_steps')} steps against a P75 of ${e.n('baseline_p75')} over ${e.n('baseline_runs')} recent runs (threshold ${e.n('threshold_factor')}×).`,
    why_it_matters: 'Far more steps than usual means the agent wandered: higher cost and latency, often a worse answer.',
    suggested_fixes: [{ description: 'Look at the run for repeated or unnecessary calls; add a step budget.', language: 'typescript', code: STEP_BUDGET }],
  }),
});
