/**
 * RETRY_STORM (HIGH, 0.92, live). The same tool fails ≥ `threshold` times in a row (consecutive tool calls, all
 * success = false; a call of another tool, a success or a call still in flight ends the streak). The first streak
 * that reaches the threshold is reported with its full length. Step: the call that reached the threshold.
 * `recovered` tells whether a later call of that tool succeeded (on a live check it may still come).
 */
import { z } from 'zod';
import { runFacts, type ToolCallFact } from '../facts.js';
import { defineDetector } from '../types.js';
import { RETRY_WITH_BACKOFF } from '../fixes.js';
import { safeName } from '../util.js';

const schema = z.strictObject({
  threshold: z.number().int().min(2).describe('consecutive failed calls of one tool (count)'),
});
type Params = z.infer<typeof schema>;

function shared<T>(xs: T[]): T | null {
  return xs.length > 0 && xs[0] !== null && xs.every((x) => x === xs[0]) ? xs[0] : null;
}

export const retryStorm = defineDetector<Params>()({
  failure_type: 'RETRY_STORM',
  key: 'retry_storm',
  description: 'The same tool fails `threshold` or more times in a row.',
  live: true,
  defaults: { threshold: 3 },
  schema,
  severities: ['HIGH'],
  reads: ['tool.args_hash', 'tool.error_hash'],
  detect(run, { params }) {
    const calls = runFacts(run).tools;
    let i = 0;
    while (i < calls.length) {
      if (calls[i].success !== false) {
        i++;
        continue;
      }
      let j = i;
      while (j + 1 < calls.length && calls[j + 1].success === false && calls[j + 1].name === calls[i].name) j++;
      const streak: ToolCallFact[] = calls.slice(i, j + 1);
      if (streak.length >= params.threshold) {
        const hashes = streak.map((c) => c.args_hash);
        const reason = shared(streak.map((c) => c.error_hash));
        const errorType = shared(streak.map((c) => c.error_type));
        return {
          failure_type: 'RETRY_STORM',
          severity: 'HIGH',
          confidence: 0.92,
          step_index: streak[params.threshold - 1].step_index,
          evidence: {
            tool: safeName(streak[0].name),
            consecutive_fails: streak.length,
            threshold: params.threshold,
            first_fail_step: streak[0].step_index,
            last_fail_step: streak[streak.length - 1].step_index,
            args_identical: shared(hashes) !== null,
            distinct_args: new Set(hashes.filter((h) => h !== null)).size,
            failure_reason_hash: reason,
            reason_identical: reason !== null,
            error_type: errorType === null ? null : safeName(errorType),
            recovered: calls.slice(j + 1).some((c) => c.name === streak[0].name && c.success === true),
          },
        };
      }
      i = j + 1;
    }
    return null;
  },
  explain: (e) => ({
    title: `Retry storm: ${e.s('tool')} failed ${e.n('consecutive_fails')} times in a row`,
    what: `${e.s('tool')} failed ${e.n('consecutive_fails')} consecutive times (steps ${e.n('first_fail_step')}–${e.n('last_fail_step')}); arguments identical: ${e.is('args_identical') ? 'yes' : 'no'}, same error: ${e.is('reason_identical') ? 'yes' : 'no'}, recovered later: ${e.is('recovered') ? 'yes' : 'no'}.`,
    why_it_matters: 'Retrying the same failing call wastes time and quota and can hammer a struggling dependency.',
    suggested_fixes: [
      {
        description: 'Retry only retryable errors, with backoff and a small cap; then report the failure to the model.',
        language: 'typescript',
        code: RETRY_WITH_BACKOFF,
      },
    ],
  }),
});
