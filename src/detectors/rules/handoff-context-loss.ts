/**
 * HANDOFF_CONTEXT_LOSS (HIGH, conf min(1, 0.5 + 0.15·missing); alerts by default, judged on finished runs). A sub-agent was handed much less
 * than its parent knew, and the identifiers went missing on the way (upstream v2 §1.5, privacy version A):
 *  - child: a nested agent span (agent.invoked) with its input captured;
 *  - parent context: the run's input plus every LLM reply and tool result that ended at or before the child started,
 *    joined with "\n" (length = the sum of code-point lengths + one separator between texts);
 *  - fires when (parent − child) / parent > `size_drop_threshold` AND at least `min_missing_entities` of the parent's
 *    entities (UUID, email, URL, 3+ digit integer) are not among the child input's token digests.
 * Keyed digests of one run (one trace: one per-run key) are compared, never values. Fails open on an overflowed set,
 * on sets made under different keys and on a child whose input was not captured. Against the original it loses
 * substring matches (an entity inside a longer token of the child's input counts as missing). Step: the child's.
 * Only the worst hand-off (most missing entities, then largest drop) of the run is reported.
 */
import { z } from 'zod';
import { handoffFactOf } from '../content-facts.js';
import { runFacts, type RunFacts, type SignalFact } from '../facts.js';
import { HANDOFF_BRIEF } from '../fixes-read-back.js';
import { defineDetector } from '../types.js';
import { round, safeName, str } from '../util.js';
import { agentInvocations } from './handoff.js';

const schema = z.strictObject({
  size_drop_threshold: z.number().min(0).max(1).describe('fire only when the child input is smaller than the parent context by more than this fraction (0–1)'),
  min_missing_entities: z.number().int().min(1).describe('parent entities missing from the child input needed to fire (count)'),
});
type Params = z.infer<typeof schema>;

/** Evidence lists at most this many missing entity digests (the original lists the first 5 entities). */
const LISTED_DIGESTS = 5;

interface Parent {
  /** Code-point length of the joined parent context up to the hand-off. */
  length: number;
  /** Parent entity digests in first-appearance order (de-duplicated). */
  entities: string[];
  key: string | null;
}

function field(payload: unknown, key: string): unknown {
  return typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>)[key] : undefined;
}

const PARENT_TEXT_EVENTS = new Set(['llm.responded', 'tool.responded']);

/** The parent context before `at`; null when a set overflowed or sets of different keys meet (fail open). */
function parentContext(facts: RunFacts, at: number): Parent | null {
  const texts: { length: number; set: { key: string; digests: string[]; truncated: boolean } }[] = [];
  const input = handoffFactOf(facts.started?.payload.handoff_text, 'entities');
  if (input !== null) texts.push(input);
  for (const e of facts.events) {
    if (!PARENT_TEXT_EVENTS.has(e.event_type) || !(e.timestamp <= at)) continue;
    const t = handoffFactOf(field(e.payload, 'handoff_text'), 'entities');
    if (t !== null) texts.push(t);
  }
  if (texts.length === 0) return null;
  let key: string | null = null;
  const seen = new Set<string>();
  const entities: string[] = [];
  let length = texts.length - 1;
  for (const t of texts) {
    if (t.set.truncated) return null;
    length += t.length;
    if (t.set.digests.length === 0) continue;
    if (key !== null && key !== t.set.key) return null;
    key = t.set.key;
    for (const d of t.set.digests) {
      if (seen.has(d)) continue;
      seen.add(d);
      entities.push(d);
    }
  }
  return { length, entities, key };
}

interface Finding {
  signal: SignalFact;
  parent: number;
  child: number;
  drop: number;
  missing: string[];
}

function judge(facts: RunFacts, s: SignalFact, p: Params): Finding | null {
  const child = handoffFactOf(field(facts.events[s.ordinal]?.payload, 'handoff_input'), 'tokens');
  if (child === null || child.set.truncated || s.timestamp === null) return null;
  const parent = parentContext(facts, s.timestamp);
  if (parent === null || parent.length === 0 || parent.entities.length === 0) return null;
  if (parent.key !== child.set.key) return null;
  const drop = (parent.length - child.length) / parent.length;
  if (!(drop > p.size_drop_threshold)) return null;
  const have = new Set(child.set.digests);
  const missing = parent.entities.filter((d) => !have.has(d));
  if (missing.length < p.min_missing_entities) return null;
  return { signal: s, parent: parent.length, child: child.length, drop, missing };
}

export const handoffContextLoss = defineDetector<Params>()({
  failure_type: 'HANDOFF_CONTEXT_LOSS',
  key: 'handoff_context_loss',
  description: "A sub-agent's input is far smaller than its parent's context and drops identifiers (ids, emails, URLs, numbers) the parent had.",
  live: false,
  defaults: { size_drop_threshold: 0.5, min_missing_entities: 1 },
  schema,
  severities: ['HIGH'],
  reads: ['run.handoff_text', 'llm.handoff_text', 'tool.handoff_text', 'agent.handoff_input'],
  detect(run, { params }) {
    const facts = runFacts(run);
    let best: Finding | null = null;
    for (const s of agentInvocations(facts)) {
      const f = judge(facts, s, params);
      if (f === null) continue;
      if (best === null || f.missing.length > best.missing.length || (f.missing.length === best.missing.length && f.drop > best.drop)) best = f;
    }
    if (best === null) return null;
    return {
      failure_type: 'HANDOFF_CONTEXT_LOSS',
      severity: 'HIGH',
      confidence: round(Math.min(1, 0.5 + 0.15 * best.missing.length)),
      step_index: best.signal.step_index,
      evidence: {
        child_agent: safeName(str(best.signal.meta.agent_name) ?? 'unknown'),
        parent_context_length: best.parent,
        child_input_length: best.child,
        size_drop_ratio: round(best.drop, 3),
        missing_entity_count: best.missing.length,
        missing_entity_digests: best.missing.slice(0, LISTED_DIGESTS),
      },
    };
  },
  explain: (e) => ({
    title: `Hand-off to ${e.s('child_agent')} lost context`,
    what: `The sub-agent ${e.s('child_agent')} was handed ${e.n('child_input_length')} characters where its parent had ${e.n('parent_context_length')} (a ${e.s('size_drop_ratio')} drop), and ${e.n('missing_entity_count')} identifier(s) the parent knew (ids, emails, URLs, numbers; keyed digests ${e.list('missing_entity_digests')}) were not passed on.`,
    why_it_matters: 'A sub-agent that never received the order number, account id or address it needs guesses, asks again or acts on the wrong record.',
    suggested_fixes: [
      { description: 'Pass identifiers and constraints to the sub-agent verbatim; summarise only the narrative.', code: HANDOFF_BRIEF },
      { description: 'Give the sub-agent a tool to read the shared context instead of a lossy summary.' },
    ],
  }),
});
