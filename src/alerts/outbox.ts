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

/** In-memory Outbox with the same semantics as SqlOutbox (tests, and deployments without a database). */
export class MemoryOutbox implements Outbox {
  private readonly rows = new Map<number, Delivery>();
  private readonly byKey = new Map<string, number>();
  private nextId = 1;

  async enqueue(deliveries: readonly NewDelivery[]): Promise<Delivery[]> {
    const created: Delivery[] = [];
    const now = new Date();
    for (const d of deliveries) {
      const key = `${d.signal_id}:${d.channel}`;
      if (this.byKey.has(key)) continue;
      const row: Delivery = {
        id: this.nextId++,
        customer_id: d.customer_id,
        signal_id: d.signal_id,
        channel: d.channel,
        status: 'pending',
        digest: false,
        attempts: 0,
        next_attempt_at: new Date(d.next_attempt_at),
        last_error: null,
        created_at: now,
        delivered_at: null,
      };
      this.rows.set(row.id, row);
      this.byKey.set(key, row.id);
      created.push(copy(row));
    }
    return created;
  }

  async hold(ids: readonly number[], until: Date): Promise<void> {
    this.update(ids, (r) => {
      r.digest = true;
      r.next_attempt_at = new Date(until);
    });
  }

  async due(now: Date, limit: number, leaseUntil: Date): Promise<Delivery[]> {
    const rows = [...this.rows.values()]
      .filter((r) => r.status === 'pending' && r.next_attempt_at.getTime() <= now.getTime())
      .sort(byDue)
      .slice(0, limit);
    for (const r of rows) r.next_attempt_at = new Date(leaseUntil);
    return rows.map(copy);
  }

  async nextDueAt(): Promise<Date | null> {
    let min: number | null = null;
    for (const r of this.rows.values()) {
      if (r.status === 'pending' && (min === null || r.next_attempt_at.getTime() < min)) min = r.next_attempt_at.getTime();
    }
    return min === null ? null : new Date(min);
  }

  async markDelivered(ids: readonly number[], at: Date): Promise<void> {
    this.update(ids, (r) => {
      r.status = 'delivered';
      r.attempts += 1;
      r.delivered_at = new Date(at);
    });
  }

  async markRetry(ids: readonly number[], nextAttemptAt: Date, lastError: string): Promise<void> {
    this.update(ids, (r) => {
      r.attempts += 1;
      r.next_attempt_at = new Date(nextAttemptAt);
      r.last_error = clipError(lastError);
    });
  }

  async markFailed(ids: readonly number[], reason: string): Promise<void> {
    this.update(ids, (r) => {
      r.status = 'failed';
      r.attempts += 1;
      r.last_error = clipError(reason);
    });
  }

  async markSuppressed(ids: readonly number[], reason: string): Promise<void> {
    this.update(ids, (r) => {
      r.status = 'suppressed';
      r.last_error = clipError(reason);
    });
  }

  async pending(limit = 10_000): Promise<Delivery[]> {
    return [...this.rows.values()]
      .filter((r) => r.status === 'pending')
      .sort((a, b) => a.id - b.id)
      .slice(0, limit)
      .map(copy);
  }

  /** Every row, by id (tests). */
  all(): Delivery[] {
    return [...this.rows.values()].sort((a, b) => a.id - b.id).map(copy);
  }

  /** Only pending rows change, as with SqlOutbox's `WHERE status = 'pending'`. */
  private update(ids: readonly number[], fn: (r: Delivery) => void): void {
    for (const id of ids) {
      const r = this.rows.get(id);
      if (r && r.status === 'pending') fn(r);
    }
  }
}

function byDue(a: Delivery, b: Delivery): number {
  return a.next_attempt_at.getTime() - b.next_attempt_at.getTime() || a.id - b.id;
}

function copy(r: Delivery): Delivery {
  return {
    ...r,
    next_attempt_at: new Date(r.next_attempt_at),
    created_at: new Date(r.created_at),
    delivered_at: r.delivered_at && new Date(r.delivered_at),
  };
}
