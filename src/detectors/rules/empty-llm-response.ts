/**
 * EMPTY_LLM_RESPONSE (HIGH, 0.95). An LLM response that finished normally ("stop") with no tool call and an output
 * length KNOWN to be 0 (from content or from 0 output tokens). output_length null (content not captured, no token
 * count) never counts: that is upstream's false positive on OTel data. Step: the first empty response.
 */
import { z } from 'zod';
import { isEmptyResponse, runFacts } from '../facts.js';
import { outputUnmeasurable } from '../degraded.js';
import { defineDetector } from '../types.js';

const schema = z.strictObject({
  min_occurrences: z.number().int().min(1).describe('empty responses needed to fire (count)'),
});
type Params = z.infer<typeof schema>;

export const emptyLlmResponse = defineDetector<Params>()({
  failure_type: 'EMPTY_LLM_RESPONSE',
  key: 'empty_llm_response',
  description: 'An LLM response finished with "stop" but its output length is known to be 0.',
  live: false,
  defaults: { min_occurrences: 1 },
  schema,
  severities: ['HIGH'],
  reads: ['llm.output_length'],
  detect(run, { params }) {
    const f = runFacts(run);
    // Every response blank: the instrumentation could not read them (INSTRUMENTATION_DEGRADED), nothing to judge.
    if (outputUnmeasurable(f)) return null;
    const empty = f.llm.filter(isEmptyResponse);
    if (empty.length < params.min_occurrences) return null;
    const first = empty[0];
    return {
      failure_type: 'EMPTY_LLM_RESPONSE',
      severity: 'HIGH',
      confidence: 0.95,
      step_index: first.step_index,
      evidence: {
        occurrences: empty.length,
        first_step: first.step_index,
        finish_reason: first.finish_reason ?? 'stop',
        output_length_source: first.output_length_source,
      },
    };
  },
  explain: (e) => ({
    title: 'The LLM returned an empty answer',
    what: `${e.n('occurrences')} LLM responses finished normally (${e.s('finish_reason')}) with zero-length output, first at step ${e.n('first_step')}.`,
    why_it_matters: 'An empty answer reaches the user as a blank reply or breaks the next step that expects text.',
    suggested_fixes: [
      { description: 'Treat an empty "stop" response as an error: retry once, then fail visibly.' },
      { description: 'Check content filters and stop sequences that can cut the output to nothing.' },
    ],
  }),
});
