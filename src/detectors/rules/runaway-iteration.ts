/**
 * RUNAWAY_ITERATION (HIGH; CRITICAL at `critical_factor` × a ceiling; 0.85; live). A run that
 * crossed a hard ceiling without completing: it is still open (live check), stalled, or errored, and
 *  - its step count > `max_steps`, or
 *  - its running token total (known per-call totals) > `max_total_tokens`.
 * A run that completed normally is left to STEP_COUNT_INFLATION / COST_SPIKE. Step: where the first ceiling was
 * crossed.
 */
import { z } from 'zod';
import { endedOk, runFacts } from '../facts.js';
import { outputUnmeasurable } from '../degraded.js';
import { defineDetector } from '../types.js';
import { STEP_BUDGET } from '../fixes.js';

const schema = z.strictObject({
  max_steps: z.number().int().min(1).describe('step ceiling of one run (steps)'),
  max_total_tokens: z.number().int().min(1).describe('token ceiling of one run (tokens)'),
  critical_factor: z.number().gt(1).describe('multiple of a ceiling at which severity becomes CRITICAL (ratio)'),
});
type Params = z.infer<typeof schema>;

export const runawayIteration = defineDetector<Params>()({
  failure_type: 'RUNAWAY_ITERATION',
  key: 'runaway_iteration',
  description: 'Step or token ceiling crossed by a run that has not completed (open, stalled or errored).',
  live: true,
  defaults: { max_steps: 50, max_total_tokens: 200_000, critical_factor: 2 },
  schema,
  severities: ['HIGH', 'CRITICAL'],
  reads: [],
  detect(run, { params }) {
    const f = runFacts(run);
    // As the original: no verdict on a run whose LLM responses were all unreadable (INSTRUMENTATION_DEGRADED).
    if (endedOk(f) || run?.status === 'completed' || outputUnmeasurable(f)) return null;
    const steps = f.last_step;
    let total = 0;
    let tokenStep: number | null = null;
    for (const c of f.llm) {
      if (c.total_tokens === null) continue;
      total += c.total_tokens;
      if (tokenStep === null && total > params.max_total_tokens) tokenStep = c.step_index;
    }
    const stepCrossed = steps > params.max_steps ? params.max_steps + 1 : null;
    if (stepCrossed === null && tokenStep === null) return null;
    const ceiling = stepCrossed !== null && (tokenStep === null || stepCrossed <= tokenStep) ? 'steps' : 'tokens';
    const critical = steps >= params.critical_factor * params.max_steps || total >= params.critical_factor * params.max_total_tokens;
    return {
      failure_type: 'RUNAWAY_ITERATION',
      severity: critical ? 'CRITICAL' : 'HIGH',
      confidence: 0.85,
      step_index: ceiling === 'steps' ? (stepCrossed as number) : (tokenStep as number),
      evidence: {
        ceiling,
        steps,
        max_steps: params.max_steps,
        total_tokens: total,
        max_total_tokens: params.max_total_tokens,
        status: run?.status ?? 'open',
      },
    };
  },
  explain: (e) => ({
    title: `Runaway run: ${e.s('ceiling') === 'tokens' ? 'token' : 'step'} ceiling crossed`,
    what: `The run reached ${e.n('steps')} steps (ceiling ${e.n('max_steps')}) and ${e.n('total_tokens')} tokens (ceiling ${e.n('max_total_tokens')}) without completing (status ${e.s('status')}).`,
    why_it_matters: 'A run that keeps going without finishing costs money every step and will likely never answer.',
    suggested_fixes: [{ description: 'Enforce a hard step and token budget in the agent loop.', language: 'typescript', code: STEP_BUDGET }],
  }),
});
