/**
 * PREMATURE_TERMINATION (CRITICAL 0.85 when the claim is the run's last answer, else HIGH 0.75). A tool call failed
 * (success = false, or its result reports an error marker) and the next LLM answer after it — at least
 * `min_message_length` code points — claims completion ("booked", "sent", …) without acknowledging any problem
 * ("sorry", "unable", …). The original's rule, evaluated on term bitmasks computed in the agent's process (exact).
 * Step: the claim.
 */
import { z } from 'zod';
import { runContent } from '../content-facts.js';
import { runFacts } from '../facts.js';
import { CHECK_BEFORE_CLAIM } from '../fixes.js';
import { defineDetector } from '../types.js';
import { safeName } from '../util.js';
import {
  COMPLETION_TERMS,
  DEFAULT_ACK,
  DEFAULT_COMPLETION,
  DEFAULT_MARKERS,
  ERROR_ACK_TERMS,
  ERROR_MARKERS,
  ackTerms,
  completionTerms,
  errorMarkers,
  firstTerm,
  problemCall,
  subsetMask,
} from './content-terms.js';

const schema = z.strictObject({
  min_message_length: z.number().int().min(0).describe('shortest answer (code points) that counts as a claim'),
  completion_terms: completionTerms,
  error_acknowledgment_terms: ackTerms,
  error_markers: errorMarkers,
});
type Params = z.infer<typeof schema>;

export const prematureTermination = defineDetector<Params>()({
  failure_type: 'PREMATURE_TERMINATION',
  key: 'premature_termination',
  description: 'A tool call failed and the next answer claimed completion without acknowledging the error.',
  severities: ['HIGH', 'CRITICAL'],
  reads: ['llm.reply_terms', 'llm.reply_length', 'tool.error_markers'],
  live: false,
  defaults: { min_message_length: 20, completion_terms: DEFAULT_COMPLETION, error_acknowledgment_terms: DEFAULT_ACK, error_markers: DEFAULT_MARKERS },
  schema,
  detect(run, { params }) {
    const facts = runFacts(run);
    const content = runContent(run);
    const compMask = subsetMask(params.completion_terms, COMPLETION_TERMS);
    const ackMask = subsetMask(params.error_acknowledgment_terms, ERROR_ACK_TERMS);
    const markerMask = subsetMask(params.error_markers, ERROR_MARKERS);
    // Answers with text: an answer whose text was not captured has no terms and is never a claim.
    const answers = facts.llm
      .map((call, i) => ({ call, reply: content.llm[i].reply }))
      .filter((a): a is { call: typeof a.call; reply: NonNullable<typeof a.reply> } => a.reply !== null && a.reply.length > 0)
      .sort((a, b) => a.call.step_index - b.call.step_index || a.call.ordinal - b.call.ordinal);
    if (answers.length === 0) return null;
    const lastStep = answers[answers.length - 1].call.step_index;
    for (let i = 0; i < facts.tools.length; i++) {
      const problem = problemCall(facts.tools[i], content.tools[i].terms, markerMask);
      if (problem === null) continue;
      const claim = answers.find((a) => a.call.step_index > problem.call.step_index);
      if (claim === undefined || claim.reply.length < params.min_message_length) continue;
      const completion = claim.reply.completion & compMask;
      if (completion === 0 || (claim.reply.ack & ackMask) !== 0) continue;
      const isFinal = claim.call.step_index >= lastStep;
      return {
        failure_type: 'PREMATURE_TERMINATION',
        severity: isFinal ? 'CRITICAL' : 'HIGH',
        confidence: isFinal ? 0.85 : 0.75,
        step_index: claim.call.step_index,
        evidence: {
          failed_tool: safeName(problem.call.name),
          failed_tool_step: problem.call.step_index,
          matched_error_marker: problem.marker,
          failure_source: problem.source,
          claim_step: claim.call.step_index,
          matched_completion_term: firstTerm(completion, COMPLETION_TERMS) ?? 'unknown',
          is_final_message: isFinal,
        },
      };
    }
    return null;
  },
  explain: (e) => ({
    title: `Claimed success after ${e.s('failed_tool')} failed`,
    what:
      `The ${e.s('failed_tool')} tool failed at step ${e.n('failed_tool_step')}` +
      (e.s('failure_source') === 'output_text' ? ` (its result reported '${e.s('matched_error_marker')}')` : '') +
      `; the ${e.is('is_final_message') ? 'final' : 'next'} answer at step ${e.n('claim_step')} claimed completion ('${e.s('matched_completion_term')}') without acknowledging the error.`,
    why_it_matters: 'The user is told the action happened when it did not: a missed booking, an unsent message, a lost order.',
    suggested_fixes: [
      { description: 'Return tool failures to the model as explicit errors and instruct it never to claim success after one.' },
      { description: 'Check the tool results in code before the final answer and block a success message after a failure.', code: CHECK_BEFORE_CLAIM },
    ],
  }),
});
