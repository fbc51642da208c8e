/**
 * TOOL_THRASHING (HIGH, 0.90, live). Over the tool calls in call order, the first window of `window` consecutive
 * calls that uses exactly two tools in strict alternation (every adjacent pair differs: A B A B A B).
 * Step: the last call of that window.
 */
import { z } from 'zod';
import { runFacts } from '../facts.js';
import { defineDetector } from '../types.js';
import { MAX_ITERATIONS_GUARD } from '../fixes.js';
import { safeName } from '../util.js';

const schema = z.strictObject({
  window: z.number().int().min(4).describe('consecutive alternating tool calls that count as thrashing (count)'),
});
type Params = z.infer<typeof schema>;

export const toolThrashing = defineDetector<Params>()({
  failure_type: 'TOOL_THRASHING',
  key: 'tool_thrashing',
  description: 'Two tools called in strict alternation (A B A B …) for `window` consecutive tool calls.',
  live: true,
  defaults: { window: 6 },
  schema,
  severities: ['HIGH'],
  reads: [],
  detect(run, { params }) {
    const calls = runFacts(run).tools;
    const { window } = params;
    for (let end = window; end <= calls.length; end++) {
      const win = calls.slice(end - window, end);
      const names = [...new Set(win.map((c) => c.name))];
      if (names.length !== 2) continue;
      if (!win.every((c, i) => i === 0 || c.name !== win[i - 1].name)) continue;
      return {
        failure_type: 'TOOL_THRASHING',
        severity: 'HIGH',
        confidence: 0.9,
        step_index: win[win.length - 1].step_index,
        evidence: {
          tool_a: safeName(names[0]),
          tool_b: safeName(names[1]),
          pattern: win.map((c) => (c.name === names[0] ? 'A' : 'B')).join(''),
          count: window,
          first_step: win[0].step_index,
          last_step: win[win.length - 1].step_index,
        },
      };
    }
    return null;
  },
  explain: (e) => ({
    title: `Tool thrashing between ${e.s('tool_a')} and ${e.s('tool_b')}`,
    what: `The agent alternated between ${e.s('tool_a')} and ${e.s('tool_b')} for ${e.n('count')} consecutive tool calls (steps ${e.n('first_step')}–${e.n('last_step')}, pattern ${e.s('pattern')}).`,
    why_it_matters: 'Strict alternation means each tool undoes or re-checks the other: the agent is stuck, not converging.',
    suggested_fixes: [
      { description: 'Give the agent a way to carry state between the two tools (or merge them) so it does not re-check.' },
      { description: 'Stop after N alternations and ask for clarification.', language: 'typescript', code: MAX_ITERATIONS_GUARD },
    ],
  }),
});
