/**
 * SILENT_TRUNCATION (MEDIUM; HIGH when the truncated response is the run's last LLM output; alerts by default).
 * An LLM response cut off by its token limit whose output the agent then used instead of retrying.
 *  - truncated: finish_reason length/max_tokens (0.85), or, with `count_max_tokens_hit` and no finish reason,
 *    output tokens ≥ the request's max_tokens (0.70);
 *  - retried: the next LLM call re-sends the same input (same input_hash) or raises max_tokens. Anything else
 *    (a continuation, a tool call from the cut response, the run ending) means the truncated output was used.
 * Judged on finished runs. Step: the first truncated response that was not retried.
 */
import { z } from 'zod';
import { isTruncated, runFacts, type LlmCallFact } from '../facts.js';
import { defineDetector } from '../types.js';
import { FINISH_REASON_CHECK } from '../fixes.js';

const schema = z.strictObject({
  count_max_tokens_hit: z.boolean().describe('treat output tokens ≥ max_tokens as truncated when no finish reason is reported (true/false)'),
});
type Params = z.infer<typeof schema>;

function hitLimit(c: LlmCallFact): boolean {
  return c.finish_reason === null && c.max_tokens !== null && c.max_tokens > 0 && c.completion_tokens !== null && c.completion_tokens >= c.max_tokens;
}

function retriedBy(cut: LlmCallFact, next: LlmCallFact | undefined): boolean {
  if (!next) return false;
  if (cut.input_hash !== null && next.input_hash === cut.input_hash) return true;
  return cut.max_tokens !== null && next.max_tokens !== null && next.max_tokens > cut.max_tokens;
}

export const silentTruncation = defineDetector<Params>()({
  failure_type: 'SILENT_TRUNCATION',
  key: 'silent_truncation',
  description: 'An LLM response cut off by its token limit was used without a retry.',
  live: false,
  defaults: { count_max_tokens_hit: true },
  schema,
  severities: ['MEDIUM', 'HIGH'],
  reads: ['llm.input_hash'],
  detect(run, { params }) {
    const calls = runFacts(run).llm.filter((c) => c.responded);
    const cut = calls.map((c, i) => ({ c, i, byReason: isTruncated(c) })).filter(({ c, byReason }) => byReason || (params.count_max_tokens_hit && hitLimit(c)));
    const silent = cut.filter(({ c, i }) => !retriedBy(c, calls[i + 1]));
    if (silent.length === 0) return null;
    const { c, i, byReason } = silent[0];
    const final = i === calls.length - 1;
    return {
      failure_type: 'SILENT_TRUNCATION',
      severity: final ? 'HIGH' : 'MEDIUM',
      confidence: byReason ? 0.85 : 0.7,
      step_index: c.step_index,
      evidence: {
        truncated_step: c.step_index,
        detected_by: byReason ? 'finish_reason' : 'max_tokens_hit',
        completion_tokens: c.completion_tokens,
        max_tokens: c.max_tokens,
        final_output: final,
        tool_calls_from_truncated: c.tool_calls.length,
        truncated_calls: cut.length,
        retried_calls: cut.length - silent.length,
      },
    };
  },
  explain: (e) => ({
    title: 'A cut-off LLM response was used without retry',
    what: `The LLM response at step ${e.n('truncated_step')} hit its token limit (${e.s('detected_by').replace(/_/g, ' ')}${e.has('completion_tokens') && e.has('max_tokens') ? `: ${e.n('completion_tokens')} of max ${e.n('max_tokens')} tokens` : ''}) and was used as is${e.is('final_output') ? ' as the final answer' : ''}.`,
    why_it_matters: 'A truncated answer or cut tool arguments silently degrade the result without any error.',
    suggested_fixes: [{ description: 'Check finish_reason and retry or continue when it is "length".', language: 'typescript', code: FINISH_REASON_CHECK }],
  }),
});
