import { resolveAgentConfig, type DetectorConfig, type ResolvedAgentConfig } from './config.js';
import { DETECTORS } from './rules/index.js';

/**
 * Which keyed digest facts an agent's detectors can use. A digest set that no enabled, non-inert rule reads (by
 * default: UNRESOLVED_AMBIGUITY's warrant, argument leaves and candidate records until `irreversible_tools` is set)
 * is not stored: data minimisation, and the largest facts of a span body. The judge of an open run still sees them
 * in memory; where a rule would read their absence as empty, a truncated stand-in is stored (pipeline/stored-facts.ts),
 * so a rule enabled later fails open on older spans.
 */

/** Payload / root-fact keys of the digest facts that may be left out (each rule fails open without them). */
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

/** The facts the receiver may leave uncomputed altogether (the mapping core can skip them: ContentContext.skip). */
const SKIPPABLE = ['warrant', 'arg_leaves', 'candidates'] as const;
export type SkippableFact = (typeof SKIPPABLE)[number];

const skippable = new WeakMap<DetectorConfig, ReadonlySet<SkippableFact>>();

/**
 * The skippable facts no agent can use under this config: unused with the defaults, and no agent section touches a
 * detector that reads them (conservative: a section that only changes a threshold of such a detector keeps them).
 * Mapping is done before the agent is known, so this is what the receiver's mapping may skip.
 */
export function unusedByEveryAgent(config: DetectorConfig): ReadonlySet<SkippableFact> {
  const hit = skippable.get(config);
  if (hit) return hit;
  const byDefault = unusedFacts(resolveAgentConfig({ ...config, agents: [] }, ''));
  const touched = new Set<string>();
  for (const section of config.agents)
    for (const d of DETECTORS) if (section.overrides[d.key]) for (const r of d.reads) touched.add(r.slice(r.indexOf('.') + 1));
  const out = new Set(SKIPPABLE.filter((f) => byDefault.has(f) && !touched.has(f)));
  skippable.set(config, out);
  return out;
}
