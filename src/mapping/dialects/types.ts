import type { Attributes } from '../../otlp/model.js';
import type { SpanCategory } from '../events.js';

/**
 * A framework's span vocabulary, translated into the canonical attributes the mapping reads (GenAI semconv where it
 * has a key, else the `dunetrace.*` keys below), in two parts:
 *  - `structural`: names, ids, counts, finish reasons, flags — never content. The SpanProcessor's redaction exports
 *    them beside the digested originals, so that mapping a redacted span gives the same result as the raw one (a
 *    Genkit model span's usage is only inside its `genkit:output`, which redaction digests).
 *  - `content`: the span's content under the canonical content keys (`gen_ai.input.messages` in the OTel parts
 *    format, `gen_ai.tool.call.arguments`, `input.value`, …), read by content extraction only: never exported, never
 *    stored (extraction keeps digests and facts).
 */
export interface DialectReading {
  structural: Attributes;
  content: Attributes;
}

export interface Dialect {
  readonly name: string;
  /** Whether the span is this dialect's (a marker attribute; cheap, called for every span). */
  matches(attrs: Attributes): boolean;
  /**
   * The category of one of its spans, from structural attributes only (cheap: the SpanProcessor's relevance filter
   * calls it on the agent's hot path). Decisive when defined: framework span names are user-chosen (a Genkit tool
   * may be called `search.tool`), so a dialect's spans never fall back to name patterns. Undefined: not understood.
   */
  category(attrs: Attributes): SpanCategory | undefined;
  /** The span translated (fresh objects the caller may modify). Never throws on malformed values. */
  read(name: string, attrs: Attributes): DialectReading;
}

/** Span-level agent identity (the resource's `dunetrace.agent_id` still wins). */
export const SPAN_AGENT_ID = 'dunetrace.agent_id';
export const SPAN_AGENT_VERSION = 'dunetrace.agent_version';

/**
 * On a root span: whether the run produced its final answer, as the framework itself reports it (a boolean). Decides
 * exit_reason when present, so it does not depend on which LLM span arrived last.
 */
export const ROOT_ANSWERED = 'dunetrace.root.answered';
