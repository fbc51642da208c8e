/**
 * UNGROUNDED_DESTINATION (HIGH, 0.65 base). A tool call sends to an email address or URL host that appears nowhere
 * the agent could legitimately have learnt it: not in the run's input or system prompt, not in a user turn, not in a
 * tool result or a retrieved document (the model's own output is deliberately not grounding). Confidence −0.15 when
 * some tool result was not captured, +0.05 for a send-like tool name, clamped to [0.30, 0.95]. Keyed digests (see
 * TOOL_ARGUMENT_FABRICATION); fails open on an overflowed set, on more than `max_candidates` destinations, and on a
 * run whose input was not captured. Taint (a destination found only in injected text) is not evaluated here.
 * Step: the tool call.
 */
import { z } from 'zod';
import { runContent } from '../content-facts.js';
import { runFacts } from '../facts.js';
import { DESTINATION_ALLOWLIST } from '../fixes.js';
import { defineDetector } from '../types.js';
import { round, safeName } from '../util.js';
import { Corpus } from './grounding.js';

const schema = z.strictObject({
  tool_name_scope: z.array(z.string().min(1)).describe('only tools whose name contains one of these (lower-case); [] = every tool'),
  send_tool_patterns: z.array(z.string().min(1)).describe('tool-name substrings of send-like tools: +0.05 confidence'),
  max_candidates: z.number().int().min(1).describe('destinations judged per run; more and the run is not judged (count)'),
});
type Params = z.infer<typeof schema>;

export const ungroundedDestination = defineDetector<Params>()({
  failure_type: 'UNGROUNDED_DESTINATION',
  key: 'ungrounded_destination',
  description: 'A tool sends to an email address or URL host found in no input, user turn, tool result or document.',
  severities: ['HIGH'],
  reads: ['tool.arg_destinations', 'run.grounding', 'llm.grounding', 'tool.grounding', 'retrieval.grounding'],
  live: false,
  defaults: {
    tool_name_scope: [],
    send_tool_patterns: ['send', 'email', 'mail', 'post', 'notify', 'forward', 'share', 'upload', 'webhook'],
    max_candidates: 50,
  },
  schema,
  detect(run, { params }) {
    const facts = runFacts(run);
    const content = runContent(run);
    const inputSeen = facts.started?.payload.input_hash != null || facts.llm.some((c) => c.input_hash !== null);
    if (!inputSeen) return null;
    const corpus = new Corpus();
    const surfaces = [content.input, ...content.llm.map((l) => l.grounding), ...content.retrievals];
    let partial = false;
    facts.tools.forEach((t, i) => {
      if (t.success === null) return;
      if (t.output_length === null || t.output_length === 0) partial = true;
      else surfaces.push(content.tools[i].grounding);
    });
    for (const s of surfaces) if (!corpus.add(s)) return null;

    const scope = params.tool_name_scope.map((p) => p.toLowerCase());
    let candidates = 0;
    let ungrounded = 0;
    let best: { i: number; j: number; conf: number } | null = null;
    for (let i = 0; i < facts.tools.length; i++) {
      const name = facts.tools[i].name.toLowerCase();
      if (scope.length > 0 && !scope.some((p) => name.includes(p))) continue;
      const dests = content.tools[i].destinations;
      if (dests === null) continue;
      if (dests.truncated || !corpus.sameKey(dests.key)) return null;
      for (let j = 0; j < dests.digests.length; j++) {
        if (++candidates > params.max_candidates) return null;
        if (corpus.has(dests.digests[j])) continue;
        ungrounded++;
        const send = params.send_tool_patterns.some((p) => name.includes(p.toLowerCase()));
        const conf = Math.min(0.95, Math.max(0.3, 0.65 - (partial ? 0.15 : 0) + (send ? 0.05 : 0)));
        if (best === null || conf > best.conf) best = { i, j, conf };
      }
    }
    if (best === null) return null;
    const call = facts.tools[best.i];
    const dests = content.tools[best.i].destinations!;
    return {
      failure_type: 'UNGROUNDED_DESTINATION',
      severity: 'HIGH',
      confidence: round(best.conf),
      step_index: call.step_index,
      evidence: {
        destination_digest: dests.digests[best.j],
        destination_type: dests.types[best.j] === 'email' ? 'email' : 'url',
        tool_name: safeName(call.name),
        tool_step: call.step_index,
        grounding_verdict: 'ungrounded',
        output_visibility: partial ? 'partial' : 'complete',
        candidate_count: candidates,
        ungrounded_count: ungrounded,
      },
    };
  },
  explain: (e) => ({
    title: `${e.s('tool_name')} sent to a ${e.s('destination_type') === 'email' ? 'recipient' : 'host'} nobody gave it`,
    what: `At step ${e.n('tool_step')} the ${e.s('tool_name')} tool was given ${e.s('destination_type') === 'email' ? 'an email address' : 'a URL host'} (keyed digest ${e.s('destination_digest')}) that appears in no user input, system prompt, tool result or retrieved document of this run (${e.n('ungrounded_count')} of ${e.n('candidate_count')} destinations ungrounded; tool results ${e.s('output_visibility')}).`,
    why_it_matters: 'Data sent to an address the model made up, or was steered to, leaves your control: a leak or a misdirected message.',
    suggested_fixes: [
      { description: 'Only let send-like tools use recipients the user gave or a trusted tool returned; confirm anything else.', code: DESTINATION_ALLOWLIST },
      { description: 'Check the run for instructions planted in retrieved content that name the destination.' },
    ],
  }),
});
