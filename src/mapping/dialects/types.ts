import type { Attributes } from '../../otlp/model.js';

/**
 * A framework's span vocabulary, translated. `derive` returns only structural facts (names, ids, counts, finish
 * reasons, flags), under the canonical keys the mapping reads — GenAI semconv where it has a key, else the
 * `dunetrace.*` keys below — never content: derived attributes are exported as they are by the SpanProcessor's
 * redaction, so that mapping a redacted span gives the same result as mapping the raw one.
 */
export interface Dialect {
  readonly name: string;
  /** Whether the span is this dialect's (a marker attribute; cheap, called for every span). */
  matches(attrs: Attributes): boolean;
  /** Canonical structural attributes for the span (a fresh object the caller may modify). */
  derive(name: string, attrs: Attributes): Attributes;
}

/**
 * The span's category (llm, tool, retrieval, agent, workflow, task, other), decisive when set: framework span names
 * are user-chosen (a Genkit tool may be called `search.tool`), so a dialect's spans never fall back to name patterns.
 */
export const SPAN_CATEGORY = 'dunetrace.span.category';

/** Span-level agent identity (the resource's `dunetrace.agent_id` still wins). */
export const SPAN_AGENT_ID = 'dunetrace.agent_id';
export const SPAN_AGENT_VERSION = 'dunetrace.agent_version';

/**
 * On a root span: whether the run produced its final answer, as the framework itself reports it (a boolean). Decides
 * exit_reason when present, so it does not depend on which LLM span arrived last.
 */
export const ROOT_ANSWERED = 'dunetrace.root.answered';
