import { clipError, type Delivery, type NewDelivery, type Outbox } from '../../src/alerts/outbox.js';

/**
 * In-memory Outbox with the same semantics as SqlOutbox (test/alerts/sql-outbox.test.ts runs the same contract on
 * PGlite), for dispatcher tests that need no database. A test double: not part of src.
 */
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
