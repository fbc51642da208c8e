/**
 * AGENT_HANDOFF_FAILURE (HIGH, or MEDIUM when the same handoff later succeeded; 0.85; alerts by default).
 * A handoff to another agent failed:
 *  - a handoff tool (name matching `handoff_tool_patterns`, e.g. transfer_to_billing) returned success = false, or,
 *    with `empty_is_failure`, returned an output length KNOWN to be 0 (null = unknown, not empty);
 *  - an `agent.invoked` signal (a nested agent span) reports success = false.
 * Step: the first failed handoff.
 */
import { z } from 'zod';
import { runFacts } from '../facts.js';
import { defineDetector } from '../types.js';
import { safeName, str } from '../util.js';
import { DEFAULT_HANDOFF_TOOL_PATTERNS, handoffs, type Handoff } from './handoff.js';

const schema = z.strictObject({
  handoff_tool_patterns: z.array(z.string().min(1)).describe('tool-name globs (* and ?, case-insensitive) that mark a handoff tool (list)'),
  empty_is_failure: z.boolean().describe('a handoff tool returning a known-empty output counts as failed (true/false)'),
});
type Params = z.infer<typeof schema>;

type Outcome = { failed: false } | { failed: true; failure: 'error' | 'empty'; error_type: string | null };

function outcome(h: Handoff, p: Params): Outcome {
  if (h.kind === 'tool') {
    if (h.tool.success === false) return { failed: true, failure: 'error', error_type: h.tool.error_type };
    if (p.empty_is_failure && h.tool.success === true && h.tool.output_length === 0) {
      return { failed: true, failure: 'empty', error_type: null };
    }
    return { failed: false };
  }
  if (h.signal.meta.success === false) return { failed: true, failure: 'error', error_type: str(h.signal.meta.error_type) };
  return { failed: false };
}

function succeeded(h: Handoff): boolean {
  return h.kind === 'tool' ? h.tool.success === true && h.tool.output_length !== 0 : h.signal.meta.success === true;
}

export const agentHandoffFailure = defineDetector<Params>()({
  failure_type: 'AGENT_HANDOFF_FAILURE',
  key: 'agent_handoff_failure',
  description: 'A handoff to another agent (handoff tool or nested agent span) failed or came back empty.',
  live: false,
  defaults: { handoff_tool_patterns: [...DEFAULT_HANDOFF_TOOL_PATTERNS], empty_is_failure: true },
  schema,
  severities: ['MEDIUM', 'HIGH'],
  reads: ['tool.output_length'],
  detect(run, { params }) {
    const all = handoffs(runFacts(run), params.handoff_tool_patterns);
    const failed = all.map((h) => ({ h, o: outcome(h, params) })).filter((x) => x.o.failed);
    if (failed.length === 0) return null;
    const { h, o } = failed[0];
    if (!o.failed) return null;
    const name = h.kind === 'tool' ? h.tool.name : (str(h.signal.meta.agent_name) ?? 'unknown');
    const later = all.slice(all.indexOf(h) + 1);
    const recovered = h.target !== null && later.some((x) => x.target === h.target && succeeded(x));
    return {
      failure_type: 'AGENT_HANDOFF_FAILURE',
      severity: recovered ? 'MEDIUM' : 'HIGH',
      confidence: 0.85,
      step_index: h.step_index,
      evidence: {
        handoff_kind: h.kind,
        name: safeName(name),
        target_agent: h.target === null ? null : safeName(h.target),
        failure: o.failure,
        error_type: o.error_type === null ? null : safeName(o.error_type),
        failed_handoffs: failed.length,
        total_handoffs: all.length,
        recovered,
      },
    };
  },
  explain: (e) => ({
    title: `Handoff ${e.s('name')} failed`,
    what: `The handoff ${e.s('name')} (${e.s('handoff_kind') === 'tool' ? 'handoff tool' : 'nested agent'}) ${e.s('failure') === 'empty' ? 'returned nothing' : 'failed'}${e.s('error_type', '') ? ` (${e.s('error_type')})` : ''}; ${e.n('failed_handoffs')} of ${e.n('total_handoffs')} handoffs failed${e.is('recovered') ? ', a later handoff to the same agent succeeded' : ''}.`,
    why_it_matters: 'When a handoff fails the receiving agent never gets the task, and the user is left with a partial answer.',
    suggested_fixes: [{ description: 'Check that the target agent exists and accepts the handoff input; surface handoff errors to the calling agent.' }],
  }),
});
