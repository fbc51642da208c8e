/**
 * GOAL_ABANDONMENT (MEDIUM, 0.70). A stalled run (no terminal event) that used tools and then only talked: its
 * last ≥ `stall_steps` events are all LLM events (llm.called / llm.responded; external signals are skipped, any
 * tool or retrieval event ends the count). A run hung inside a tool call does not match (its last event is a tool).
 * Step: the last step of the run.
 */
import { z } from 'zod';
import { runFacts } from '../facts.js';
import { defineDetector } from '../types.js';

const schema = z.strictObject({
  stall_steps: z.number().int().min(1).describe('trailing LLM events (called/responded) after the last tool use (count)'),
});
type Params = z.infer<typeof schema>;

export const goalAbandonment = defineDetector<Params>()({
  failure_type: 'GOAL_ABANDONMENT',
  key: 'goal_abandonment',
  description: 'Stalled run: tools were used, then only LLM events (≥ `stall_steps`) and no exit.',
  live: false,
  defaults: { stall_steps: 4 },
  schema,
  severities: ['MEDIUM'],
  reads: [],
  detect(run, { params }) {
    const f = runFacts(run);
    if (run?.status !== 'stalled' || f.tools.length === 0) return null;
    const events = f.events;
    let trailing = 0;
    const calls = new Set<string>();
    for (let i = events.length - 1; i >= 0; i--) {
      const t = events[i].event_type;
      if (t === 'llm.called' || t === 'llm.responded') {
        trailing++;
        calls.add(events[i].span_id);
      } else if (t === 'external.signal') {
        continue;
      } else break;
    }
    if (trailing < params.stall_steps) return null;
    const lastTool = f.tools[f.tools.length - 1];
    return {
      failure_type: 'GOAL_ABANDONMENT',
      severity: 'MEDIUM',
      confidence: 0.7,
      step_index: f.last_step,
      evidence: {
        stall_steps: params.stall_steps,
        trailing_llm_events: trailing,
        trailing_llm_calls: calls.size,
        last_tool_step: lastTool.step_index,
        current_step: f.last_step,
      },
    };
  },
  explain: (e) => ({
    title: 'Run stalled after the agent stopped using tools',
    what: `After its last tool call at step ${e.n('last_tool_step')}, the agent produced ${e.n('trailing_llm_events')} LLM events (${e.n('trailing_llm_calls')} calls) and then stopped without a final answer (step ${e.n('current_step')}).`,
    why_it_matters: 'The user got no answer: the agent gave up on its goal mid-task.',
    suggested_fixes: [
      { description: 'Always end the agent loop with an explicit answer or error, and put a timeout around the whole run.' },
      { description: 'Log and handle the case where the model returns neither a tool call nor a final answer.' },
    ],
  }),
});
