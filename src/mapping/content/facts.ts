import type { OtlpSpan } from '../../otlp/model.js';
import type { AttributeIndex } from '../attributes.js';
import type { InjectionFacts, SpanCategory, ToolCallRequest } from '../events.js';
import type { CandidateSets, DigestSet, FactKeyer, HandoffInput, HandoffText, ReplyTerms, ToolTerms, TypedDigestSet } from '../facts/index.js';

/**
 * Content facts: everything the mapping derives from content (prompts, completions, tool arguments/results,
 * retrieval queries/documents, tool definitions, error messages). Content itself never leaves content/: only
 * digests, lengths, tool names, finish reasons, counts/scores and injection-pattern labels.
 *
 * The same facts are what the processor encodes as `dunetrace.content.*` attributes (content-codec.ts), so `mapSpan`
 * on a redacted span reads them back instead of recomputing.
 */

export interface Measured {
  hash: string;
  length: number;
}

export interface ContentFacts {
  /** LLM prompt: all input messages' text. */
  input: Measured | null;
  /** The user's input (root spans only): entity input → user-role message text → input.value. */
  user: Measured | null;
  /** Injection scan of the raw user input (LLM spans and root spans). */
  injection: InjectionFacts | null;
  /** System instructions digest (LLM spans). */
  system: string | null;
  /** Output: assistant text (LLM) / entity output / output.value. null = not captured (NOT empty). */
  output: Measured | null;
  /** Tool arguments (tool spans). */
  args: Measured | null;
  /** Tool result (tool spans). */
  result: Measured | null;
  /** Retrieval query digest (retrieval spans). */
  query: string | null;
  /** Digest of the status message, else of the first exception.message. */
  error: string | null;
  /** Finish reasons found only in content (output messages), normalised; null when none there. */
  finish_reasons: string[] | null;
  /** Tool calls the model requested (LLM spans): names kept, arguments hashed. */
  tool_calls: ToolCallRequest[];
  /** Tool names offered/defined on the span (tool definitions, llm.request.functions, llm.tools), sorted, unique. */
  tools: string[];
  /** From gen_ai.retrieval.documents (content): document count and best score. */
  documents: { count: number | null; top_score: number | null } | null;
  // --- read-back facts (RETRIEVED_CONTENT_INJECTION, MEMORY_POISONING); absent = none found ---
  /** Directive marker codes (directives.ts) in the span's read-back text: tool result, retrieved documents, memory records. */
  directives?: string[];
  /** Tool names offered on the span (`tools`) that the user's input names (case-insensitive substring). */
  tools_in_input?: string[];
  /** A memory write's declared source, when it is one of MEMORY_SOURCES. */
  memory_source?: string;
  // --- content-aware detector facts (mapping/facts/; codec version 2). Absent = not computed / no such text. ---
  /** LLM spans with captured output: completion/acknowledgement term bitmasks and the code-point length. */
  reply_terms?: ReplyTerms | null;
  /** Tool spans: error-marker bitmasks over the error text and over the result. */
  tool_terms?: ToolTerms | null;
  /** Tool spans: keyed digests of the entities in the arguments (TOOL_ARGUMENT_FABRICATION). */
  arg_entities?: TypedDigestSet | null;
  /** Tool spans: keyed digests of email addresses / URL hosts in the arguments (UNGROUNDED_DESTINATION). */
  arg_destinations?: TypedDigestSet | null;
  /**
   * Keyed digests of the tokens this span's text grounds: the user input (roots), the prompt's user/system text
   * (LLM spans), the result (tool spans), the documents (retrieval spans).
   */
  grounding?: DigestSet | null;
  /** HANDOFF_CONTEXT_LOSS parent side: the root's input, an LLM reply, a tool result (length + entity digests). */
  handoff_text?: HandoffText | null;
  /** HANDOFF_CONTEXT_LOSS child side: a nested agent span's input (length + token digests). */
  handoff_input?: HandoffInput | null;
  // --- UNRESOLVED_AMBIGUITY (mapping/facts/ambiguity.ts) ---
  /** Roots: word tokens of the user input; LLM spans: of the prompt's user-role messages (never system/tool text). */
  warrant?: DigestSet | null;
  /** Tool spans: identifier-shaped scalar leaves of the (JSON) arguments. */
  arg_leaves?: DigestSet | null;
  /** Tool spans: the result's candidate record sets (identifiers and discriminators per record). */
  candidates?: CandidateSets | null;
  // --- end UNRESOLVED_AMBIGUITY ---
}

export interface ContentContext {
  category: SpanCategory;
  isRoot: boolean;
  index: AttributeIndex;
  /** The run's fact keyer (keyed digests); without one, no digest sets are computed (term bitmasks still are). */
  keyer?: FactKeyer | null;
  /**
   * Digest facts not to compute (no detector the receiver runs can read them): each is set to an empty, truncated set
   * instead, so a rule enabled later reads "not visible" and fails open. UNRESOLVED_AMBIGUITY's only, for now.
   */
  skip?: ReadonlySet<'warrant' | 'arg_leaves' | 'candidates'>;
}

/** What content extraction reads from a span. */
export type ContentSource = Pick<OtlpSpan, 'attributes' | 'events' | 'status'>;
