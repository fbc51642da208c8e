/**
 * SCATTERSHOT_TOOL_USE (MEDIUM; shadow by default: the original's calibration found no thresholds with under 15%
 * false positives at 50% recall). A run that did not reach a final answer after spraying calls over many
 * different tools, repeatedly: at least `min_total_calls` tool calls and, over the last `scan_limit` of them, at
 * least `min_distinct_tools` distinct tools with calls/distinct ≥ `min_repeat_ratio`. A final answer vetoes it.
 * Confidence min(1, 0.5 + (r − 1) × 0.4) with r = ratio / min_repeat_ratio (the original's scale at its 1.5).
 * Step: the last tool call.
 */
import { z } from 'zod';
import { runFacts } from '../facts.js';
import { defineDetector } from '../types.js';
import { nameList, round } from '../util.js';

const schema = z.strictObject({
  min_distinct_tools: z.number().int().min(1).describe('distinct tools among the scanned calls (count)'),
  min_total_calls: z.number().int().min(1).describe('tool calls in the run (count)'),
  min_repeat_ratio: z.number().min(1).describe('scanned calls per distinct tool (ratio ≥ 1)'),
  scan_limit: z.number().int().min(1).describe('latest tool calls scanned (count)'),
});
type Params = z.infer<typeof schema>;

export const scattershotToolUse = defineDetector<Params>()({
  failure_type: 'SCATTERSHOT_TOOL_USE',
  key: 'scattershot_tool_use',
  description: 'No final answer after many calls spread over many tools (`min_distinct_tools`+, each repeated).',
  live: false,
  shadowByDefault: true,
  defaults: { min_distinct_tools: 6, min_total_calls: 8, min_repeat_ratio: 1.5, scan_limit: 250 },
  schema,
  severities: ['MEDIUM'],
  reads: [],
  detect(run, { params }) {
    const f = runFacts(run);
    if (f.tools.length < params.min_total_calls || f.exit === 'final_answer') return null;
    const scanned = f.tools.slice(-params.scan_limit);
    const distinct = new Set(scanned.map((t) => t.name));
    if (distinct.size < params.min_distinct_tools) return null;
    const ratio = scanned.length / distinct.size;
    if (ratio < params.min_repeat_ratio) return null;
    const r = ratio / params.min_repeat_ratio;
    const last = scanned[scanned.length - 1];
    return {
      failure_type: 'SCATTERSHOT_TOOL_USE',
      severity: 'MEDIUM',
      confidence: round(Math.min(1, 0.5 + (r - 1) * 0.4), 3),
      step_index: last.step_index,
      evidence: {
        distinct_tool_count: distinct.size,
        tools: nameList(distinct),
        total_calls: f.tools.length,
        repeat_ratio: round(ratio, 2),
        min_distinct_tools: params.min_distinct_tools,
        min_total_calls: params.min_total_calls,
        min_repeat_ratio: params.min_repeat_ratio,
        first_step: scanned[0].step_index,
        last_step: last.step_index,
        scan_truncated: scanned.length < f.tools.length,
      },
    };
  },
  explain: (e) => ({
    title: `Scattershot tool use: ${e.n('distinct_tool_count')} tools, ${e.n('total_calls')} calls, no answer`,
    what: `Between steps ${e.n('first_step')} and ${e.n('last_step')} the agent called ${e.n('distinct_tool_count')} different tools (${e.list('tools')}) ${e.n('repeat_ratio')} times each on average and never reached a final answer.`,
    why_it_matters:
      'Trying every tool in turn is a sign the agent does not know which tool fits the task; it costs time and tokens and usually ends without a result.',
    suggested_fixes: [
      {
        description: 'Give the agent fewer, better-described tools for the task, and stop it after a budget of tool calls.',
        language: 'typescript',
        code: `const MAX_TOOL_CALLS = 12;
let toolCalls = 0;
function beforeToolCall(name: string) {
  if (++toolCalls > MAX_TOOL_CALLS) throw new Error('tool budget spent without an answer; ask the user to clarify');
}`,
      },
    ],
  }),
});
