/**
 * Per-agent baselines. The lead stores runStats(run) for every completed (non-errored) run and aggregates the P75 of
 * each field over the last BASELINE_WINDOW runs of the same agent_id + agent_version (in SQL with
 * PERCENTILE_CONT(0.75), or with baselineFromStats in a cache). Detectors switch from their static thresholds to
 * the baseline once `sample_size` reaches their `min_baseline_runs` (10 for STEP_COUNT_INFLATION, 20 otherwise).
 */
import type { AssembledRun } from '../runs/types.js';
import { runFacts, totalTokens, wallClockMs } from './facts.js';

/** How many recent completed runs a baseline covers. */
export const BASELINE_WINDOW = 50;

export type StepKind = 'llm' | 'tool' | 'retrieval';
export type ByStepKind = { [K in StepKind]: number | null };

/** The numbers one run contributes to its agent's baseline. Every field is null when the run cannot tell. */
export interface RunStats {
  /** Only completed, non-errored runs (exit final_answer | completed) belong in a baseline. */
  eligible: boolean;
  /** Highest step index (run.step_count). */
  steps: number;
  llm_calls: number;
  tool_calls: number;
  retrieval_calls: number;
  /** The run's slowest span per kind, ms (compared with SLOW_STEP). */
  max_step_ms: ByStepKind;
  /** Prompt tokens of the first / last LLM call that reported them (> 0). */
  first_prompt_tokens: number | null;
  last_prompt_tokens: number | null;
  /** last / first prompt tokens, when ≥ 2 calls reported them. */
  prompt_growth: number | null;
  /** llm_calls / max(tool_calls, 1); null without LLM calls. */
  llm_tool_ratio: number | null;
  /** Sum of known token totals over the LLM calls. */
  total_tokens: number | null;
  /** Run wall-clock, ms. */
  wall_clock_ms: number | null;
}

/** P75 of each RunStats field over `sample_size` runs (nulls ignored per field). */
export interface Baseline {
  /** Completed runs the baseline was computed from (≤ BASELINE_WINDOW). */
  sample_size: number;
  p75_steps: number | null;
  p75_max_step_ms: ByStepKind;
  p75_prompt_growth: number | null;
  p75_last_prompt_tokens: number | null;
  p75_llm_tool_ratio: number | null;
  p75_total_tokens: number | null;
  p75_wall_clock_ms: number | null;
}

/** Continuous percentile with linear interpolation (= Postgres PERCENTILE_CONT). Ignores null/non-finite. */
export function percentile(values: readonly (number | null | undefined)[], q: number): number | null {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const pos = Math.min(Math.max(q, 0), 1) * (xs.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo);
}

export function p75(values: readonly (number | null | undefined)[]): number | null {
  return percentile(values, 0.75);
}

export function runStats(run: AssembledRun): RunStats {
  const f = runFacts(run);
  const maxOf = (xs: { duration_ms: number | null }[]): number | null => {
    let m: number | null = null;
    for (const x of xs) if (x.duration_ms !== null && (m === null || x.duration_ms > m)) m = x.duration_ms;
    return m;
  };
  const prompts = f.llm.map((c) => c.prompt_tokens).filter((t): t is number => t !== null && t > 0);
  const first = prompts.length > 0 ? prompts[0] : null;
  const last = prompts.length > 0 ? prompts[prompts.length - 1] : null;
  return {
    eligible: run?.status === 'completed' && (f.exit === 'final_answer' || f.exit === 'completed'),
    steps: f.last_step,
    llm_calls: f.llm.length,
    tool_calls: f.tools.length,
    retrieval_calls: f.retrievals.length,
    max_step_ms: { llm: maxOf(f.llm), tool: maxOf(f.tools), retrieval: maxOf(f.retrievals) },
    first_prompt_tokens: first,
    last_prompt_tokens: last,
    prompt_growth: prompts.length >= 2 && first !== null && last !== null ? last / first : null,
    llm_tool_ratio: f.llm.length > 0 ? f.llm.length / Math.max(f.tools.length, 1) : null,
    total_tokens: totalTokens(f),
    wall_clock_ms: wallClockMs(run, f),
  };
}

/**
 * Baseline from stored stats, newest first: the first BASELINE_WINDOW eligible entries are used (ineligible ones,
 * i.e. errored/stalled/open runs, are skipped). Exclude the run being judged before calling.
 */
export function baselineFromStats(stats: readonly RunStats[]): Baseline {
  const used = stats.filter((s) => s?.eligible).slice(0, BASELINE_WINDOW);
  const col = (pick: (s: RunStats) => number | null): number | null => p75(used.map(pick));
  return {
    sample_size: used.length,
    p75_steps: col((s) => s.steps),
    p75_max_step_ms: {
      llm: col((s) => s.max_step_ms.llm),
      tool: col((s) => s.max_step_ms.tool),
      retrieval: col((s) => s.max_step_ms.retrieval),
    },
    p75_prompt_growth: col((s) => s.prompt_growth),
    p75_last_prompt_tokens: col((s) => s.last_prompt_tokens),
    p75_llm_tool_ratio: col((s) => s.llm_tool_ratio),
    p75_total_tokens: col((s) => s.total_tokens),
    p75_wall_clock_ms: col((s) => s.wall_clock_ms),
  };
}

/** The baseline value to use, or null when there is none or it covers fewer than `minRuns` runs. */
export function baselineValue(baseline: Baseline | null, minRuns: number, value: number | null | undefined): number | null {
  if (!baseline || !(baseline.sample_size >= minRuns)) return null;
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : null;
}
