/**
 * LLM_TRUNCATION_LOOP (HIGH, 0.90). ≥ `threshold` LLM responses hit the output token limit (finish_reason
 * "length" / "max_tokens"), not necessarily in a row. Step: the truncation that reached the threshold.
 */
import { z } from 'zod';
import { isTruncated, runFacts } from '../facts.js';
import { defineDetector } from '../types.js';
import { FINISH_REASON_CHECK } from '../fixes.js';

const schema = z.strictObject({
  threshold: z.number().int().min(2).describe('truncated LLM responses in one run (count)'),
});
type Params = z.infer<typeof schema>;

export const llmTruncationLoop = defineDetector<Params>()({
  failure_type: 'LLM_TRUNCATION_LOOP',
  key: 'llm_truncation_loop',
  description: '`threshold` or more LLM responses cut off by the token limit (finish_reason length).',
  live: false,
  defaults: { threshold: 2 },
  schema,
  severities: ['HIGH'],
  reads: [],
  detect(run, { params }) {
    const f = runFacts(run);
    const cut = f.llm.filter(isTruncated);
    if (cut.length < params.threshold) return null;
    let longest = 0;
    let streak = 0;
    for (const c of f.llm) {
      streak = isTruncated(c) ? streak + 1 : 0;
      longest = Math.max(longest, streak);
    }
    return {
      failure_type: 'LLM_TRUNCATION_LOOP',
      severity: 'HIGH',
      confidence: 0.9,
      step_index: cut[params.threshold - 1].step_index,
      evidence: {
        truncation_count: cut.length,
        total_llm_calls: f.llm.length,
        first_truncation_step: cut[0].step_index,
        last_truncation_step: cut[cut.length - 1].step_index,
        longest_consecutive: longest,
      },
    };
  },
  explain: (e) => ({
    title: `${e.n('truncation_count')} LLM responses cut off by the token limit`,
    what: `${e.n('truncation_count')} of ${e.n('total_llm_calls')} LLM responses stopped at the output token limit (steps ${e.n('first_truncation_step')}–${e.n('last_truncation_step')}).`,
    why_it_matters: 'Truncated outputs are incomplete (cut JSON, half tool arguments); retrying with the same budget repeats the failure.',
    suggested_fixes: [
      {
        description: 'Raise max_tokens for this call, or ask for shorter output; check finish_reason before using a response.',
        language: 'typescript',
        code: FINISH_REASON_CHECK,
      },
    ],
  }),
});
