/**
 * RETRY_STORM (HIGH, 0.92, live). The same tool fails ≥ `threshold` times in a row (consecutive tool calls, all
 * success = false; a call of another tool, a success or a call still in flight ends the streak). The first streak
 * that reaches the threshold is reported with its full length. Step: the call that reached the threshold.
 * `recovered` tells whether a later call of that tool succeeded (on a live check it may still come).
 */
import { z } from 'zod';
import { runFacts, type ToolCallFact } from '../facts.js';
import type { Detector } from '../types.js';
import { safeName } from '../util.js';

const schema = z.strictObject({
  threshold: z.number().int().min(2).describe('consecutive failed calls of one tool (count)'),
});
type Params = z.infer<typeof schema>;

function shared<T>(xs: T[]): T | null {
  return xs.length > 0 && xs[0] !== null && xs.every((x) => x === xs[0]) ? xs[0] : null;
}

export const retryStorm: Detector<Params> = {
  failure_type: 'RETRY_STORM',
  key: 'retry_storm',
  description: 'The same tool fails `threshold` or more times in a row.',
  live: true,
  defaults: { threshold: 3 },
  schema,
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
};
