/**
 * Dunetrace events: the hashed, content-free facts the mapping core derives from spans.
 * Every string that could carry user content is a SHA-256 (or HMAC-SHA256) hex digest by the time it is here.
 */

import type { CandidateSets, DigestSet, HandoffInput, HandoffText, ReplyTerms, ToolTerms, TypedDigestSet } from './facts/index.js';

export const EVENT_TYPES = [
  'run.started',
  'llm.called',
  'llm.responded',
  'tool.called',
  'tool.responded',
  'retrieval.called',
  'retrieval.responded',
  'external.signal',
  'run.completed',
  'run.errored',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Pattern ids matched by the prompt-injection scan on raw user input (before hashing). */
export interface InjectionFacts {
  matched_pattern_count: number;
  /** Pattern labels, e.g. "ignore_instructions" (at most 5). */
  matched_patterns: string[];
  input_length: number;
  scan_truncated?: boolean;
  scanned_chars?: number;
}

export interface ToolCallRequest {
  name: string;
  args_hash: string | null;
}

export interface RunStartedPayload {
  source: 'otlp';
  root_span_name: string;
  input_hash: string | null;
  input_length: number | null;
  system_prompt_hash: string | null;
  model: string | null;
  /** Tools the agent had (tool definitions seen anywhere in the run), sorted. */
  tools: string[];
  agent_name: string | null;
  injection_signal?: InjectionFacts;
  /** Tools the run's input names (RETRIEVED_CONTENT_INJECTION's behaviour-deviation test); absent = none known. */
  tools_in_input?: string[];
  /** Keyed digests of the tokens the run's input grounds (content facts, mapping/facts/). */
  grounding?: DigestSet;
  /** Code-point length and keyed entity digests of this text, for HANDOFF_CONTEXT_LOSS (mapping/facts/). */
  handoff_text?: HandoffText;
  /** Word-token digests of the user's own text: UNRESOLVED_AMBIGUITY's warrant (mapping/facts/ambiguity.ts). */
  warrant?: DigestSet;
}

export interface LlmCalledPayload {
  model: string | null;
  provider: string | null;
  operation: string | null;
  prompt_tokens: number | null;
  input_hash: string | null;
  input_length: number | null;
  max_tokens: number | null;
  /** Tool names offered to the model on this call (gen_ai.tool.definitions, llm.request.functions.N.name). */
  tools_offered: string[];
  injection_signal?: InjectionFacts;
  /** Offered tools this call's user input names (case-insensitive substring); absent = none. */
  tools_in_input?: string[];
  /**
   * Digest of the system instructions sent on this call (gen_ai.system_instructions, else system/developer-role
   * messages), null when not captured. Lets assembly fill run.started.system_prompt_hash. (Additive, mapping core.)
   */
  system_prompt_hash?: string | null;
  /** The SDK's call index (Dunetrace SDK events), pairing this call with its response. */
  call_id?: string | null;
  /** Keyed digests of the tokens the prompt's user/system text grounds (content facts, mapping/facts/). */
  grounding?: DigestSet;
  /** Word-token digests of the user's own text: UNRESOLVED_AMBIGUITY's warrant (mapping/facts/ambiguity.ts). */
  warrant?: DigestSet;
}

export interface LlmRespondedPayload {
  model: string | null;
  completion_tokens: number | null;
  reasoning_tokens: number | null;
  total_tokens: number | null;
  latency_ms: number;
  /** First finish reason, normalised lower-case ("stop", "length", "tool_calls", …), null when unknown. */
  finish_reason: string | null;
  finish_reasons: string[];
  output_hash: string | null;
  /** Length of the output text; from content when captured, else output tokens, else null (unknown, NOT empty). */
  output_length: number | null;
  output_length_source: 'content' | 'tokens' | null;
  tool_calls: ToolCallRequest[];
  success: boolean;
  error_type: string | null;
  /** The SDK's call index (Dunetrace SDK events), pairing this response with its call. */
  call_id?: string | null;
  /** Completion / error-acknowledgement term bitmasks of the output and its code-point length (mapping/facts/). */
  reply_terms?: ReplyTerms;
  /** Code-point length and keyed entity digests of this text, for HANDOFF_CONTEXT_LOSS (mapping/facts/). */
  handoff_text?: HandoffText;
}

export interface ToolCalledPayload {
  tool_name: string;
  tool_call_id: string | null;
  args_hash: string | null;
  args_length: number | null;
  /** Keyed digests of the entities in the arguments (mapping/facts/). */
  arg_entities?: TypedDigestSet;
  /** Keyed digests of the email addresses / URL hosts in the arguments (mapping/facts/). */
  arg_destinations?: TypedDigestSet;
  /** Keyed digests of the identifier-shaped argument leaves (UNRESOLVED_AMBIGUITY). */
  arg_leaves?: DigestSet;
}

export interface ToolRespondedPayload {
  tool_name: string;
  success: boolean;
  output_hash: string | null;
  output_length: number | null;
  latency_ms: number;
  error_type: string | null;
  error_hash: string | null;
  /** Directive marker codes found in the result (mapping/directives.ts); absent = none. */
  directive_markers?: string[];
  /** Error-marker bitmasks of the error text and of the result (mapping/facts/). */
  tool_terms?: ToolTerms;
  /** Keyed digests of the tokens the result grounds (mapping/facts/). */
  grounding?: DigestSet;
  /** Code-point length and keyed entity digests of this text, for HANDOFF_CONTEXT_LOSS (mapping/facts/). */
  handoff_text?: HandoffText;
  /** The result's candidate record sets, as keyed digests (UNRESOLVED_AMBIGUITY). */
  candidates?: CandidateSets;
}

export interface RetrievalCalledPayload {
  index_name: string;
  vendor: string | null;
  query_hash: string | null;
  top_k: number | null;
}

export interface RetrievalRespondedPayload {
  index_name: string;
  result_count: number | null;
  top_score: number | null;
  latency_ms: number;
  success: boolean;
  /** Directive marker codes found in the retrieved documents (mapping/directives.ts); absent = none. */
  directive_markers?: string[];
  /** Keyed digests of the tokens the retrieved documents ground (mapping/facts/). */
  grounding?: DigestSet;
}

export interface ExternalSignalPayload {
  /** "rate_limit" (HTTP 429), "agent.invoked" (a nested agent span: handoff/delegation), … */
  signal_name: string;
  source: string;
  meta: Record<string, string | number | boolean | null>;
  /** agent.invoked: the sub-agent's input as a length and keyed token digests (HANDOFF_CONTEXT_LOSS). */
  handoff_input?: HandoffInput;
}

export interface RunCompletedPayload {
  exit_reason: 'final_answer' | 'completed';
  total_steps: number;
  tool_call_count: number;
  latency_ms: number;
}

export interface RunErroredPayload {
  exit_reason: 'error';
  error_type: string | null;
  error_hash: string | null;
  total_steps: number;
  tool_call_count: number;
  latency_ms: number;
}

export interface PayloadByType {
  'run.started': RunStartedPayload;
  'llm.called': LlmCalledPayload;
  'llm.responded': LlmRespondedPayload;
  'tool.called': ToolCalledPayload;
  'tool.responded': ToolRespondedPayload;
  'retrieval.called': RetrievalCalledPayload;
  'retrieval.responded': RetrievalRespondedPayload;
  'external.signal': ExternalSignalPayload;
  'run.completed': RunCompletedPayload;
  'run.errored': RunErroredPayload;
}

/** An event derived from one span, before run assembly gives it a step. */
export type SpanEvent = {
  [T in EventType]: {
    event_type: T;
    /** Order of this event within its span (called 0, responded 1, signals after). */
    seq: number;
    /** Unix epoch seconds (float, µs precision). */
    timestamp: number;
    payload: PayloadByType[T];
  };
}[EventType];

export type SpanCategory = 'llm' | 'tool' | 'retrieval' | 'agent' | 'workflow' | 'task' | 'other';

/** Facts only a root span gives (the run's own input/output), used to build run.started / the terminal event. */
export interface RootFacts {
  input_hash: string | null;
  input_length: number | null;
  output_hash: string | null;
  injection_signal?: InjectionFacts;
  /** Tools the run's input names (see RunStartedPayload.tools_in_input). */
  tools_in_input?: string[];
  /**
   * Digest of the root's status message, else of its first exception.message; null when none. For
   * run.errored.error_hash. (Additive, mapping core; always set by mapSpan.)
   */
  error_hash?: string | null;
  /** Digest of the system prompt when the run declared one (Dunetrace SDK run.started). */
  system_prompt_hash?: string | null;
  /** The model the run declared at its start (Dunetrace SDK run.started). */
  model?: string | null;
  /**
   * Whether the run produced its final answer, when the root span itself says so (a framework's own call or flow
   * span, see mapping/dialects; a Dunetrace SDK's run.completed); absent when it does not. Decides exit_reason over the last LLM response.
   * (Additive, mapping core.)
   */
  answered?: boolean;
  /** Keyed digests of the tokens the run's input grounds (mapping/facts/). */
  grounding?: DigestSet;
  /** Code-point length and keyed entity digests of this text, for HANDOFF_CONTEXT_LOSS (mapping/facts/). */
  handoff_text?: HandoffText;
  /** Word-token digests of the user's own text: UNRESOLVED_AMBIGUITY's warrant (mapping/facts/ambiguity.ts). */
  warrant?: DigestSet;
}

/**
 * One span after the mapping core: content hashed, unknown attributes dropped. Carries no raw content;
 * this (and nothing else from the span) is what gets stored.
 */
export interface MappedSpan {
  trace_id: string;
  span_id: string;
  /** null for a root span. */
  parent_span_id: string | null;
  name: string;
  category: SpanCategory;
  /** Unix epoch seconds (float). */
  start_time: number;
  end_time: number;
  status: 'unset' | 'ok' | 'error';
  error_type: string | null;
  /** Agent identity hints from the resource / span (resolved per run by assembly). */
  agent_id: string | null;
  agent_name: string | null;
  service_name: string | null;
  agent_version: string | null;
  /** Tool names defined/offered in this span, for run.started.tools. */
  tools_available: string[];
  /** Present on root spans. */
  root: RootFacts | null;
  /** Span-level events (llm/tool/retrieval pairs, external signals). run.* events are built by assembly. */
  events: SpanEvent[];
  /** Present only when the span carries something the mapping did not understand (runs/ingest-health.ts). */
  gaps?: SpanGaps;
}

/**
 * What the mapping could not read in one span, for the ingest-health report. Set only on such spans (most spans have
 * none, so the stored body of an understood span is unchanged). Names and scope only, never attribute values.
 */
export interface SpanGaps {
  /** Instrumentation scope name ('' when the exporter sent none). */
  scope: string;
  /** No known vocabulary (attributes or span name) classified it: stored as structure only. */
  unclassified?: true;
  /** A tool call whose tool name the span never says. */
  unnamed_tool?: true;
  /** A root span that is itself one LLM or tool call: the agent invocation around it is not a span. */
  step_root?: true;
}

/** An event of an assembled run, as detectors and the API see it. */
export type RunEvent = SpanEvent & {
  step_index: number;
  span_id: string;
  parent_span_id: string | null;
  /** True when the span arrived after the run had completed. */
  late?: boolean;
};
