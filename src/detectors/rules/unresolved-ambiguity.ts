/**
 * UNRESOLVED_AMBIGUITY (shadow; HIGH 0.9 strong, MEDIUM 0.6 weak; upstream v2 §1.9). An irreversible tool acted on one
 * record of a list an earlier tool returned, and nothing the user said picks that record out: the model chose for
 * them. Inert unless `irreversible_tools` names tools (never inferred). For each acting call, the newest earlier
 * candidate set holding a record whose identifier equals an argument is the anchor; with ≥ min_candidates records,
 * exactly one of them hit and not every record acted on (a "cancel all" is not a choice), the selected record's
 * discriminators (tokens no sibling has) are tested against the warrant (the user's input and the user turns of the
 * prompts sent before the call): a hit is silence, a sibling's discriminator named instead is strong, nothing is
 * weak. Pure set algebra on keyed digests (mapping/facts/ambiguity.ts); fails open on any truncated or foreign-key
 * set and on more than max_candidates_per_run records. Step: the acting call.
 */
import { z } from 'zod';
import type { CandidateSet, DigestSet } from '../../mapping/facts/index.js';
import { runContent } from '../content-facts.js';
import { runFacts } from '../facts.js';
import { CONFIRM_AMBIGUOUS_TARGET } from '../fixes.js';
import { defineDetector } from '../types.js';
import { safeName } from '../util.js';

const schema = z.strictObject({
  irreversible_tools: z.array(z.string().min(1)).describe('tool names (case-insensitive) whose calls cannot be undone; [] = the rule is off'),
  warrant_surfaces: z.enum(['user_turns', 'first_user_turn']).describe('what may warrant a choice: the input and every user turn, or the input only'),
  min_candidates: z.number().int().min(2).describe('fewest records in the anchor set'),
  max_candidates_per_run: z.number().int().positive().describe('more candidate records than this in the results scanned: not judged (fail open)'),
});
type Params = z.infer<typeof schema>;

const intersects = (a: readonly string[], b: ReadonlySet<string>): boolean => a.some((d) => b.has(d));

interface Verdict {
  tier: 'strong' | 'weak';
  call: number;
  source: number;
  set: CandidateSet;
  selected: number;
  arg: string;
  sibling: number;
}

