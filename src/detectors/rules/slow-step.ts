/**
 * SLOW_STEP (MEDIUM; HIGH when ratio ≥ `high_ratio`; 0.92). Each LLM/tool/retrieval span's duration (its
 * latency_ms, else end − start; spans still in flight are skipped) is compared with its kind's threshold:
 *  - static: `llm_threshold_ms` / `tool_threshold_ms` / `retrieval_threshold_ms`;
 *  - baseline (≥ `min_baseline_runs` runs with that kind): `inflation_factor` × P75 of the per-run slowest span of
 *    that kind, never below `min_duration_ms`.
 * The step with the largest duration/threshold ratio above 1 is reported. Parallel spans are judged on their own
 * duration (upstream used gaps between consecutive events). External signals inside the span are listed.
 */
import { z } from 'zod';
import { baselineValue, type StepKind } from '../baseline.js';
import { runFacts, type SpanFact } from '../facts.js';
import { defineDetector } from '../types.js';
import { TIMEOUT } from '../fixes.js';
import { round, safeName } from '../util.js';
import { inflationFactor, minBaselineRuns } from './common.js';

const ms = (d: string) => z.number().int().min(1).describe(d);
const schema = z.strictObject({
  llm_threshold_ms: ms('static: an LLM call slower than this is slow (ms)'),
  tool_threshold_ms: ms('static: a tool call slower than this is slow (ms)'),
  retrieval_threshold_ms: ms('static: a retrieval slower than this is slow (ms)'),
  high_ratio: z.number().gt(1).describe('duration / threshold at which severity becomes HIGH (ratio)'),
  min_duration_ms: z.number().int().min(0).describe('with a baseline: never flag a step shorter than this (ms)'),
  inflation_factor: inflationFactor,
  min_baseline_runs: minBaselineRuns,
});
type Params = z.infer<typeof schema>;

const LABEL: Record<StepKind, string> = { llm: 'LLM call', tool: 'tool execution', retrieval: 'retrieval' };

export const slowStep = defineDetector<Params>()({
  failure_type: 'SLOW_STEP',
  key: 'slow_step',
  description: 'An LLM/tool/retrieval step took longer than its threshold (static, or 2× the agent P75).',
  live: false,
  needsBaseline: true,
  defaults: {
    llm_threshold_ms: 30_000,
    tool_threshold_ms: 15_000,
    retrieval_threshold_ms: 60_000,
    high_ratio: 5,
    min_duration_ms: 1_000,
    inflation_factor: 2.0,
    min_baseline_runs: 20,
  },
  schema,
  severities: ['MEDIUM', 'HIGH'],
  reads: [],
  detect(run, { params, baseline }) {
    const f = runFacts(run);
    const threshold = (kind: StepKind): { ms: number; mode: 'static' | 'baseline'; p75: number | null } => {
      const p75 = baselineValue(baseline, params.min_baseline_runs, baseline?.p75_max_step_ms?.[kind]);
      if (p75 !== null) return { ms: Math.max(params.inflation_factor * p75, params.min_duration_ms), mode: 'baseline', p75 };
      return { ms: params[`${kind}_threshold_ms`], mode: 'static', p75: null };
    };
    const limits = { llm: threshold('llm'), tool: threshold('tool'), retrieval: threshold('retrieval') };
    const candidates: { span: SpanFact; kind: StepKind; name: string | null }[] = [
      ...f.llm.map((s) => ({ span: s, kind: 'llm' as const, name: s.model })),
      ...f.tools.map((s) => ({ span: s, kind: 'tool' as const, name: s.name })),
      ...f.retrievals.map((s) => ({ span: s, kind: 'retrieval' as const, name: s.index_name })),
    ];
    const slow = candidates.flatMap(({ span, kind, name }) => {
      const t = limits[kind];
      const duration = span.duration_ms;
      if (duration === null || duration <= t.ms) return [];
      return [{ span, kind, name: safeName(name), duration, ratio: duration / t.ms, t }];
    });
    if (slow.length === 0) return null;
    slow.sort((a, b) => b.ratio - a.ratio || a.span.ordinal - b.span.ordinal);
    const worst = slow[0];
    const { span } = worst;
    const coincident = f.signals
      .filter(
        (sig) =>
          sig.span_id === span.span_id ||
          sig.parent_span_id === span.span_id ||
          (sig.timestamp !== null && span.started_at !== null && sig.timestamp >= span.started_at && sig.timestamp <= span.started_at + worst.duration / 1000),
      )
      .slice(0, 5)
      .map((sig) => ({ signal_name: safeName(sig.name), source: sig.source === null ? null : safeName(sig.source) }));
    return {
      failure_type: 'SLOW_STEP',
      severity: worst.ratio >= params.high_ratio ? 'HIGH' : 'MEDIUM',
      confidence: 0.92,
      step_index: span.step_index,
      evidence: {
        step_index: span.step_index,
        step_kind: worst.kind,
        step_label: LABEL[worst.kind],
        name: worst.name,
        duration_ms: Math.round(worst.duration),
        threshold_ms: Math.round(worst.t.ms),
        ratio: round(worst.ratio, 1),
        mode: worst.t.mode,
        baseline_p75_ms: worst.t.p75 === null ? null : Math.round(worst.t.p75),
        slow_step_count: slow.length,
        slow_steps: slow
          .slice(0, 10)
          .sort((a, b) => a.span.ordinal - b.span.ordinal)
          .map((s) => ({ step: s.span.step_index, kind: s.kind, duration_ms: Math.round(s.duration) })),
        coincident_signals: coincident,
      },
    };
  },
  explain: (e) => ({
    title: `Slow ${e.s('step_label')} at step ${e.n('step_index')}`,
    what: `The ${e.s('step_label')} ${e.s('name')} at step ${e.n('step_index')} took ${e.ms('duration_ms')}, ${e.n('ratio')}× its ${e.s('mode')} threshold of ${e.ms('threshold_ms')} (${e.n('slow_step_count')} slow steps in the run).`,
    why_it_matters: "One slow step dominates the run's latency and often signals a timeout, rate limit or overloaded dependency.",
    suggested_fixes: [
      { description: 'Put a timeout on the call and fail fast or fall back.', language: 'typescript', code: TIMEOUT },
      { description: "Check the coincident signals (rate limits) and the dependency's own latency." },
    ],
  }),
});
