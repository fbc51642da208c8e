/**
 * SESSION_LATENCY (MEDIUM, 0.75). The run's wall-clock time (ended_at − started_at):
 *  - static: > `max_wall_clock_ms` (5 min);
 *  - baseline (≥ `min_baseline_runs` runs): > max(`inflation_factor` (3) × P75(wall-clock), `min_wall_clock_ms`).
 * Judged on finished runs only. Step: the run's last step.
 */
import { z } from 'zod';
import { baselineValue } from '../baseline.js';
import { runFacts, wallClockMs } from '../facts.js';
import { defineDetector } from '../types.js';
import { TIMEOUT } from '../fixes.js';
import { round } from '../util.js';
import { inflationFactor, minBaselineRuns } from './common.js';

const schema = z.strictObject({
  max_wall_clock_ms: z.number().int().min(1).describe('static: run duration that counts as too slow (ms)'),
  min_wall_clock_ms: z.number().int().min(0).describe('with a baseline: never fire below this duration (ms)'),
  inflation_factor: inflationFactor,
  min_baseline_runs: minBaselineRuns,
});
type Params = z.infer<typeof schema>;

export const sessionLatency = defineDetector<Params>()({
  failure_type: 'SESSION_LATENCY',
  key: 'session_latency',
  description: 'Run wall-clock above `max_wall_clock_ms` (or > 3× the agent P75 with a baseline).',
  live: false,
  needsBaseline: true,
  defaults: { max_wall_clock_ms: 300_000, min_wall_clock_ms: 10_000, inflation_factor: 3.0, min_baseline_runs: 20 },
  schema,
  severities: ['MEDIUM'],
  reads: [],
  detect(run, { params, baseline }) {
    const f = runFacts(run);
    const wall = wallClockMs(run, f);
    if (wall === null) return null;
    const p75 = baselineValue(baseline, params.min_baseline_runs, baseline?.p75_wall_clock_ms);
    const threshold = p75 === null ? params.max_wall_clock_ms : Math.max(params.inflation_factor * p75, params.min_wall_clock_ms);
    if (!(wall > threshold)) return null;
    return {
      failure_type: 'SESSION_LATENCY',
      severity: 'MEDIUM',
      confidence: 0.75,
      step_index: f.last_step,
      evidence: {
        wall_clock_ms: Math.round(wall),
        threshold_ms: Math.round(threshold),
        ratio: round(wall / (p75 ?? threshold), 2),
        mode: p75 === null ? 'static' : 'baseline',
        baseline_p75_ms: p75 === null ? null : Math.round(p75),
        steps: f.last_step,
        llm_calls: f.llm.length,
        tool_calls: f.tools.length,
      },
    };
  },
  explain: (e) => ({
    title: `Run took ${e.ms('wall_clock_ms')}`,
    what: `The run took ${e.ms('wall_clock_ms')} end to end, above the ${e.s('mode')} threshold of ${e.ms('threshold_ms')} (${e.n('steps')} steps).`,
    why_it_matters: 'Users wait or give up; slow runs also hold resources and often hit upstream timeouts.',
    suggested_fixes: [
      { description: 'Find the slow steps (see SLOW_STEP) and add timeouts; run independent tool calls in parallel.', language: 'typescript', code: TIMEOUT },
    ],
  }),
});
