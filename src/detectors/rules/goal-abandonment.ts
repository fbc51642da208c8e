/**
 * GOAL_ABANDONMENT (MEDIUM, 0.70). A stalled run (no terminal event) that used tools and then only talked: its
 * last ≥ `stall_steps` events are all LLM events (llm.called / llm.responded; external signals are skipped, any
 * tool or retrieval event ends the count). A run hung inside a tool call does not match (its last event is a tool).
 * Step: the last step of the run.
 */
import { z } from 'zod';
import { runFacts } from '../facts.js';
import type { Detector } from '../types.js';

const schema = z.strictObject({
  stall_steps: z.number().int().min(1).describe('trailing LLM events (called/responded) after the last tool use (count)'),
});
type Params = z.infer<typeof schema>;

export const goalAbandonment: Detector<Params> = {
  failure_type: 'GOAL_ABANDONMENT',
  key: 'goal_abandonment',
  description: 'Stalled run: tools were used, then only LLM events (≥ `stall_steps`) and no exit.',
  live: false,
  defaults: { stall_steps: 4 },
  schema,
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
};
