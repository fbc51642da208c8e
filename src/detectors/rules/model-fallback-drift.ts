/**
 * MODEL_FALLBACK_DRIFT (MEDIUM, 0.8; alerts by default, as the original ships it). The first drop in capability
 * tier between consecutive LLM calls fires: gpt-4o, gpt-4o, gpt-4o-mini fires at the third call. Tiers come from
 * ../model-tiers.ts (plus `model_tiers` from detectors.yml).
 *
 * The original's rule, kept: calls without a model are skipped; a pair with identical names, an unknown tier on
 * either side, or an equal or higher tier does not fire (an unknown model between two known ones breaks the chain:
 * A → unknown → lower is never compared). One addition: the served model counts. A call whose response model
 * differs from the requested one contributes both, requested then served, so a gateway or provider fallback
 * (requested gpt-4o, served gpt-4o-mini) is a drop inside that call. When one of the two names is unknown (an Azure
 * deployment name, say) only the known one is used. The original read only the requested model.
 * And one scope: calls are compared within the agent that made them (nearest agent span above the call), so a
 * planner on gpt-4o handing work to a sub-agent built on gpt-4o-mini is a design, not a fallback. The original
 * compared across agents.
 * Step: the call on the lower model.
 */
import { z } from 'zod';
import { runFacts, type LlmCallFact } from '../facts.js';
import { modelTier, type ModelTier, type TierTable } from '../model-tiers.js';
import { defineDetector } from '../types.js';
import { agentsBySpan, ancestorAgent } from './handoff.js';
import { safeName } from '../util.js';

const schema = z.strictObject({
  model_tiers: z
    .record(z.string().min(1), z.number().int().min(0).max(100))
    .describe('extra or overriding tiers: model-name substring → tier (higher = more capable; longest key wins)'),
});
type Params = z.infer<typeof schema>;

interface Entry {
  model: string;
  tier: ModelTier | null;
  call: LlmCallFact;
  served: boolean;
}

/** A call's models in order: requested, then served when it differs (only the known one when one is unknown). */
function entriesOf(call: LlmCallFact, table: TierTable): Entry[] {
  const req = call.request_model;
  const res = call.response_model;
  const a: Entry | null = req ? { model: req, tier: modelTier(req, table), call, served: false } : null;
  const b: Entry | null = res && res !== req ? { model: res, tier: modelTier(res, table), call, served: true } : null;
  if (a && b) {
    if (a.tier === null && b.tier !== null) return [b];
    if (b.tier === null && a.tier !== null) return [a];
  }
  return [a, b].filter((e): e is Entry => e !== null);
}

const RATE_LIMIT = /rate|429|quota|throttl/i;

export const modelFallbackDrift = defineDetector<Params>()({
  failure_type: 'MODEL_FALLBACK_DRIFT',
  key: 'model_fallback_drift',
  description: 'An LLM call ran on a lower capability tier than the call before it (first drop, served model included).',
  live: false,
  defaults: { model_tiers: {} },
  schema,
  severities: ['MEDIUM'],
  reads: [],
  detect(run, { params }) {
    const f = runFacts(run);
    const agents = agentsBySpan(f);
    const last = new Map<string, Entry>();
    for (const cur of f.llm.flatMap((c) => entriesOf(c, params.model_tiers))) {
      const scope = ancestorAgent(f, agents, cur.call.parent_span_id) ?? '';
      const prev = last.get(scope);
      last.set(scope, cur);
      if (!prev || prev.model === cur.model || prev.tier === null || cur.tier === null || cur.tier.tier >= prev.tier.tier) continue;
      const step = cur.call.step_index;
      const rateLimited =
        f.signals.some((s) => s.step_index <= step && RATE_LIMIT.test(s.name)) ||
        f.llm.some((c) => c.ordinal < cur.call.ordinal && c.success === false && c.error_type !== null && RATE_LIMIT.test(c.error_type));
      return {
        failure_type: 'MODEL_FALLBACK_DRIFT',
        severity: 'MEDIUM',
        confidence: 0.8,
        step_index: step,
        evidence: {
          from_model: safeName(prev.model),
          to_model: safeName(cur.model),
          from_tier: prev.tier.tier,
          to_tier: cur.tier.tier,
          tier_delta: prev.tier.tier - cur.tier.tier,
          downgrade_step: step,
          served_downgrade: cur.served && prev.call === cur.call,
          preceded_by_rate_limit: rateLimited,
        },
      };
    }
    return null;
  },
  explain: (e) => ({
    title: `Model fell back from ${e.s('from_model')} to ${e.s('to_model')}`,
    what: `At step ${e.n('downgrade_step')} the run moved from ${e.s('from_model')} (tier ${e.n('from_tier')}) to the less capable ${e.s('to_model')} (tier ${e.n('to_tier')})${e.is('served_downgrade') ? ': the provider or gateway served it in place of the requested model' : ''}${e.is('preceded_by_rate_limit') ? ', after a rate limit' : ''}.`,
    why_it_matters: 'A smaller model gives lower-quality answers, silently, while the run still looks successful.',
    suggested_fixes: [
      {
        description: 'Pin the model, and log when a gateway or fallback serves a different model than requested.',
        language: 'typescript',
        code: `const res = await client.chat.completions.create({ model: 'gpt-4o', messages });
if (!res.model.startsWith('gpt-4o') || res.model.startsWith('gpt-4o-mini')) {
  logger.warn({ requested: 'gpt-4o', served: res.model }, 'model fallback'); // or fail the step
}`,
      },
      { description: 'If the fallback follows rate limits, raise the quota or queue requests instead of downgrading.' },
    ],
  }),
});
