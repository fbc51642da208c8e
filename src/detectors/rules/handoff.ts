/**
 * Multi-agent structure shared by AGENT_HANDOFF_FAILURE and DELEGATION_LOOP. Two structural sources:
 * - external.signal `agent.invoked` (a nested agent span) with meta {agent_name, success, error_type};
 * - tool calls whose name matches a handoff pattern (transfer_to_X, handoff…, delegate…).
 */
import type { RunFacts, SignalFact, ToolCallFact } from '../facts.js';
import { globMatch, str } from '../util.js';

export const AGENT_INVOKED = 'agent.invoked';

/** Default tool-name globs (case-insensitive) that mark a handoff/delegation tool. */
export const DEFAULT_HANDOFF_TOOL_PATTERNS: readonly string[] = [
  'transfer_to_*',
  'transfer_back_to_*',
  '*handoff*',
  'delegate*',
  'invoke_agent*',
  'call_agent*',
];

/** Prefixes whose remainder names the target agent (transfer_to_billing → billing). */
const TARGET_PREFIXES = ['transfer_back_to_', 'transfer_to_', 'handoff_to_', 'delegate_to_', 'invoke_agent_', 'call_agent_'];

export function isHandoffTool(name: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => globMatch(p, name, true));
}

/** Canonical agent name: lower-case, non-alphanumerics → "_", a trailing "_agent" dropped ("Billing Agent" → billing). */
export function normAgent(name: string): string {
  const n = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  const stripped = n.replace(/_agent$/, '');
  return stripped.length > 0 ? stripped : n;
}

/** The agent a handoff tool hands to, when its name says (transfer_to_billing_agent → billing); else null. */
export function handoffTarget(toolName: string): string | null {
  const lower = toolName.toLowerCase();
  for (const prefix of TARGET_PREFIXES) {
    if (lower.startsWith(prefix) && lower.length > prefix.length) return normAgent(lower.slice(prefix.length));
  }
  return null;
}

export function agentInvocations(facts: RunFacts): SignalFact[] {
  return facts.signals.filter((s) => s.name === AGENT_INVOKED);
}

export function invokedAgentName(s: SignalFact): string | null {
  return str(s.meta.agent_name);
}

/** The agent name attached to each agent span (agent.invoked signals), plus the root agent on the root span. */
export function agentsBySpan(facts: RunFacts): Map<string, string> {
  const m = new Map<string, string>();
  const rootName = str(facts.started?.payload.agent_name);
  if (rootName && facts.started?.span_id) m.set(facts.started.span_id, normAgent(rootName));
  for (const s of agentInvocations(facts)) {
    const name = invokedAgentName(s);
    if (name && s.span_id) m.set(s.span_id, normAgent(name));
  }
  return m;
}

/** Nearest ancestor agent of a span (walking parent_span_id through spans seen in the run), else null. */
export function ancestorAgent(facts: RunFacts, agents: Map<string, string>, parentId: string | null): string | null {
  const seen = new Set<string>();
  let p = parentId;
  while (p && !seen.has(p) && seen.size < 1000) {
    seen.add(p);
    const a = agents.get(p);
    if (a) return a;
    p = facts.parents.get(p) ?? null;
  }
  return null;
}

export type Handoff =
  | { kind: 'tool'; step_index: number; tool: ToolCallFact; target: string | null }
  | { kind: 'agent'; step_index: number; signal: SignalFact; target: string | null };

/** Handoff tool calls and agent.invoked signals, in run (event) order. */
export function handoffs(facts: RunFacts, patterns: readonly string[]): Handoff[] {
  const out: Handoff[] = [];
  for (const t of facts.tools) {
    if (isHandoffTool(t.name, patterns)) out.push({ kind: 'tool', step_index: t.step_index, tool: t, target: handoffTarget(t.name) });
  }
  for (const s of agentInvocations(facts)) {
    const n = invokedAgentName(s);
    out.push({ kind: 'agent', step_index: s.step_index, signal: s, target: n ? normAgent(n) : null });
  }
  const ord = (h: Handoff): number => (h.kind === 'tool' ? h.tool.ordinal : h.signal.ordinal);
  return out.sort((a, b) => ord(a) - ord(b));
}
