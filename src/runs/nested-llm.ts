import type { MappedSpan } from '../mapping/events.js';

/**
 * One model call seen by two instrumentations arrives as an LLM span inside an LLM span: OpenLLMetry's
 * `chat claude-…` around the Anthropic SDK's own `anthropic.messages.create`, a `withLLMCall` wrapper around an
 * instrumented client, a LangChain chat span around the OpenAI client's. Counted twice it doubles the run's LLM
 * calls (and skews every LLM-based detector). Rule, over the spans of one run (pure, deterministic):
 *  - an LLM span with exactly one LLM child: one call. The outer span keeps its events (it is the instrumentation the
 *    user chose and carries the content facts); the child's LLM events are dropped, its span stays for structure;
 *  - an LLM span with two or more LLM children: a wrapper around several calls (a router retrying, a fallback
 *    chain). The children are the calls; the wrapper's own LLM events are dropped.
 * Spans are never modified: the spans whose events change are copied.
 */
export function dedupeNestedLlm(spans: readonly MappedSpan[]): MappedSpan[] {
  const llm = new Map<string, MappedSpan>();
  for (const s of spans) if (s.category === 'llm') llm.set(s.span_id, s);
  if (llm.size < 2) return spans as MappedSpan[];
  const children = new Map<string, MappedSpan[]>();
  for (const s of llm.values()) {
    if (s.parent_span_id === null || !llm.has(s.parent_span_id)) continue;
    let list = children.get(s.parent_span_id);
    if (!list) children.set(s.parent_span_id, (list = []));
    list.push(s);
  }
  if (children.size === 0) return spans as MappedSpan[];
  const drop = new Set<string>();
  for (const [parent, kids] of children) {
    if (kids.length === 1) drop.add(kids[0].span_id);
    else drop.add(parent);
  }
  return spans.map((s) =>
    drop.has(s.span_id) ? { ...s, events: s.events.filter((e) => e.event_type !== 'llm.called' && e.event_type !== 'llm.responded') } : s,
  );
}
