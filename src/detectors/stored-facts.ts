import type { ResolvedAgentConfig } from './config.js';
import { DETECTORS } from './rules/index.js';

/**
 * Which keyed digest facts an agent's detectors can use. A digest set that no enabled, non-inert rule reads (by
 * default: UNRESOLVED_AMBIGUITY's warrant, argument leaves and candidate records until `irreversible_tools` is set)
 * is not stored: data minimisation, and the largest facts of a span body. The judge of an open run still sees them
 * in memory; what is stored in their place reads as truncated, so a rule enabled later fails open on older spans.
 */

/** Payload / root-fact keys of the digest facts that may be left out (each rule fails open on a truncated one). */
export const DROPPABLE_FACTS = [
  'warrant',
  'arg_leaves',
  'candidates',
  'grounding',
  'arg_entities',
  'arg_destinations',
  'handoff_text',
  'handoff_input',
] as const;

const cache = new WeakMap<ResolvedAgentConfig, ReadonlySet<string>>();

/** The droppable facts that no enabled, non-inert detector of this agent reads (`reads` entries are `<where>.<key>`). */
export function unusedFacts(agent: ResolvedAgentConfig): ReadonlySet<string> {
  const hit = cache.get(agent);
  if (hit) return hit;
  const used = new Set<string>();
  for (const d of DETECTORS) {
    const s = agent.detectors[d.key];
    if (!s?.enabled || d.inert?.(s.params) === true) continue;
    for (const r of d.reads) used.add(r.slice(r.indexOf('.') + 1));
  }
  const unused = new Set(DROPPABLE_FACTS.filter((f) => !used.has(f)));
  cache.set(agent, unused);
  return unused;
}
