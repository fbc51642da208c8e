/**
 * "Accepted but not understood" (issue 10, item 3): what a run's telemetry carried that the mapping could not read.
 * Span names and instrumentation scope names only — metadata, never an attribute value or content.
 */

/** A span name (or tool span name) with the scope that emitted it, and how often it was seen. */
export interface NameCount {
  name: string;
  /** Instrumentation scope name ('' when the exporter sent none). */
  scope: string;
  count: number;
}

/** One run's ingest health, computed from its stored spans at completion (and on read for an open run). */
export interface RunIngestHealth {
  spans: number;
  /** Spans no known vocabulary classified (stored as structure only; no detector sees them). */
  unclassified_spans: number;
  /** The most frequent unclassified span names with their scope, at most INGEST_TOP_NAMES. */
  unclassified: NameCount[];
  llm_calls: number;
  /** LLM calls with neither input nor output token counts. */
  llm_calls_without_tokens: number;
  tool_calls: number;
  /** Tool calls whose tool name the span never says (named after the span or its arguments instead). */
  unnamed_tool_calls: number;
  /** The span names of those tool calls, with their scope, at most INGEST_TOP_NAMES. */
  unnamed_tools: NameCount[];
  /** Spans whose parent span id is not one of the run's spans (the parent was never exported, or went elsewhere). */
  broken_parents: number;
  /** Scope of the run's root when the root is itself a single LLM or tool call (the agent invocation is not a span). */
  step_root_scope: string | null;
}

/** Per agent, over its most recent completed runs (GET /v1/agents carries this summary). */
export interface AgentIngestSummary {
  /** Completed runs looked at (the newest INGEST_WINDOW_RUNS at most). */
  runs_checked: number;
  /** Of them, runs with anything not understood. */
  runs_with_gaps: number;
  unclassified_spans: number;
  /** Runs with LLM calls, none of which carried token counts. */
  runs_llm_without_tokens: number;
  /** Runs with spans but not one recognised LLM or tool call. */
  runs_without_steps: number;
  unnamed_tool_calls: number;
  broken_parents: number;
  /** Runs whose root is a single LLM or tool call. */
  step_root_runs: number;
}

/** What to change, for one finding. */
export interface IngestAdvice {
  /** Stable id of the finding (`unclassified_scope`, `llm_without_tokens`, …). */
  code: string;
  /** Instrumentation scope it is about, when one. */
  scope: string | null;
  message: string;
  /** Where to read more (a docs path in the repository). */
  docs: string;
}

/** GET /v1/agents/{id}/ingest-health: the summary, the names, and the advice. */
export interface AgentIngestHealth extends AgentIngestSummary {
  agent_id: string;
  unclassified: NameCount[];
  unnamed_tools: NameCount[];
  /** Root scopes of the step-root runs, with how many runs each. */
  step_root_scopes: NameCount[];
  advice: IngestAdvice[];
}

/** Names kept per run and per agent report (the rest are counted, not named). */
export const INGEST_TOP_NAMES = 10;
/** Completed runs per agent the report and the summary look at. */
export const INGEST_WINDOW_RUNS = 200;
