/**
 * UNREAD_TOOL_ERROR (HIGH 0.80 with 2+ unread errors, else MEDIUM 0.65). A tool call failed (as in
 * PREMATURE_TERMINATION) and the agent's next action ignored it: another tool call, or an LLM answer whose text
 * acknowledges no problem. An answer whose text was not captured is unknown, not "unread" (the original counts it;
 * its acknowledgement bitmask is computed in the agent's process even when no text is exported). Step: the first
 * ignoring action.
 */
import { z } from 'zod';
import { runContent } from '../content-facts.js';
import { runFacts } from '../facts.js';
import { TOOL_ERROR_MESSAGE } from '../fixes.js';
import { defineDetector } from '../types.js';
import { safeName } from '../util.js';
import { DEFAULT_ACK, DEFAULT_MARKERS, ERROR_ACK_TERMS, ERROR_MARKERS, ackTerms, errorMarkers, problemCall, subsetMask } from './content-terms.js';

const schema = z.strictObject({
  error_acknowledgment_terms: ackTerms,
  error_markers: errorMarkers,
});
type Params = z.infer<typeof schema>;

interface Action {
  step: number;
  ordinal: number;
  type: 'tool_call' | 'llm_response';
  /** For answers: acknowledgement bits, null when the text was not captured. */
  ack: number | null;
}

export const unreadToolError = defineDetector<Params>()({
  failure_type: 'UNREAD_TOOL_ERROR',
  key: 'unread_tool_error',
  description: "A tool call failed and the agent's next action (a tool call, or an answer without acknowledging it) ignored the error.",
  severities: ['MEDIUM', 'HIGH'],
  reads: ['llm.reply_terms', 'tool.error_markers'],
  live: false,
  defaults: { error_acknowledgment_terms: DEFAULT_ACK, error_markers: DEFAULT_MARKERS },
  schema,
  detect(run, { params }) {
    const facts = runFacts(run);
    const content = runContent(run);
    const ackMask = subsetMask(params.error_acknowledgment_terms, ERROR_ACK_TERMS);
    const markerMask = subsetMask(params.error_markers, ERROR_MARKERS);
    const actions: Action[] = [];
    for (const t of facts.tools) actions.push({ step: t.step_index, ordinal: t.ordinal, type: 'tool_call', ack: null });
    facts.llm.forEach((c, i) => {
      if (!c.responded) return;
      const reply = content.llm[i].reply;
      actions.push({ step: c.step_index, ordinal: c.ordinal, type: 'llm_response', ack: reply === null ? null : reply.ack & ackMask });
    });
    actions.sort((a, b) => a.step - b.step || a.ordinal - b.ordinal);

    let first: { problem: NonNullable<ReturnType<typeof problemCall>>; next: Action } | null = null;
    let unread = 0;
    for (let i = 0; i < facts.tools.length; i++) {
      const problem = problemCall(facts.tools[i], content.tools[i].terms, markerMask);
      if (problem === null) continue;
      const next = actions.find((a) => a.step > problem.call.step_index);
      if (next === undefined) continue;
      const ignored = next.type === 'tool_call' || (next.ack !== null && next.ack === 0);
      if (!ignored) continue;
      unread++;
      first ??= { problem, next };
    }
    if (first === null) return null;
    return {
      failure_type: 'UNREAD_TOOL_ERROR',
      severity: unread >= 2 ? 'HIGH' : 'MEDIUM',
      confidence: unread >= 2 ? 0.8 : 0.65,
      step_index: first.next.step,
      evidence: {
        failed_tool: safeName(first.problem.call.name),
        failed_tool_step: first.problem.call.step_index,
        matched_error_marker: first.problem.marker,
        failure_source: first.problem.source,
        next_action_step: first.next.step,
        next_action_type: first.next.type,
        unread_count: unread,
      },
    };
  },
  explain: (e) => ({
    title: `The error from ${e.s('failed_tool')} was ignored`,
    what:
      `The ${e.s('failed_tool')} tool failed at step ${e.n('failed_tool_step')}` +
      (e.s('failure_source') === 'output_text' ? ` (its result reported '${e.s('matched_error_marker')}')` : '') +
      (e.s('next_action_type') === 'tool_call'
        ? `; at step ${e.n('next_action_step')} the agent called another tool as if it had succeeded`
        : `; the answer at step ${e.n('next_action_step')} did not acknowledge the error`) +
      ` (${e.n('unread_count')} unread error${e.s('unread_count') === '1' ? '' : 's'} in the run).`,
    why_it_matters: 'An agent that acts on a failed result builds on data it never got, and the user never hears about the failure.',
    suggested_fixes: [
      { description: 'Pass tool errors back to the model as an explicit error message, not as an empty or partial result.', code: TOOL_ERROR_MESSAGE },
      { description: 'Tell the model in the system prompt to report or retry a failed tool before moving on.' },
    ],
  }),
});