export const unresolvedAmbiguity = defineDetector<Params>()({
  failure_type: 'UNRESOLVED_AMBIGUITY',
  key: 'unresolved_ambiguity',
  description: 'An irreversible tool acted on one of several records a tool returned, and nothing the user said picks that one.',
  live: false,
  shadowByDefault: true,
  severities: ['MEDIUM', 'HIGH'],
  reads: ['tool.arg_leaves', 'tool.candidates', 'run.warrant', 'llm.warrant'],
  defaults: { irreversible_tools: [], warrant_surfaces: 'user_turns', min_candidates: 2, max_candidates_per_run: 50 },
  schema,
  inert: (params) => params.irreversible_tools.length === 0,
  detect(run, { params }) {
    if (params.irreversible_tools.length === 0) return null;
    const irreversible = new Set(params.irreversible_tools.map((t) => t.toLowerCase()));
    const facts = runFacts(run);
    // A call an approval denied (or let time out) after it was made, and that never returned, did not act.
    const blocked = (i: number): boolean => {
      const t = facts.tools[i];
      return (
        t.success === null &&
        facts.signals.some(
          (g) =>
            (g.name === 'approval.denied' || g.name === 'approval.timeout') &&
            g.ordinal > t.ordinal &&
            typeof g.meta.tool_name === 'string' &&
            g.meta.tool_name.toLowerCase() === t.name.toLowerCase(),
        )
      );
    };
    const acting = facts.tools
      .map((_, i) => i)
      .filter((i) => irreversible.has(facts.tools[i].name.toLowerCase()) && facts.tools[i].success !== false && !blocked(i));
    if (acting.length === 0) return null;
    const content = runContent(run);

    let key: string | null = null;
    const sameKey = (k: string): boolean => (key ??= k) === k;
    const leaves = new Map<number, Set<string>>();
    for (const i of acting) {
      const l = content.tools[i].arg_leaves;
      if (l === null) continue;
      if (l.truncated || !sameKey(l.key)) return null;
      leaves.set(i, new Set(l.digests));
    }
    // The warrant: the input (before every step), then the user turns of each prompt, at its step.
    const turns: { step: number; set: DigestSet }[] = [];
    if (content.input_warrant !== null) turns.push({ step: -1, set: content.input_warrant });
    if (params.warrant_surfaces === 'user_turns') {
      facts.llm.forEach((c, i) => {
        const w = content.llm[i].warrant;
        if (w !== null) turns.push({ step: c.step_index, set: w });
      });
    }
    for (const t of turns) if (t.set.truncated || !sameKey(t.set.key)) return null;

    const scanned = new Set<number>();
    let records = 0;
    let best: Verdict | null = null;
    for (const i of acting) {
      const args = leaves.get(i);
      if (args === undefined) continue;
      const step = facts.tools[i].step_index;
      // Anchor: newest earlier result first, its sets in order; the first set where an argument is an identifier.
      let anchor: { source: number; set: CandidateSet } | null = null;
      for (let j = i - 1; j >= 0 && anchor === null; j--) {
        if (facts.tools[j].step_index >= step) continue;
        const c = content.tools[j].candidates;
        if (c === null) continue;
        if (c.truncated || !sameKey(c.key)) return null;
        if (!scanned.has(j)) {
          scanned.add(j);
          for (const s of c.sets) records += s.records.length;
          if (records > params.max_candidates_per_run) return null;
        }
        const set = c.sets.find((s) => s.records.some((r) => intersects(r.ids, args)));
        if (set !== undefined) anchor = { source: j, set };
      }
      if (anchor === null) continue; // an id from nowhere is TOOL_ARGUMENT_FABRICATION's
      const { set } = anchor;
      if (set.records.length < params.min_candidates) continue;
      const hit = set.records.map((r, k) => (intersects(r.ids, args) ? k : -1)).filter((k) => k >= 0);
      if (hit.length !== 1) continue;
      // Plural: every record is acted on by some acting call, so no record was chosen over another.
      if (set.records.every((r) => [...leaves.values()].some((l) => intersects(r.ids, l)))) continue;
      const warrant = new Set<string>();
      for (const t of turns) if (t.step < step) for (const d of t.set.digests) warrant.add(d);
      const selected = hit[0];
      if (intersects(set.records[selected].disc, warrant)) continue;
      const sibling = set.records.findIndex((r, k) => k !== selected && intersects(r.disc, warrant));
      const tier = sibling >= 0 ? 'strong' : 'weak';
      if (best === null || (tier === 'strong' && best.tier === 'weak')) {
        const arg = set.records[selected].ids.find((d) => args.has(d)) ?? '';
        best = { tier, call: i, source: anchor.source, set, selected, arg, sibling };
      }
      if (best.tier === 'strong') break;
    }
    if (best === null) return null;
    const call = facts.tools[best.call];
    const source = facts.tools[best.source];
    const strong = best.tier === 'strong';
    const warrantTurns = turns.filter((t) => t.step < call.step_index).length;
    return {
      failure_type: 'UNRESOLVED_AMBIGUITY',
      severity: strong ? 'HIGH' : 'MEDIUM',
      confidence: strong ? 0.9 : 0.6,
      step_index: call.step_index,
      evidence: {
        tier: best.tier,
        candidate_count: best.set.records.length,
        selected_id_digest: best.arg,
        discriminators_unused: best.set.records[best.selected].disc.length,
        tool_name: safeName(call.name),
        tool_step: call.step_index,
        source_tool: safeName(source.name),
        source_step: source.step_index,
        warrant_surfaces: params.warrant_surfaces,
        warrant_turn_count: warrantTurns,
        ...(strong ? { sibling_matched_in_request: true, sibling_id_digest: best.set.records[best.sibling].ids[0] ?? '' } : {}),
      },
    };
  },
  explain: (e) => ({
    title: `${e.s('tool_name')} acted on one of ${e.s('candidate_count')} records nobody picked`,
    what: `At step ${e.n('tool_step')} the irreversible ${e.s('tool_name')} tool acted on one of the ${e.s('candidate_count')} records ${e.s('source_tool')} returned at step ${e.n('source_step')} (keyed digest ${e.s('selected_id_digest')}); none of the ${e.s('discriminators_unused')} words that set it apart appear in what the user said${e.is('sibling_matched_in_request') ? ", while the user's words name another record of the list" : ''}.`,
    why_it_matters: 'When several records fit, an agent that picks one on its own cancels, pays or deletes the wrong thing, and it cannot be undone.',
    suggested_fixes: [
      { description: 'Before an irreversible action, ask the user to choose when a lookup returned several matching records.', code: CONFIRM_AMBIGUOUS_TARGET },
      { description: 'List the candidates (with what tells them apart) in the reply instead of acting.' },
    ],
  }),
});
