/**
 * OVERSIZED_TOOL_ARGUMENTS (MEDIUM, 0.9; live; shadow by default, as the original ships it). A tool call whose
 * arguments are longer than `max_arg_length`: the model is pasting documents or whole histories into a tool, which
 * costs tokens, hits tool limits and often means it lost track of what the tool needs. The length is the args
 * length fact, measured before any capping where the raw arguments were seen (tool spans with content capture
 * off carry none, and never fire). Step: the first oversized call.
 * Precision: the args length fact counts UTF-16 code units today (mapping/content/index.ts, dunetrace-events.ts,
 * sdk/run.ts); the original counts code points (Python len). They differ only for characters outside the BMP
 * (emoji, rare CJK), which count twice here, so arguments of such characters fire from 5,000 of them. Issue 12
 * item 2 moves every length fact to code points.
 */
import { z } from 'zod';
import { runFacts } from '../facts.js';
import { defineDetector } from '../types.js';
import { safeName } from '../util.js';

const schema = z.strictObject({
  max_arg_length: z.number().int().min(1).describe('longest tool arguments allowed (characters)'),
});
type Params = z.infer<typeof schema>;

export const oversizedToolArguments = defineDetector<Params>()({
  failure_type: 'OVERSIZED_TOOL_ARGUMENTS',
  key: 'oversized_tool_arguments',
  description: 'A tool was called with arguments longer than `max_arg_length` characters.',
  live: true,
  shadowByDefault: true,
  defaults: { max_arg_length: 10_000 },
  schema,
  severities: ['MEDIUM'],
  reads: ['tool.args_length'],
  detect(run, { params }) {
    const over = runFacts(run).tools.filter((t) => t.args_length !== null && t.args_length > params.max_arg_length);
    if (over.length === 0) return null;
    const first = over[0];
    return {
      failure_type: 'OVERSIZED_TOOL_ARGUMENTS',
      severity: 'MEDIUM',
      confidence: 0.9,
      step_index: first.step_index,
      evidence: {
        step_index: first.step_index,
        tool_name: safeName(first.name),
        arg_length: first.args_length as number,
        threshold: params.max_arg_length,
        oversized_calls: over.length,
      },
    };
  },
  explain: (e) => ({
    title: `Oversized arguments to ${e.s('tool_name')}`,
    what: `At step ${e.n('step_index')} ${e.s('tool_name')} was called with ${e.n('arg_length')} characters of arguments (limit ${e.n('threshold')}); ${e.n('oversized_calls')} call(s) in the run were over the limit.`,
    why_it_matters:
      'Huge tool arguments burn tokens, hit API limits and usually mean the model is stuffing context into a tool instead of passing a reference.',
    suggested_fixes: [
      {
        description: 'Validate argument size in the tool and pass references (ids, URLs) instead of whole documents.',
        language: 'typescript',
        code: `const MAX_ARGS = 10_000;
function checkArgs(name: string, args: unknown) {
  const n = [...JSON.stringify(args)].length;
  if (n > MAX_ARGS) throw new Error(name + ': arguments too large (' + n + ' chars); pass an id or a URL instead');
}`,
      },
    ],
  }),
});
