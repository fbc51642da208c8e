import type { Executor } from '../storage/driver.js';
import { clipError, type Delivery, type NewDelivery, type Outbox } from './outbox.js';
import type { Channel, DeliveryState } from './types.js';

/**
 * Postgres/PGlite Outbox over the storage driver's `query`. Append ALERT_DELIVERIES_MIGRATION to the storage
 * migrations (version 100 leaves room for core schema versions). No foreign key to signals, as elsewhere in the
 * schema; no message content is stored.
 */
export const ALERT_DELIVERIES_MIGRATION: { readonly version: number; readonly name: string; readonly sql: string } = {
  version: 100,
  name: 'alert_deliveries',
  sql: `
CREATE TABLE alert_deliveries (
  id               BIGSERIAL PRIMARY KEY,
  customer_id      TEXT NOT NULL,
  signal_id        BIGINT NOT NULL,
  channel          TEXT NOT NULL CHECK (channel IN ('slack', 'webhook')),
  status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed', 'suppressed')),
  digest           BOOLEAN NOT NULL DEFAULT FALSE,
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  last_error       TEXT,
  created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
  delivered_at     TIMESTAMPTZ,
  UNIQUE (signal_id, channel)
);
CREATE INDEX alert_deliveries_due_idx ON alert_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX alert_deliveries_customer_idx ON alert_deliveries (customer_id, created_at DESC);
`,
};

const COLUMNS = 'id, customer_id, signal_id, channel, status, digest, attempts, next_attempt_at, last_error, created_at, delivered_at';

interface RawRow {
  id: number | string;
  customer_id: string;
  signal_id: number | string;
  channel: string;
  status: string;
  digest: boolean;
  attempts: number | string;
  next_attempt_at: Date | string;
  last_error: string | null;
  created_at: Date | string;
  delivered_at: Date | string | null;
}

export class SqlOutbox implements Outbox {
  constructor(private readonly db: Pick<Executor, 'query'>) {}

  async enqueue(deliveries: readonly NewDelivery[]): Promise<Delivery[]> {
    if (deliveries.length === 0) return [];
    const r = await this.db.query<RawRow>(
      `INSERT INTO alert_deliveries (customer_id, signal_id, channel, next_attempt_at)
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::timestamptz[])
       ON CONFLICT (signal_id, channel) DO NOTHING
       RETURNING ${COLUMNS}`,
      [
        deliveries.map((d) => d.customer_id),
        deliveries.map((d) => d.signal_id),
        deliveries.map((d) => d.channel),
        deliveries.map((d) => d.next_attempt_at.toISOString()),
      ],
    );
    return r.rows.map(toDelivery).sort((a, b) => a.id - b.id);
  }

  async hold(ids: readonly number[], until: Date): Promise<void> {
    if (ids.length === 0) return;
    await this.db.query(`UPDATE alert_deliveries SET digest = TRUE, next_attempt_at = $2 WHERE id = ANY($1::bigint[]) AND status = 'pending'`, [
      [...ids],
      until.toISOString(),
    ]);
  }

  async due(now: Date, limit: number, leaseUntil: Date): Promise<Delivery[]> {
    const r = await this.db.query<RawRow>(
      `UPDATE alert_deliveries SET next_attempt_at = $3
       WHERE id IN (
         SELECT id FROM alert_deliveries
         WHERE status = 'pending' AND next_attempt_at <= $1
         ORDER BY next_attempt_at, id
         LIMIT $2
         FOR UPDATE SKIP LOCKED)
       RETURNING ${COLUMNS}`,
      [now.toISOString(), limit, leaseUntil.toISOString()],
    );
    return r.rows.map(toDelivery).sort((a, b) => a.id - b.id);
  }

  async nextDueAt(): Promise<Date | null> {
    const r = await this.db.query<{ at: Date | string | null }>(`SELECT min(next_attempt_at) AS at FROM alert_deliveries WHERE status = 'pending'`);
    const at = r.rows[0]?.at;
    return at == null ? null : new Date(at);
  }

  async markDelivered(ids: readonly number[], at: Date): Promise<void> {
    await this.set(ids, `status = 'delivered', attempts = attempts + 1, delivered_at = $2`, [at.toISOString()]);
  }

  async markRetry(ids: readonly number[], nextAttemptAt: Date, lastError: string): Promise<void> {
    await this.set(ids, `attempts = attempts + 1, next_attempt_at = $2, last_error = $3`, [nextAttemptAt.toISOString(), clipError(lastError)]);
  }

  async markFailed(ids: readonly number[], reason: string): Promise<void> {
    await this.set(ids, `status = 'failed', attempts = attempts + 1, last_error = $2`, [clipError(reason)]);
  }

  async markSuppressed(ids: readonly number[], reason: string): Promise<void> {
    await this.set(ids, `status = 'suppressed', last_error = $2`, [clipError(reason)]);
  }

  async pending(limit = 10_000): Promise<Delivery[]> {
    const r = await this.db.query<RawRow>(`SELECT ${COLUMNS} FROM alert_deliveries WHERE status = 'pending' ORDER BY id LIMIT $1`, [limit]);
    return r.rows.map(toDelivery);
  }

  /** Only pending rows change: a row delivered once is never reopened or failed. */
  private async set(ids: readonly number[], assignments: string, params: unknown[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db.query(`UPDATE alert_deliveries SET ${assignments} WHERE id = ANY($1::bigint[]) AND status = 'pending'`, [[...ids], ...params]);
  }
}

function toDelivery(r: RawRow): Delivery {
  return {
    id: Number(r.id),
    customer_id: r.customer_id,
    signal_id: Number(r.signal_id),
    channel: r.channel as Channel,
    status: r.status as DeliveryState,
    digest: r.digest,
    attempts: Number(r.attempts),
    next_attempt_at: new Date(r.next_attempt_at),
    last_error: r.last_error,
    created_at: new Date(r.created_at),
    delivered_at: r.delivered_at == null ? null : new Date(r.delivered_at),
  };
}
