import type { MappedSpan } from '../mapping/events.js';
import { INGEST_TOP_NAMES, type AgentIngestHealth, type AgentIngestSummary, type NameCount, type RunIngestHealth } from '../model/ingest-health.js';
import { ingestAdvice } from './ingest-advice.js';
import type { AssembledRun } from './types.js';

/**
 * "Accepted but not understood" (issue 10, item 3). Pure: one run's ingest health from its spans (the `gaps` the
 * mapping marked) and its assembled events, and an agent's report merged from its runs'. Names and scopes only.
 */
export function runIngestHealth(spans: readonly MappedSpan[], run: AssembledRun): RunIngestHealth {
  const ids = new Set<string>();
  for (const s of spans) ids.add(s.span_id);
  const unclassified = new Counter();
  const unnamed = new Counter();
  let brokenParents = 0;
  let stepRootScope: string | null = null;
  for (const s of spans) {
    if (s.parent_span_id !== null && !ids.has(s.parent_span_id)) brokenParents++;
    const g = s.gaps;
    if (g === undefined) continue;
    if (g.unclassified) unclassified.add(s.name, g.scope, 1);
    if (g.unnamed_tool) unnamed.add(s.name, g.scope, 1);
    if (g.step_root) stepRootScope = g.scope;
  }

  // LLM calls as the run counts them (joined halves, nested duplicates counted once): one step each.
  const llmSteps = new Map<number, boolean>();
  let toolCalls = 0;
  for (const e of run.events) {
    if (e.event_type === 'tool.called') toolCalls++;
    let tokens: boolean;
    if (e.event_type === 'llm.called') tokens = e.payload.prompt_tokens !== null;
    else if (e.event_type === 'llm.responded') tokens = e.payload.completion_tokens !== null || e.payload.total_tokens !== null;
    else continue;
    llmSteps.set(e.step_index, (llmSteps.get(e.step_index) ?? false) || tokens);
  }
  let withoutTokens = 0;
  for (const has of llmSteps.values()) if (!has) withoutTokens++;

  return {
    spans: spans.length,
    unclassified_spans: unclassified.total,
    unclassified: unclassified.top(INGEST_TOP_NAMES),
    llm_calls: llmSteps.size,
    llm_calls_without_tokens: withoutTokens,
    tool_calls: toolCalls,
    unnamed_tool_calls: unnamed.total,
    unnamed_tools: unnamed.top(INGEST_TOP_NAMES),
    broken_parents: brokenParents,
    step_root_scope: stepRootScope,
  };
}

/** Whether the run carried anything not understood (a clean run stores no health row: null). */
export function hasGaps(h: RunIngestHealth): boolean {
  return h.unclassified_spans > 0 || llmWithoutTokens(h) || h.unnamed_tool_calls > 0 || h.broken_parents > 0 || h.step_root_scope !== null || withoutSteps(h);
}

/** LLM calls, none of which carried token counts. */
export const llmWithoutTokens = (h: RunIngestHealth): boolean => h.llm_calls > 0 && h.llm_calls_without_tokens === h.llm_calls;
/** Spans arrived, but not one LLM or tool call was recognised among them. */
export const withoutSteps = (h: RunIngestHealth): boolean => h.spans > 0 && h.llm_calls === 0 && h.tool_calls === 0;

/**
 * An agent's report from its recent completed runs: `runsChecked` of them, of which `withGaps` the health rows of the
 * ones that had gaps (clean runs store none). Name counts are merged and capped again.
 */
export function agentIngestHealth(agentId: string, runsChecked: number, withGaps: readonly RunIngestHealth[]): AgentIngestHealth {
  const unclassified = new Counter();
  const unnamed = new Counter();
  const roots = new Counter();
  const summary = summarise(runsChecked, withGaps);
  for (const h of withGaps) {
    for (const n of h.unclassified) unclassified.add(n.name, n.scope, n.count);
    for (const n of h.unnamed_tools) unnamed.add(n.name, n.scope, n.count);
    if (h.step_root_scope !== null) roots.add(h.step_root_scope, h.step_root_scope, 1);
  }
  const report: Omit<AgentIngestHealth, 'advice'> = {
    agent_id: agentId,
    ...summary,
    unclassified: unclassified.top(INGEST_TOP_NAMES),
    unnamed_tools: unnamed.top(INGEST_TOP_NAMES),
    step_root_scopes: roots.top(INGEST_TOP_NAMES),
  };
  return { ...report, advice: ingestAdvice(report) };
}

/** The per-agent counts (GET /v1/agents) from the same rows. */
export function summarise(runsChecked: number, withGaps: readonly RunIngestHealth[]): AgentIngestSummary {
  const s: AgentIngestSummary = {
    runs_checked: runsChecked,
    runs_with_gaps: 0,
    unclassified_spans: 0,
    runs_llm_without_tokens: 0,
    runs_without_steps: 0,
    unnamed_tool_calls: 0,
    broken_parents: 0,
    step_root_runs: 0,
  };
  for (const h of withGaps) {
    if (!hasGaps(h)) continue;
    s.runs_with_gaps++;
    s.unclassified_spans += h.unclassified_spans;
    if (llmWithoutTokens(h)) s.runs_llm_without_tokens++;
    if (withoutSteps(h)) s.runs_without_steps++;
    s.unnamed_tool_calls += h.unnamed_tool_calls;
    s.broken_parents += h.broken_parents;
    if (h.step_root_scope !== null) s.step_root_runs++;
  }
  return s;
}

/** Counts by (name, scope); top() is by count, then name, then scope (deterministic). */
class Counter {
  private readonly counts = new Map<string, NameCount>();
  total = 0;

  add(name: string, scope: string, n: number): void {
    this.total += n;
    const key = `${scope}\u0000${name}`;
    const c = this.counts.get(key);
    if (c) c.count += n;
    else this.counts.set(key, { name, scope, count: n });
  }

  top(limit: number): NameCount[] {
    return [...this.counts.values()].sort((a, b) => b.count - a.count || cmp(a.name, b.name) || cmp(a.scope, b.scope)).slice(0, limit);
  }
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
