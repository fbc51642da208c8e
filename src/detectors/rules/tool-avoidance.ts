/**
 * TOOL_AVOIDANCE (MEDIUM, 0.75). The run ended in a final answer, the agent had tools (run.started tools or tools
 * offered on any LLM call), it made ≥ `min_llm_calls` LLM calls and not a single tool call.
 * Step: the last LLM call. Fires on OTLP runs: they do end in final_answer (root OK + last finish "stop").
 */
import { z } from 'zod';
import { runFacts } from '../facts.js';
import { defineDetector } from '../types.js';
import { nameList } from '../util.js';

const schema = z.strictObject({
  min_llm_calls: z.number().int().min(1).describe('LLM calls the run must have made without any tool call (count)'),
});
type Params = z.infer<typeof schema>;

export const toolAvoidance = defineDetector<Params>()({
  failure_type: 'TOOL_AVOIDANCE',
  key: 'tool_avoidance',
  description: 'Final answer with tools available, ≥ `min_llm_calls` LLM calls and no tool call at all.',
  live: false,
  defaults: { min_llm_calls: 2 },
  schema,
  severities: ['MEDIUM'],
  reads: [],
  detect(run, { params }) {
    const f = runFacts(run);
    if (f.exit !== 'final_answer') return null;
    if (f.available_tools.length === 0 || f.tools.length > 0) return null;
    if (f.llm.length < params.min_llm_calls) return null;
    const last = f.llm[f.llm.length - 1];
    return {
      failure_type: 'TOOL_AVOIDANCE',
      severity: 'MEDIUM',
      confidence: 0.75,
      step_index: last.step_index,
      evidence: {
        available_tool_count: f.available_tools.length,
        available_tools: nameList(f.available_tools),
        tool_calls_made: 0,
        tool_calls_requested: f.llm.reduce((n, c) => n + c.tool_calls.length, 0),
        llm_calls: f.llm.length,
      },
    };
  },
  explain: (e) => ({
    title: 'Answered without using any tool',
    what: `The agent had ${e.n('available_tool_count')} tools (${e.list('available_tools')}) and made ${e.n('llm_calls')} LLM calls, but called no tool before its final answer (${e.n('tool_calls_requested')} tool calls were requested by the model).`,
    why_it_matters: 'An answer given without the tools the task needs is often made up (hallucinated) rather than looked up.',
    suggested_fixes: [
      { description: 'Tell the model in the system prompt when a tool must be used, or force one with tool_choice: "required" for the first turn.' },
      { description: 'Check that tool descriptions match the questions users ask.' },
    ],
  }),
});
