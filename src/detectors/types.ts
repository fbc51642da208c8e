/**
 * Detector contracts. A detector is a pure function of one assembled run (plus its tuned parameters and, for some,
 * the agent's baseline) to at most one Signal. No I/O, no clock, never throws on odd input.
 */
import type { z } from 'zod';
import type { AssembledRun } from '../runs/types.js';
import type { Baseline } from './baseline.js';

export const FAILURE_TYPES = [
  // the original 15
  'TOOL_LOOP',
  'TOOL_THRASHING',
  'TOOL_AVOIDANCE',
  'GOAL_ABANDONMENT',
  'RAG_EMPTY_RETRIEVAL',
  'LLM_TRUNCATION_LOOP',
  'CONTEXT_BLOAT',
  'SLOW_STEP',
  'RETRY_STORM',
  'EMPTY_LLM_RESPONSE',
  'STEP_COUNT_INFLATION',
  'CASCADING_TOOL_FAILURE',
  'FIRST_STEP_FAILURE',
  'REASONING_STALL',
  'PROMPT_INJECTION_SIGNAL',
  // later, structural
  'SILENT_TRUNCATION',
  'MODEL_FALLBACK_DRIFT',
  'COST_SPIKE',
  'SESSION_LATENCY',
  'EXCESSIVE_RETRIEVAL',
  'RUNAWAY_ITERATION',
  'AGENT_HANDOFF_FAILURE',
  'DELEGATION_LOOP',
] as const;
export type FailureType = (typeof FAILURE_TYPES)[number];

export const SEVERITIES = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type Severity = (typeof SEVERITIES)[number];

/**
 * Evidence is content-free by construction: counts, booleans, step numbers, short names (tool/model/index/agent
 * names, pattern labels, error classes) and hashes. Never prompt, output, argument or error text.
 */
export type EvidenceValue = number | boolean | string | null | EvidenceValue[] | { [key: string]: EvidenceValue };
export type Evidence = { [key: string]: EvidenceValue };

export interface Signal {
  failure_type: FailureType;
  severity: Severity;
  /** 0..1 */
  confidence: number;
  /** The step the failure is pinned to (documented per detector). */
  step_index: number;
  evidence: Evidence;
}

export interface DetectorContext<P> {
  params: P;
  /** P75 stats of the agent+version's recent completed runs, or null when none are known. */
  baseline: Baseline | null;
}

export interface Detector<P extends object = Record<string, unknown>> {
  failure_type: FailureType;
  /** snake_case key used in detectors.yml, e.g. "tool_loop". */
  key: string;
  /** One line: the rule, in words. */
  description: string;
  /** Checked on open (in-flight) runs too; the others only judge finished (completed/errored/stalled) runs. */
  live: boolean;
  /** Uses the baseline when one with enough runs is given (falls back to static thresholds, or stays quiet). */
  needsBaseline?: boolean;
  /** Signals are stored but not alerted unless detectors.yml says `shadow: false`. */
  shadowByDefault?: boolean;
  defaults: Readonly<P>;
  /** Strict zod object describing every parameter (snake_case); `.describe()` texts document units. */
  schema: z.ZodObject;
  /** Cross-parameter rule (e.g. threshold ≤ window); returns a message when the combination is invalid. */
  validate?(params: P): string | null;
  /** At most one signal per run. Must not throw. */
  detect(run: AssembledRun, ctx: DetectorContext<P>): Signal | null;
}

/** A detector of any parameter shape (the registry's element type). */
export type AnyDetector = Detector<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
