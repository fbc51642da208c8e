/**
 * FIRST_STEP_FAILURE (MEDIUM). The run failed right at the start, within the first `max_step` steps (run.started is
 * step 0, each LLM/tool/retrieval span the next step). Checked in order:
 *  (a) run errored and no LLM/tool/retrieval step went past `max_step` (0.90, trigger run_errored);
 *  (b) an empty LLM response (finish "stop", output length known 0) at step ≤ max_step (0.88, empty_llm_response);
 *  (c) a failed tool call at step ≤ max_step (0.85, tool_failure);
 *  (d) a failed LLM call at step ≤ max_step (0.85, llm_error).
 * Step: the failing step.
 */
import { z } from 'zod';
import { isEmptyResponse, runFacts } from '../facts.js';
import { outputUnmeasurable } from '../degraded.js';
import { defineDetector, type Signal } from '../types.js';
import { safeName } from '../util.js';

const schema = z.strictObject({
  max_step: z.number().int().min(1).describe('last step that counts as "the start" (step number)'),
});
type Params = z.infer<typeof schema>;

type Trigger =
  | { trigger: 'run_errored'; error_type: string | null }
  | { trigger: 'empty_llm_response' }
  | { trigger: 'tool_failure'; tool: string; error_type: string | null }
  | { trigger: 'llm_error'; model: string | null; error_type: string | null };
type FirstStepEvidence = {
  failed_step: number;
  max_step: number;
  trigger: Trigger['trigger'];
  tool?: string;
  model?: string | null;
  error_type?: string | null;
};

export const firstStepFailure = defineDetector<Params>()({
  failure_type: 'FIRST_STEP_FAILURE',
  key: 'first_step_failure',
  description: 'Error, empty LLM response or failed call within the first `max_step` steps.',
  live: false,
  defaults: { max_step: 2 },
  schema,
  severities: ['MEDIUM'],
  reads: ['llm.output_length'],
  detect(run, { params }) {
    const f = runFacts(run);
    const max = params.max_step;
    const make = (confidence: number, step: number, evidence: Trigger): Signal<FirstStepEvidence> => ({
      failure_type: 'FIRST_STEP_FAILURE',
      severity: 'MEDIUM',
      confidence,
      step_index: step,
      evidence: { failed_step: step, max_step: max, ...evidence },
    });
    const work = [...f.llm, ...f.tools, ...f.retrievals];
    if (f.exit === 'error' && work.every((w) => w.step_index <= max)) {
      const errorType = f.terminal?.payload.error_type;
      const lastWork = work.reduce((m, w) => Math.max(m, w.step_index), 0);
      return make(0.9, work.length > 0 ? lastWork : (f.terminal?.step_index ?? 0), {
        trigger: 'run_errored',
        error_type: typeof errorType === 'string' ? safeName(errorType) : null,
      });
    }
    // Blank responses on a run whose responses were all unreadable are INSTRUMENTATION_DEGRADED, not empty answers.
    const empty = outputUnmeasurable(f) ? undefined : f.llm.find((c) => c.step_index <= max && isEmptyResponse(c));
    if (empty) return make(0.88, empty.step_index, { trigger: 'empty_llm_response' });
    const tool = f.tools.find((t) => t.step_index <= max && t.success === false);
    if (tool) {
      return make(0.85, tool.step_index, {
        trigger: 'tool_failure',
        tool: safeName(tool.name),
        error_type: tool.error_type === null ? null : safeName(tool.error_type),
      });
    }
    const llm = f.llm.find((c) => c.step_index <= max && c.success === false);
    if (llm) {
      return make(0.85, llm.step_index, {
        trigger: 'llm_error',
        model: llm.model === null ? null : safeName(llm.model),
        error_type: llm.error_type === null ? null : safeName(llm.error_type),
      });
    }
    return null;
  },
  explain: (e) => ({
    title: `Run failed at step ${e.n('failed_step')}`,
    what: `The run failed right at the start (step ${e.n('failed_step')}, within the first ${e.n('max_step')} steps): ${e.s('trigger').replace(/_/g, ' ')}${e.s('tool', '') ? ` in ${e.s('tool')}` : ''}${e.s('error_type', '') ? ` (${e.s('error_type')})` : ''}.`,
    why_it_matters: 'Failing immediately usually means a configuration or deployment problem that hits every run.',
    suggested_fixes: [
      { description: 'Check credentials, model names and tool endpoints of this agent version.' },
      { description: 'Add a start-up health check for the tools and model the agent needs.' },
    ],
  }),
});
