import type { Channel, DeliveryState } from './types.js';

/**
 * Durable delivery state: one row per (signal, channel), created once ever (UNIQUE(signal_id, channel)), so a signal
 * is alerted at most once per channel across notify calls, processes and restarts. Rows hold ids and state only,
 * never message content: bodies are rebuilt from the signal when sent.
 *
 * Every mark* call records the outcome of one HTTP attempt (attempts + 1), except markSuppressed.
 * `next_attempt_at` of a pending row is when it may be taken next: its retry time, its digest flush time, or a lease
 * that the process sending it set (so a concurrent scan skips it, and it comes due again if that process loses track).
 */

export interface NewDelivery {
  customer_id: string;
  signal_id: number;
  channel: Channel;
  /** The sender's lease: the row is not returned by due() before this time. */
  next_attempt_at: Date;
}

export interface Delivery {
  id: number;
  customer_id: string;
  signal_id: number;
  channel: Channel;
  status: DeliveryState;
  /** Folded into a digest by the flood guard; sent with the other digest rows of its key when due. */
  digest: boolean;
  /** HTTP attempts made so far. */
  attempts: number;
  next_attempt_at: Date;
  /** Status code / error class of the last failed attempt ("http 500", "network ECONNREFUSED"); never a body. */
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
}

export interface Outbox {
  /** Inserts the rows not present yet (idempotent on (signal_id, channel)) and returns only those, as pending. */
  enqueue(deliveries: readonly NewDelivery[]): Promise<Delivery[]>;
  /** Folds pending rows into a digest, due at `until`. */
  hold(ids: readonly number[], until: Date): Promise<void>;
  /**
   * Claims up to `limit` pending rows with next_attempt_at ≤ now, oldest due first: sets their next_attempt_at to
   * `leaseUntil` atomically, so two scans never return the same row.
   */
  due(now: Date, limit: number, leaseUntil: Date): Promise<Delivery[]>;
  /** Earliest next_attempt_at of a pending row (arms the dispatcher's single timer), or null. */
  nextDueAt(): Promise<Date | null>;
  markDelivered(ids: readonly number[], at: Date): Promise<void>;
  markRetry(ids: readonly number[], nextAttemptAt: Date, lastError: string): Promise<void>;
  markFailed(ids: readonly number[], reason: string): Promise<void>;
  /** Dropped without an attempt (e.g. its channel is no longer configured). */
  markSuppressed(ids: readonly number[], reason: string): Promise<void>;
  /** Every pending row, oldest first (taken over by start() after a restart). */
  pending(limit?: number): Promise<Delivery[]>;
}

const ERROR_MAX = 200;

export function clipError(s: string): string {
  return s.length <= ERROR_MAX ? s : s.slice(0, ERROR_MAX - 1) + '…';
}
