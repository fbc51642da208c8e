/**
 * MODEL_FALLBACK_DRIFT (MEDIUM; shadow by default). The run moved to a less capable model. Capability is read from
 * the model name only: tier 2 if a name token is in `lowest_tier_markers` (nano, lite, …), tier 1 if one is in
 * `lower_tier_markers` (mini, flash, haiku, …), else tier 0; within one tier a smaller parameter size token
 * (70b → 8b) is also lower. Model B is "less capable" than A when its tier is higher, or same tier and smaller size.
 * Fires on the first of, in call order:
 *  (a) served_downgrade (0.85): an LLM response came from a lower model than the one requested (gateway fallback);
 *  (b) fallback_after_failure (0.80): an LLM call failed (or a rate_limit signal came after it) and the next LLM
 *      call uses a lower model;
 *  (c) persistent_switch (0.60, finished runs): after ≥ `min_primary_calls` calls on the first model, the run
 *      switched to a lower model and used only lower models for its last ≥ `min_calls_after_switch` calls.
 * Step: the call on the lower model.
 */
import { z } from 'zod';
import { isFinished, runFacts, type LlmCallFact } from '../facts.js';
import { defineDetector, type Signal } from '../types.js';
import { safeName } from '../util.js';

const markers = (d: string) => z.array(z.string().min(1)).describe(d);
const schema = z.strictObject({
  lower_tier_markers: markers('model-name tokens of a smaller tier (list of words, case-insensitive)'),
  lowest_tier_markers: markers('model-name tokens of the smallest tier (list of words, case-insensitive)'),
  min_primary_calls: z.number().int().min(1).describe('persistent switch: calls on the first model before it (count)'),
  min_calls_after_switch: z.number().int().min(1).describe('persistent switch: calls on lower models after it (count)'),
});
type Params = z.infer<typeof schema>;

type Trigger = 'served_downgrade' | 'fallback_after_failure' | 'persistent_switch';
type Extra = { failure?: 'llm_error' | 'rate_limit'; calls_before_switch?: number; calls_after_switch?: number };
type FallbackEvidence = Extra & { trigger: Trigger; from_model: string; to_model: string; from_tier: number; to_tier: number; switch_step: number };

interface Capability {
  tier: number;
  size_b: number | null;
}

function capability(model: string, p: Params): Capability {
  const tokens = model
    .toLowerCase()
    .split(/[^a-z0-9.]+/)
    .filter(Boolean);
  const has = (list: string[]) => list.some((m) => tokens.includes(m.toLowerCase()));
  const size = tokens.map((t) => /^(\d+(?:\.\d+)?)b$/.exec(t)).find((m) => m !== null);
  return {
    tier: has(p.lowest_tier_markers) ? 2 : has(p.lower_tier_markers) ? 1 : 0,
    size_b: size ? Number(size[1]) : null,
  };
}

function lower(b: string, a: string, p: Params): boolean {
  const cb = capability(b, p);
  const ca = capability(a, p);
  if (cb.tier !== ca.tier) return cb.tier > ca.tier;
  return cb.size_b !== null && ca.size_b !== null && cb.size_b < ca.size_b;
}

export const modelFallbackDrift = defineDetector<Params>()({
  failure_type: 'MODEL_FALLBACK_DRIFT',
  key: 'model_fallback_drift',
  description: 'The run fell back to a less capable model (served downgrade, after a failure, or for good).',
  live: false,
  shadowByDefault: true,
  defaults: {
    lower_tier_markers: ['mini', 'small', 'flash', 'haiku', 'instant', 'light'],
    lowest_tier_markers: ['nano', 'lite', 'tiny', 'micro'],
    min_primary_calls: 2,
    min_calls_after_switch: 2,
  },
  schema,
  detect(run, { params }) {
    const f = runFacts(run);
    const make = (trigger: Trigger, confidence: number, from: string, to: LlmCallFact, toModel: string, extra: Extra = {}): Signal<FallbackEvidence> => ({
      failure_type: 'MODEL_FALLBACK_DRIFT',
      severity: 'MEDIUM',
      confidence,
      step_index: to.step_index,
      evidence: {
        trigger,
        from_model: safeName(from),
        to_model: safeName(toModel),
        from_tier: capability(from, params).tier,
        to_tier: capability(toModel, params).tier,
        switch_step: to.step_index,
        ...extra,
      },
    });
    for (const c of f.llm) {
      if (c.request_model && c.response_model && lower(c.response_model, c.request_model, params)) {
        return make('served_downgrade', 0.85, c.request_model, c, c.response_model);
      }
    }
    const calls = f.llm.filter((c) => c.model !== null);
    for (let i = 0; i + 1 < calls.length; i++) {
      const a = calls[i];
      const b = calls[i + 1];
      const rateLimited = f.signals.some((s) => s.name === 'rate_limit' && s.ordinal > a.ordinal && s.ordinal < b.ordinal);
      if ((a.success === false || rateLimited) && lower(b.model as string, a.model as string, params)) {
        return make('fallback_after_failure', 0.8, a.model as string, b, b.model as string, {
          failure: a.success === false ? 'llm_error' : 'rate_limit',
        });
      }
    }
    if (!isFinished(run) || calls.length === 0) return null;
    const primary = calls[0].model as string;
    const k = calls.findIndex((c) => lower(c.model as string, primary, params));
    if (k < params.min_primary_calls) return null;
    const after = calls.slice(k);
    if (after.length < params.min_calls_after_switch) return null;
    if (!after.every((c) => lower(c.model as string, primary, params))) return null;
    return make('persistent_switch', 0.6, primary, calls[k], calls[k].model as string, {
      calls_before_switch: k,
      calls_after_switch: after.length,
    });
  },
  explain: (e) => ({
    title: `Model fell back from ${e.s('from_model')} to ${e.s('to_model')}`,
    what: `At step ${e.n('switch_step')} the run moved from ${e.s('from_model')} to the less capable ${e.s('to_model')} (${e.s('trigger').replace(/_/g, ' ')}).`,
    why_it_matters: 'A smaller model gives lower-quality answers, silently, while the run still looks successful.',
    suggested_fixes: [
      { description: 'Pin the model, or log and alert when a gateway or fallback serves a different model than requested.' },
      { description: 'If the fallback follows rate limits, raise the quota or queue requests instead of downgrading.' },
    ],
  }),
});
