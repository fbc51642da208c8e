/**
 * TOOL_LOOP (HIGH, 0.95, live). Over the tool calls in call order, slide a window of `window` consecutive calls; the
 * first window in which one tool (first-appearance order) is called ≥ `threshold` times is a loop. Arguments are
 * not compared (distinct_args in the evidence tells retries of one query from fan-out over many).
 * Step: the call that reached the threshold. Unlike upstream (last window only) a loop the agent later escaped is
 * still reported, and live and final checks agree on the same window.
 */
import { z } from 'zod';
import { runFacts } from '../facts.js';
import { defineDetector } from '../types.js';
import { MAX_ITERATIONS_GUARD } from '../fixes.js';
import { safeName } from '../util.js';

const schema = z.strictObject({
  threshold: z.number().int().min(2).describe('calls of one tool within the window that make a loop (count)'),
  window: z.number().int().min(2).describe('consecutive tool calls looked at together (count)'),
});
type Params = z.infer<typeof schema>;

export const toolLoop = defineDetector<Params>()({
  failure_type: 'TOOL_LOOP',
  key: 'tool_loop',
  description: 'The same tool is called `threshold` times within `window` consecutive tool calls.',
  live: true,
  defaults: { threshold: 3, window: 5 },
  schema,
  severities: ['HIGH'],
  reads: ['tool.args_hash'],
  validate: (p) => (p.threshold > p.window ? 'threshold must not exceed window' : null),
  detect(run, { params }) {
    const calls = runFacts(run).tools;
    const { threshold, window } = params;
    for (let end = window; end <= calls.length; end++) {
      const win = calls.slice(end - window, end);
      const counts = new Map<string, number>();
      for (const c of win) counts.set(c.name, (counts.get(c.name) ?? 0) + 1);
      for (const [name, count] of counts) {
        if (count < threshold) continue;
        const hits = win.filter((c) => c.name === name);
        const hashes = hits.map((c) => c.args_hash);
        const distinct = new Set(hashes.filter((h) => h !== null));
        return {
          failure_type: 'TOOL_LOOP',
          severity: 'HIGH',
          confidence: 0.95,
          step_index: hits[threshold - 1].step_index,
          evidence: {
            tool: safeName(name),
            count,
            window,
            threshold,
            first_step: hits[0].step_index,
            last_step: hits[hits.length - 1].step_index,
            distinct_args: distinct.size,
            args_identical: distinct.size === 1 && hashes.every((h) => h !== null),
          },
        };
      }
    }
    return null;
  },
  explain: (e, step) => ({
    title: `Tool loop: ${e.s('tool')} called ${e.n('count')} times in ${e.n('window')} calls`,
    what: `The agent called ${e.s('tool')} ${e.n('count')} times within ${e.n('window')} consecutive tool calls (steps ${e.n('first_step')}–${e.n('last_step')}, ${e.n('distinct_args')} distinct argument sets), first flagged at step ${step}.`,
    why_it_matters: 'A looping agent burns tokens and latency without progress and often never reaches an answer.',
    suggested_fixes: [
      {
        description: 'Cap repeated calls of the same tool with the same arguments and make the agent answer or ask instead.',
        language: 'typescript',
        code: MAX_ITERATIONS_GUARD,
      },
      { description: 'Return tool results that tell the model what changed, so it does not repeat a call that already returned.' },
    ],
  }),
});
