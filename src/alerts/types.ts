/** Contract types of the alerts stage; the signal, severity and explanation shapes are the shared model's. */

import type { Explanation, Severity, StoredSignal } from '../model/index.js';

export { SEVERITY_RANK, atLeast } from '../model/index.js';
export type { Explanation, Severity, StoredSignal, SuggestedFix } from '../model/index.js';
export type ExplainFn = (signal: StoredSignal) => Explanation;

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
  severity: Severity;
  /** Number of folded alerts (all of them, even when run_ids is capped by a message builder). */
  count: number;
  /** Run ids of the folded alerts, oldest first (uncapped here; builders cap what they print). */
  run_ids: string[];
  severity_counts: Partial<Record<Severity, number>>;
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
