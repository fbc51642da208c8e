/** Every failure type a detector can report (the detector registry has exactly one detector per entry). */
export const FAILURE_TYPES = [
  // the original 15
  'TOOL_LOOP',
  'TOOL_THRASHING',
  'TOOL_AVOIDANCE',
  'GOAL_ABANDONMENT',
  'RAG_EMPTY_RETRIEVAL',
  'LLM_TRUNCATION_LOOP',
  'CONTEXT_BLOAT',
  'SLOW_STEP',
  'RETRY_STORM',
  'EMPTY_LLM_RESPONSE',
  'STEP_COUNT_INFLATION',
  'CASCADING_TOOL_FAILURE',
  'FIRST_STEP_FAILURE',
  'REASONING_STALL',
  'PROMPT_INJECTION_SIGNAL',
  // later, structural
  'SILENT_TRUNCATION',
  'MODEL_FALLBACK_DRIFT',
  'COST_SPIKE',
  'SESSION_LATENCY',
  'EXCESSIVE_RETRIEVAL',
  'RUNAWAY_ITERATION',
  'AGENT_HANDOFF_FAILURE',
  'DELEGATION_LOOP',
  // issue 12, part B: read-back content
  'RETRIEVED_CONTENT_INJECTION',
  'MEMORY_POISONING',
  'HANDOFF_CONTEXT_LOSS',
  // --- content-aware, from content facts (mapping/facts/) ---
  'PREMATURE_TERMINATION',
  'UNREAD_TOOL_ERROR',
  'TOOL_ARGUMENT_FABRICATION',
  'UNGROUNDED_DESTINATION',
  // --- end content-aware ---
  // structural, from the original's 34
  'OVERSIZED_TOOL_ARGUMENTS',
  'SCATTERSHOT_TOOL_USE',
  'INSTRUMENTATION_DEGRADED',
  // --- UNRESOLVED_AMBIGUITY ---
  'UNRESOLVED_AMBIGUITY',
  // --- end UNRESOLVED_AMBIGUITY ---
] as const;
export type FailureType = (typeof FAILURE_TYPES)[number];

export function isFailureType(v: unknown): v is FailureType {
  return typeof v === 'string' && (FAILURE_TYPES as readonly string[]).includes(v);
}
