/**
 * RETRIEVED_CONTENT_INJECTION (HIGH 0.7, CRITICAL 0.85 when the agent's behaviour then deviated; alerting by default — the original's "live"; judged once the run is finished, so a later deviation/read-back can still escalate it). The
 * original's rule over content facts: candidates are retrievals (by index) and tool calls (by tool) in step order;
 * the first whose read-back text carries a directive marker fires, the marker chosen in the original's order
 * (phrases, embedded role marker, instruction delimiter, long base64 block). The markers are computed where the
 * text is (mapping/directives.ts) and only their codes reach this rule.
 * Behaviour deviation (`detect_behavior_deviation`): a later tool call (step > source step) to a tool neither called
 * at or before the source step nor named in the run's input.
 * Step: the source's step.
 */
import { z } from 'zod';
import { INJECTION_MARKER_ORDER, firstMarker } from '../../mapping/directives.js';
import { runFacts } from '../facts.js';
import { defineDetector } from '../types.js';
import { safeName } from '../util.js';
import { UNTRUSTED_CONTENT_WRAPPER } from '../fixes-read-back.js';

const schema = z.strictObject({
  detect_behavior_deviation: z
    .boolean()
    .describe('escalate to CRITICAL when a later call goes to a tool not used before the source nor named in the input (true/false)'),
});
type Params = z.infer<typeof schema>;

interface Candidate {
  source_type: 'retrieval' | 'tool';
  name: string;
  step_index: number;
  ordinal: number;
  markers: string[];
}

export const retrievedContentInjection = defineDetector<Params>()({
  failure_type: 'RETRIEVED_CONTENT_INJECTION',
  key: 'retrieved_content_injection',
  description: 'A tool output or retrieved document carried planted instructions (injection phrase, role marker, delimiter, base64 block).',
  severities: ['HIGH', 'CRITICAL'],
  reads: ['tool.directive_markers', 'retrieval.directive_markers', 'llm.tools_in_input'],
  live: false,
  defaults: { detect_behavior_deviation: true },
  schema,
  detect(run, { params }) {
    const f = runFacts(run);
    const candidates: Candidate[] = [];
    for (const r of f.retrievals) {
      if (r.directive_markers.length > 0)
        candidates.push({ source_type: 'retrieval', name: r.index_name, step_index: r.step_index, ordinal: r.ordinal, markers: r.directive_markers });
    }
    for (const t of f.tools) {
      if (t.directive_markers.length > 0)
        candidates.push({ source_type: 'tool', name: t.name, step_index: t.step_index, ordinal: t.ordinal, markers: t.directive_markers });
    }
    candidates.sort((a, b) => a.step_index - b.step_index || a.ordinal - b.ordinal);
    for (const c of candidates) {
      const marker = firstMarker(c.markers, INJECTION_MARKER_ORDER);
      if (marker === null) continue;
      let deviatedTo: string | null = null;
      if (params.detect_behavior_deviation) {
        const before = new Set(f.tools.filter((t) => t.step_index <= c.step_index).map((t) => t.name));
        const later = f.tools.find((t) => t.step_index > c.step_index && !before.has(t.name) && !f.tools_in_input.has(t.name.toLowerCase()));
        deviatedTo = later?.name ?? null;
      }
      const deviated = deviatedTo !== null;
      return {
        failure_type: 'RETRIEVED_CONTENT_INJECTION',
        severity: deviated ? 'CRITICAL' : 'HIGH',
        confidence: deviated ? 0.85 : 0.7,
        step_index: c.step_index,
        evidence: {
          source_type: c.source_type,
          source_name: safeName(c.name),
          source_step: c.step_index,
          matched_marker: marker.label,
          behavior_deviation: deviated,
          ...(deviatedTo !== null ? { deviated_tool: safeName(deviatedTo) } : {}),
        },
      };
    }
    return null;
  },
  explain: (e) => ({
    title: `Planted instructions in ${e.s('source_type') === 'retrieval' ? 'a retrieved document' : 'a tool output'}`,
    what: `The ${e.s('source_type') === 'retrieval' ? 'retrieval from' : 'output of tool'} ${e.s('source_name')} at step ${e.n('source_step')} contained an instruction-like marker ("${e.s('matched_marker')}")${e.is('behavior_deviation') ? `, and the agent then called ${e.s('deviated_tool', 'a tool')}, a tool it had not used before that the input never named` : ''}.`,
    why_it_matters:
      'Content an agent reads back is data, not instructions: text planted in a web page, document or API answer can steer the agent into actions the user never asked for.',
    suggested_fixes: [
      {
        description:
          'Wrap read-back content as quoted data, tell the model it may contain instructions to ignore, and allow-list the tools a step may call after reading it.',
        language: 'typescript',
        code: UNTRUSTED_CONTENT_WRAPPER,
      },
    ],
  }),
});
