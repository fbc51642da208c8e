/**
 * Detector contracts. A detector is a pure function of one assembled run (plus its tuned parameters and, for some,
 * the agent's baseline) to at most one Signal, and the words that explain that signal over the same typed evidence.
 * No I/O, no clock, never throws on odd input.
 */
import type { z } from 'zod';
import type { Evidence, Explanation, FailureType, Severity, Signal } from '../model/index.js';
import type { AssembledRun } from '../runs/types.js';
import type { Baseline } from './baseline.js';
import type { EvidenceReader } from './evidence-reader.js';

export type { Evidence, EvidenceValue, FailureType, Severity, Signal } from '../model/index.js';
export { FAILURE_TYPES, SEVERITIES } from '../model/index.js';

export interface DetectorContext<P> {
  params: P;
  /** P75 stats of the agent+version's recent completed runs, or null when none are known. */
  baseline: Baseline | null;
}

/** A detector's explanation: title, what happened, why it matters and fixes, read from its own evidence type. */
export type ExplainFn<E extends Evidence> = (evidence: EvidenceReader<E>, step: string) => Omit<Explanation, 'evidence_summary'>;

export interface Detector<P extends object = Record<string, unknown>, E extends Evidence = Evidence> {
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
  /** Every severity its signals can carry, lowest first (most rules have one; some escalate). */
  severities: readonly Severity[];
  /**
   * The content-derived facts the rule reads (lengths, keyed digests, marker labels, term masks), e.g.
   * `tool.args_hash`; [] when it reads structure only (names, counts, status, timing, tokens). Listed by
   * GET /v1/detectors and the README table, so a reader sees what each rule needs from the content.
   */
  reads: readonly string[];
  /** Strict zod object describing every parameter (snake_case); `.describe()` texts document units. */
  schema: z.ZodObject;
  /**
   * True when these parameters can never produce a signal (UNRESOLVED_AMBIGUITY without `irreversible_tools`): the
   * rule is skipped and the digest facts only it reads are not stored (detectors/stored-facts.ts).
   */
  inert?(params: P): boolean;
  /** Cross-parameter rule (e.g. threshold ≤ window); returns a message when the combination is invalid. */
  validate?(params: P): string | null;
  /** At most one signal per run. Must not throw. */
  detect(run: AssembledRun, ctx: DetectorContext<P>): Signal<E> | null;
  /** The signal in words. Stored evidence may be old or odd: the reader renders what is missing as "unknown". */
  explain: ExplainFn<E>;
}

/**
 * Declares a detector with its parameter type: `defineDetector<Params>()({ … })`. The evidence type is inferred from what `detect` returns, so `explain` can only read keys the
 * rule writes, with the types it writes them (a rule and its text cannot drift apart).
 */
export function defineDetector<P extends object>(): <E extends Evidence>(d: Detector<P, E>) => Detector<P, E> {
  return (d) => d;
}

/** A detector of any parameter and evidence shape (the registry's element type). */
export type AnyDetector = Detector<any, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
