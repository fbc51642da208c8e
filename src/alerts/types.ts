/**
 * Contract types of the alerts stage. Structural on purpose: a storage SignalRow and the explainer's output fit them
 * without this folder importing either.
 */

export type AlertSeverity = 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW';

/** LOW 0 < MEDIUM 1 < HIGH 2 < CRITICAL 3 (upstream order). */
export const SEVERITY_RANK: Readonly<Record<AlertSeverity, number>> = { LOW: 0, MEDIUM: 1, HIGH: 2, CRITICAL: 3 };

export function atLeast(severity: AlertSeverity, min: AlertSeverity): boolean {
  return SEVERITY_RANK[severity] >= SEVERITY_RANK[min];
}

/** A stored failure signal (storage's SignalRow fits this). */
export interface AlertSignal {
  id: number;
  customer_id: string;
  /** 32 lowercase hex (= trace id). */
  run_id: string;
  agent_id: string;
  agent_version: string | null;
  failure_type: string;
  severity: AlertSeverity;
  /** 0..1 */
  confidence: number;
  step_index: number;
  evidence: Record<string, unknown>;
  /** Shadow signals are stored but never alerted. */
  shadow: boolean;
  detected_live: boolean;
  detected_at: Date;
}

export interface SuggestedFix {
  description: string;
  language?: string | null;
  code?: string | null;
}

/** What the explainer returns for a signal (deterministic templates; no raw content). */
export interface Explanation {
  title: string;
  what: string;
  why_it_matters: string;
  evidence_summary: string;
  suggested_fixes: SuggestedFix[];
}

export type ExplainFn = (signal: AlertSignal) => Explanation;

export type Channel = 'slack' | 'webhook';

/**
 * Lifecycle of one (signal, channel) delivery row:
 * - pending: to be sent (now, at a retry time, or folded into a digest at next_attempt_at);
 * - delivered: a 2xx was received (exactly once per row);
 * - failed: a permanent error (4xx other than 429), attempts exhausted, or too old;
 * - suppressed: dropped without sending (its channel is no longer configured).
 */
export type DeliveryState = 'pending' | 'delivered' | 'failed' | 'suppressed';

/** Several alerts of one (customer, agent, failure_type) folded into one message by the flood guard. */
export interface AlertDigest {
  customer_id: string;
  agent_id: string;
  failure_type: string;
  /** The highest severity among the folded alerts. */
  severity: AlertSeverity;
  /** Number of folded alerts (all of them, even when run_ids is capped by a message builder). */
  count: number;
  /** Run ids of the folded alerts, oldest first (uncapped here; builders cap what they print). */
  run_ids: string[];
  severity_counts: Partial<Record<AlertSeverity, number>>;
  first_detected_at: Date;
  last_detected_at: Date;
  /** The explainer's title for this failure type (from one of the folded signals). */
  title: string;
  /** The burst limit that was exceeded, and the flood window, for the message text. */
  burst: number;
  window_ms: number;
}

/** pino-compatible subset (fastify's logger fits). */
export interface AlertLogger {
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  info?(obj: object, msg: string): void;
  debug?(obj: object, msg: string): void;
}
