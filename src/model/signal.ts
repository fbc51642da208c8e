import type { FailureType } from './failure-types.js';
import type { Severity } from './severity.js';

/**
 * Evidence is content-free by construction: counts, booleans, step numbers, short names (tool/model/index/agent
 * names, pattern labels, error classes) and digests. Never prompt, output, argument or error text.
 */
export type EvidenceValue = number | boolean | string | null | EvidenceValue[] | { [key: string]: EvidenceValue };
export type Evidence = { [key: string]: EvidenceValue };

/** What a detector finds in one run: at most one per (run, failure type). */
export interface Signal<E extends Evidence = Evidence> {
  failure_type: FailureType;
  severity: Severity;
  /** 0..1 */
  confidence: number;
  /** The step the failure is pinned to (documented per detector). */
  step_index: number;
  evidence: E;
}

/** A signal attributed to its run and customer, as the pipeline stores it. */
export interface RunSignal extends Signal {
  customer_id: string;
  /** The run id (for OTLP: the 32-hex trace id). */
  run_id: string;
  agent_id: string;
  agent_version: string | null;
  /** Shadow signals are stored and shown but never alerted. */
  shadow: boolean;
  /** True when found while the run was still open (live detection), false when found at completion. */
  detected_live: boolean;
  /** Defaults to the database's now(). */
  detected_at?: Date;
}

/** A stored signal: what storage returns, alerts deliver and the API and SSE stream show. */
export interface StoredSignal extends RunSignal {
  id: number;
  detected_at: Date;
}
