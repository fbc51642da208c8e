import { PGlite } from '@electric-sql/pglite';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AlertDispatcher, ALERT_DELIVERIES_MIGRATION, SqlOutbox, type StoredSignal, type Delivery, type Outbox } from '../../src/alerts/index.js';
import type { Executor } from '../../src/storage/driver.js';
import { MemoryOutbox } from './memory-outbox.js';
import { explain, makeSignal, memoryLogger, startServer, webhookOk, type Received, type TestServer } from './helpers.js';

/** PGlite → the storage driver's Executor shape. */
function asExecutor(db: PGlite): Executor {
  return {
    async query<R>(sql: string, params?: readonly unknown[]) {
      const r = await db.query<R>(sql, params ? [...params] : undefined);
      return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
    },
    async exec(sql: string) {
      await db.exec(sql);
    },
  };
}

let db: PGlite;
let exec: Executor;

beforeAll(async () => {
  db = new PGlite();
  exec = asExecutor(db);
  await exec.exec(ALERT_DELIVERIES_MIGRATION.sql);
});
afterAll(async () => db.close());
beforeEach(async () => {
  await exec.exec('TRUNCATE alert_deliveries RESTART IDENTITY');
});

const at = (ms: number) => new Date(Date.parse('2026-01-01T00:00:00Z') + ms);

