/**
 * TOOL_ARGUMENT_FABRICATION (CRITICAL 0.85 for a destructive tool, else HIGH 0.70). A tool was called with an
 * identifier (id, number, email, URL, path, opaque token) that appears neither in the run's input and system prompt
 * (nor a user turn before the call) nor in any earlier tool result: the model made it up. Evaluated on keyed digests
 * of the tokens, computed in the agent's process by the same extractor on both sides (docs/content-codec.md lists
 * what this loses against the original's substring test). Fails open: the walk stops at the first tool result that
 * was not captured or whose set overflowed, and a run without captured input is not judged. Step: the tool call.
 */
import { z } from 'zod';
import { runContent } from '../content-facts.js';
import { runFacts } from '../facts.js';
import { GROUND_ARGUMENTS } from '../fixes.js';
import { defineDetector } from '../types.js';
import { safeName } from '../util.js';
import { Corpus } from './grounding.js';

const schema = z.strictObject({
  destructive_tool_patterns: z.array(z.string().min(1)).describe('tool-name prefixes (lower-case) of destructive tools: CRITICAL'),
});
type Params = z.infer<typeof schema>;

export const toolArgumentFabrication = defineDetector<Params>()({
  failure_type: 'TOOL_ARGUMENT_FABRICATION',
  key: 'tool_argument_fabrication',
  description: 'A tool argument holds an identifier found neither in the input nor in any earlier tool result.',
  severities: ['HIGH', 'CRITICAL'],
  reads: ['tool.arg_entities', 'run.grounding', 'llm.grounding', 'tool.grounding', 'retrieval.grounding'],
  live: false,
  defaults: { destructive_tool_patterns: ['delete_', 'remove_', 'drop_', 'transfer_', 'send_', 'pay_'] },
  schema,
  detect(run, { params }) {
    const facts = runFacts(run);
    const content = runContent(run);
    // The input must have been captured somewhere, else every argument would look invented.
    const inputSeen = facts.started?.payload.input_hash != null || facts.llm.some((c) => c.input_hash !== null);
    if (!inputSeen) return null;
    const corpus = new Corpus();
    if (!corpus.add(content.input)) return null;
    let llmNext = 0;
    const llmByStep = facts.llm.map((c, i) => ({ step: c.step_index, grounding: content.llm[i].grounding })).sort((a, b) => a.step - b.step);
    for (let i = 0; i < facts.tools.length; i++) {
      const call = facts.tools[i];
      const tc = content.tools[i];
      // The prompts sent before this call (their user and system text) ground it too.
      while (llmNext < llmByStep.length && llmByStep[llmNext].step < call.step_index) {
        if (!corpus.add(llmByStep[llmNext].grounding)) return null;
        llmNext++;
      }
      const ents = tc.entities;
      if (ents !== null) {
        if (!corpus.sameKey(ents.key)) return null;
        const j = ents.digests.findIndex((d) => !corpus.has(d));
        if (j >= 0) {
          const name = call.name.toLowerCase();
          const destructive = params.destructive_tool_patterns.some((p) => name.startsWith(p.toLowerCase()));
          return {
            failure_type: 'TOOL_ARGUMENT_FABRICATION',
            severity: destructive ? 'CRITICAL' : 'HIGH',
            confidence: destructive ? 0.85 : 0.7,
            step_index: call.step_index,
            evidence: {
              tool_name: safeName(call.name),
              tool_step: call.step_index,
              fabricated_entity_digest: ents.digests[j],
              entity_type: ents.types[j],
              is_destructive_tool: destructive,
              argument_entity_count: ents.digests.length,
            },
          };
        }
      }
      // What later calls may copy: this call's result, if we saw all of it; else stop (fail open).
      if (call.success === null && !call.responded) continue;
      if (call.output_length === null || call.output_length === 0 || !corpus.add(tc.grounding)) return null;
    }
    return null;
  },
  explain: (e) => ({
    title: `${e.s('tool_name')} was called with an invented ${e.s('entity_type')}`,
    what: `At step ${e.n('tool_step')} the ${e.s('tool_name')} tool got an argument (${e.s('entity_type')}, keyed digest ${e.s('fabricated_entity_digest')}) that appears neither in the user's input nor in any earlier tool result${e.is('is_destructive_tool') ? '; the tool is destructive' : ''}.`,
    why_it_matters: 'An id the model invented acts on the wrong record, or on none: a wrong order cancelled, a payment to nobody.',
    suggested_fixes: [
      { description: 'Make the agent look identifiers up with a tool (or ask the user) before acting on them.' },
      { description: 'Validate tool arguments against the ids the run actually saw before executing destructive tools.', code: GROUND_ARGUMENTS },
    ],
  }),
});
