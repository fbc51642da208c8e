/**
 * CASCADING_TOOL_FAILURE (HIGH, 0.88, live). A streak of ≥ `threshold` consecutive failed tool calls (success =
 * false; a success or a call in flight ends it) that spans ≥ `min_distinct_tools` different tools: one failure
 * dragging the next tools down. Step: the call at which the streak first met both conditions.
 */
import { z } from 'zod';
import { runFacts } from '../facts.js';
import { defineDetector } from '../types.js';
import { nameList } from '../util.js';

const schema = z.strictObject({
  threshold: z.number().int().min(2).describe('consecutive failed tool calls (count)'),
  min_distinct_tools: z.number().int().min(2).describe('different tools among them (count)'),
});
type Params = z.infer<typeof schema>;

export const cascadingToolFailure = defineDetector<Params>()({
  failure_type: 'CASCADING_TOOL_FAILURE',
  key: 'cascading_tool_failure',
  description: '`threshold` or more consecutive tool failures across `min_distinct_tools` or more tools.',
  live: true,
  defaults: { threshold: 3, min_distinct_tools: 2 },
  schema,
  severities: ['HIGH'],
  reads: [],
  validate: (p) => (p.min_distinct_tools > p.threshold ? 'min_distinct_tools must not exceed threshold' : null),
  detect(run, { params }) {
    const calls = runFacts(run).tools;
    let start = -1;
    const names = new Set<string>();
    for (let i = 0; i < calls.length; i++) {
      if (calls[i].success !== false) {
        start = -1;
        names.clear();
        continue;
      }
      if (start < 0) start = i;
      names.add(calls[i].name);
      if (i - start + 1 < params.threshold || names.size < params.min_distinct_tools) continue;
      let end = i;
      while (end + 1 < calls.length && calls[end + 1].success === false) end++;
      const streak = calls.slice(start, end + 1);
      const all = [...new Set(streak.map((c) => c.name))].sort();
      return {
        failure_type: 'CASCADING_TOOL_FAILURE',
        severity: 'HIGH',
        confidence: 0.88,
        step_index: calls[i].step_index,
        evidence: {
          consecutive_failures: streak.length,
          distinct_tools: nameList(all),
          distinct_tool_count: all.length,
          threshold: params.threshold,
          first_fail_step: streak[0].step_index,
          last_fail_step: streak[streak.length - 1].step_index,
        },
      };
    }
    return null;
  },
  explain: (e) => ({
    title: `${e.n('consecutive_failures')} tool failures in a row across ${e.n('distinct_tool_count')} tools`,
    what: `${e.n('consecutive_failures')} consecutive tool calls failed (steps ${e.n('first_fail_step')}–${e.n('last_fail_step')}) across ${e.list('distinct_tools')}.`,
    why_it_matters: 'Failures spreading across tools usually share a cause (auth, network, bad state) that retries cannot fix.',
    suggested_fixes: [
      { description: 'Stop the run after N consecutive tool failures and report the shared cause.' },
      { description: 'Check the dependency the failing tools share (credentials, network, upstream service).' },
    ],
  }),
});
