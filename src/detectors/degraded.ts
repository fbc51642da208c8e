/**
 * "Is this run's telemetry good enough to judge?": the facts INSTRUMENTATION_DEGRADED reports, shared with the
 * detectors that must stay quiet on such a run (a blank response is not an empty answer when the instrumentation
 * could not read any response). Pure, over RunFacts.
 */
import { isStopReason, type LlmCallFact, type RunFacts, type ToolCallFact } from './facts.js';

/** The original's fingerprint of a response the instrumentation could not read, in OTel terms. */
export function isStructurallyBlank(c: LlmCallFact): boolean {
  return (
    c.responded &&
    c.success !== false &&
    (c.finish_reason === null || isStopReason(c.finish_reason)) &&
    (c.completion_tokens ?? 0) === 0 &&
    (c.output_length ?? 0) === 0 &&
    c.tool_calls.length === 0 &&
    c.duration_ms !== 0
  );
}

/** An LLM call that names no model and reports no token count: it cannot be told apart or costed. */
export function isAnonymousLlmCall(c: LlmCallFact): boolean {
  return c.responded && c.model === null && c.response_model === null && c.total_tokens === null && c.prompt_tokens === null;
}

/** A tool call whose span named no tool (mapped to "unknown"). */
export function isUnnamedTool(t: ToolCallFact): boolean {
  return t.name === 'unknown';
}

/** Detectors the original silences on a run whose LLM responses are unreadable (listed in the evidence). */
export const SUPPRESSED_ON_BLANK = [
  'EMPTY_LLM_RESPONSE',
  'PREMATURE_TERMINATION',
  'UNREAD_TOOL_ERROR',
  'LLM_TRUNCATION_LOOP',
  'SILENT_TRUNCATION',
  'RUNAWAY_ITERATION',
  'FIRST_STEP_FAILURE',
] as const;

/** Default of INSTRUMENTATION_DEGRADED's `min_calls`, used by the detectors that defer to it. */
export const MIN_BLANK_CALLS = 2;

/**
 * True when at least `minCalls` LLM calls responded and every one of them is structurally blank: nothing about
 * the responses (output, finish reason, usage) was measurable, so rules about the output must not judge.
 */
export function outputUnmeasurable(f: RunFacts, minCalls = MIN_BLANK_CALLS): boolean {
  const responded = f.llm.filter((c) => c.responded);
  return responded.length >= minCalls && responded.every(isStructurallyBlank);
}