describe('ALERT_DELIVERIES_MIGRATION', () => {
  it('is version 100, named alert_deliveries, and enforces channel/status and UNIQUE(signal_id, channel)', async () => {
    expect(ALERT_DELIVERIES_MIGRATION).toMatchObject({ version: 100, name: 'alert_deliveries' });
    const cols = await exec.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'alert_deliveries' ORDER BY ordinal_position`,
    );
    expect(cols.rows.map((c) => c.column_name)).toEqual([
      'id',
      'customer_id',
      'signal_id',
      'channel',
      'status',
      'digest',
      'attempts',
      'next_attempt_at',
      'last_error',
      'created_at',
      'delivered_at',
    ]);
    await expect(exec.query(`INSERT INTO alert_deliveries (customer_id, signal_id, channel) VALUES ('c', 1, 'email')`)).rejects.toThrow();
    await expect(exec.query(`INSERT INTO alert_deliveries (customer_id, signal_id, channel, status) VALUES ('c', 1, 'slack', 'sent')`)).rejects.toThrow();
    await exec.query(`INSERT INTO alert_deliveries (customer_id, signal_id, channel) VALUES ('c', 1, 'slack')`);
    await expect(exec.query(`INSERT INTO alert_deliveries (customer_id, signal_id, channel) VALUES ('c', 1, 'slack')`)).rejects.toThrow(/unique/i);
  });
});

/** Every row of an outbox by id, whatever its status. */
async function sqlRows(): Promise<Pick<Delivery, 'status' | 'attempts' | 'last_error' | 'digest' | 'delivered_at'>[]> {
  const r = await exec.query<Pick<Delivery, 'status' | 'attempts' | 'last_error' | 'digest' | 'delivered_at'>>(
    'SELECT status, attempts, last_error, digest, delivered_at FROM alert_deliveries ORDER BY id',
  );
  return r.rows;
}

// The contract, on the real outbox and on the test double the dispatcher tests use (so the double cannot drift).
describe.each([
  { name: 'SqlOutbox (PGlite)', make: (): { outbox: Outbox; rows: typeof sqlRows } => ({ outbox: new SqlOutbox(exec), rows: sqlRows }), sql: true },
  {
    name: 'MemoryOutbox (test double)',
    make: (): { outbox: Outbox; rows: typeof sqlRows } => {
      const m = new MemoryOutbox();
      return { outbox: m, rows: async () => m.all() };
    },
    sql: false,
  },
])('$name', ({ make, sql }) => {
  let outbox: Outbox;
  let rows: typeof sqlRows;
  beforeEach(() => {
    ({ outbox, rows } = make());
  });

  it('enqueue is idempotent on (signal_id, channel) and returns only new rows', async () => {
    const first = await outbox.enqueue([
      { customer_id: 'c', signal_id: 10, channel: 'slack', next_attempt_at: at(0) },
      { customer_id: 'c', signal_id: 10, channel: 'webhook', next_attempt_at: at(0) },
    ]);
    expect(first.map((r) => [r.id, r.signal_id, r.channel, r.status, r.attempts, r.digest])).toEqual([
      [1, 10, 'slack', 'pending', 0, false],
      [2, 10, 'webhook', 'pending', 0, false],
    ]);
    expect(first[0].next_attempt_at).toEqual(at(0));
    const again = await outbox.enqueue([
      { customer_id: 'c', signal_id: 10, channel: 'slack', next_attempt_at: at(0) },
      { customer_id: 'c', signal_id: 11, channel: 'slack', next_attempt_at: at(0) },
    ]);
    expect(again.map((r) => [r.signal_id, r.channel])).toEqual([[11, 'slack']]);
    expect(await outbox.enqueue([])).toEqual([]);
    expect((await outbox.pending()).map((r) => r.id)).toEqual([first[0].id, first[1].id, again[0].id]);
    expect(again[0].id).toBe(sql ? 4 : 3); // Postgres spends a sequence value on the conflicting row
  });

  it('due() claims with a lease, so a second scan does not return the same rows', async () => {
    await outbox.enqueue([
      { customer_id: 'c', signal_id: 1, channel: 'slack', next_attempt_at: at(0) },
      { customer_id: 'c', signal_id: 2, channel: 'slack', next_attempt_at: at(5_000) },
      { customer_id: 'c', signal_id: 3, channel: 'slack', next_attempt_at: at(1_000) },
    ]);
    const got = await outbox.due(at(2_000), 10, at(60_000));
    expect(got.map((r) => r.signal_id)).toEqual([1, 3]);
    expect(got.every((r) => r.next_attempt_at.getTime() === at(60_000).getTime())).toBe(true);
    expect(await outbox.due(at(2_000), 10, at(60_000))).toEqual([]);
    expect(await outbox.nextDueAt()).toEqual(at(5_000));
    expect((await outbox.due(at(10_000), 1, at(70_000))).map((r) => r.signal_id)).toEqual([2]);
  });

  it('marks record one attempt each and only ever change pending rows', async () => {
    const [a, b, c, d] = await outbox.enqueue(
      [1, 2, 3, 4].map((id) => ({ customer_id: 'c', signal_id: id, channel: 'webhook' as const, next_attempt_at: at(0) })),
    );
    await outbox.markRetry([a.id, b.id], at(3_000), 'http 503');
    await outbox.markDelivered([a.id], at(4_000));
    await outbox.markFailed([b.id], 'http 400');
    await outbox.hold([c.id], at(9_000));
    await outbox.markSuppressed([d.id], 'channel not configured');
    // Late outcomes from a stale process do not touch finished rows.
    await outbox.markRetry([a.id, b.id, d.id], at(99_000), 'late');
    await outbox.markFailed([a.id], 'late');
    const all = await rows();
    const view = all.map((r) => [r.status, r.attempts, r.last_error, r.digest]);
    expect(view).toEqual([
      ['delivered', 2, 'http 503', false],
      ['failed', 2, 'http 400', false],
      ['pending', 0, null, true],
      ['suppressed', 0, 'channel not configured', false],
    ]);
    expect(all[0].delivered_at).toEqual(at(4_000));
    expect((await outbox.pending()).map((r) => r.id)).toEqual([c.id]);
    expect(await outbox.nextDueAt()).toEqual(at(9_000));
  });

  it('clips last_error', async () => {
    const [a] = await outbox.enqueue([{ customer_id: 'c', signal_id: 1, channel: 'slack', next_attempt_at: at(0) }]);
    await outbox.markRetry([a.id], at(1), 'x'.repeat(5_000));
    expect((await outbox.pending())[0].last_error).toHaveLength(200);
  });
});

describe('AlertDispatcher on SqlOutbox (PGlite)', () => {
  let server: TestServer;
  afterEach(async () => server?.close());
  const body = (q: Received) => JSON.parse(q.body) as { step_index: number; event: string; count?: number };

  function dispatcher(store: Map<number, StoredSignal>, config: Record<string, unknown> = {}) {
    return new AlertDispatcher(
      {
        slackWebhookUrl: null,
        webhookUrl: `${server.origin}/hook`,
        webhookSecret: 'k',
        dashboardUrl: null,
        backoff: { baseMs: 30, jitter: 0 },
        timeoutMs: 2_000,
        ...config,
      },
      { outbox: new SqlOutbox(exec), explain, loadSignal: async (id) => store.get(id) ?? null, logger: memoryLogger() },
    );
  }

  it('restart mid-delivery: the delivered one is not resent, the pending one is sent once', async () => {
    let failB = true;
    server = await startServer((q) => (failB && body(q).step_index === 2 ? { status: 500 } : webhookOk()));
    const a = makeSignal({ step_index: 1 });
    const b = makeSignal({ step_index: 2 });
    const store = new Map([a, b].map((s) => [s.id, s]));

    const d1 = dispatcher(store, { backoff: { baseMs: 60_000, jitter: 0 } });
    await d1.notify([a, b]);
    await d1.notify([a, b]); // a second notify changes nothing
    await d1.close();
    let rows = await exec.query<{ signal_id: number; status: string; attempts: number }>(
      'SELECT signal_id, status, attempts FROM alert_deliveries ORDER BY id',
    );
    expect(rows.rows).toEqual([
      { signal_id: a.id, status: 'delivered', attempts: 1 },
      { signal_id: b.id, status: 'pending', attempts: 1 },
    ]);

    failB = false;
    const d2 = dispatcher(store);
    await d2.start();
    await d2.notify([a, b]); // the pipeline re-notifying after restart is harmless too
    await d2.close();
    rows = await exec.query('SELECT signal_id, status, attempts FROM alert_deliveries ORDER BY id');
    expect(rows.rows).toEqual([
      { signal_id: a.id, status: 'delivered', attempts: 1 },
      { signal_id: b.id, status: 'delivered', attempts: 2 },
    ]);
    expect(server.received.map((q) => body(q).step_index)).toEqual([1, 2, 2]);
    expect(server.replied).toEqual([204, 500, 204]);

    const d3 = dispatcher(store);
    await d3.start();
    await d3.close();
    expect(server.received).toHaveLength(3);
  });

  it('folds a flood into one digest through the database', async () => {
    server = await startServer(webhookOk);
    const sigs = Array.from({ length: 6 }, () => makeSignal({ agent_id: 'flood', severity: 'LOW' }));
    const store = new Map(sigs.map((s) => [s.id, s]));
    const d = dispatcher(store, { burst: 2, floodWindowMs: 300 });
    await d.notify(sigs);
    expect(server.received).toHaveLength(2);
    await server.waitFor(3, 3_000);
    expect(body(server.received[2])).toMatchObject({ event: 'failure_signal_digest', count: 4 });
    await d.idle();
    await d.close();
    const st = await exec.query<{ status: string; digest: boolean; n: number }>(
      'SELECT status, digest, count(*)::int AS n FROM alert_deliveries GROUP BY 1, 2 ORDER BY 2',
    );
    expect(st.rows).toEqual([
      { status: 'delivered', digest: false, n: 2 },
      { status: 'delivered', digest: true, n: 4 },
    ]);
  });
});
