/**
 * Retention (time partitions dropped whole, open runs kept, dry runs) and the upgrade of a schema-v3 database, run
 * against every backend (pglite.test.ts, pg.test.ts). Each test opens its own database (a fresh PGlite, or a fresh
 * schema on the server) with a clock it controls.
 */
import { describe, expect, it } from 'vitest';
import type { MappedSpan } from '../../src/mapping/events.js';
import { MIGRATIONS, runMigrations } from '../../src/storage/migrations.js';
import { listPartitions, minuteAt } from '../../src/storage/partitions.js';
import { shortenDigests } from '../../src/storage/span-rows.js';
import type { SqlStorage } from '../../src/storage/sql-storage.js';
import type { StoredSpan } from '../../src/storage/types.js';
import { batchOf, bySpanId, llmSpan, newCustomer, newRunId, rootSpan, signal, smallRun, toolSpan } from './fixtures.js';

export interface IsolatedOptions {
  now: () => number;
  retentionSeconds?: number;
  partitionMinutes?: number;
}
/** A storage on a database of its own (not migrated yet). */
export type IsolatedFactory = (options: IsolatedOptions) => Promise<SqlStorage>;

const spansOf = (stored: StoredSpan[]): MappedSpan[] => [...stored].sort(bySpanId).map((s) => s.span);
const byId = (a: MappedSpan, b: MappedSpan) => (a.span_id < b.span_id ? -1 : a.span_id > b.span_id ? 1 : 0);
const HOUR = 3_600_000;

export function retentionSuite(name: string, open: IsolatedFactory): void {
  describe(`Retention and upgrade: ${name}`, () => {
    it('prune drops expired partitions whole, keeps open runs with their spans and signals, honours per-customer retention; a dry run changes nothing', async () => {
      let t = Date.parse('2026-03-01T10:00:00Z');
      const storage = await open({ now: () => t, retentionSeconds: 3600, partitionMinutes: 10 });
      try {
        await storage.migrate();
        const [c1, c2] = [newCustomer(), newCustomer()];
        await storage.setCustomerRetention(c2, 4 * 3600);
        const closed = smallRun();
        const open = smallRun();
        const longer = smallRun();
        await storage.writeSpans(batchOf(c1, [...closed.spans, ...open.spans]));
        await storage.writeSpans(batchOf(c2, longer.spans));
        await storage.saveSignals([signal(c1, closed.runId), signal(c1, open.runId, { failure_type: 'RETRY_STORM' })]);
        for (const [c, runId] of [
          [c1, closed.runId],
          [c2, longer.runId],
        ] as const) {
          await storage.closeRun({
            customer_id: c,
            run_id: runId,
            status: 'completed',
            exit_reason: 'completed',
            agent_id: 'support-bot',
            agent_version: '1.4.2',
            started_at: 1,
            ended_at: 2,
            step_count: 3,
            stats: { steps: 3, run: runId },
          });
        }
        const partsBefore = await listPartitions(storage.driver);

        // Not expired yet: nothing to prune.
        t += 30 * 60_000;
        expect(await storage.prune()).toMatchObject({ partitions: [] });

        // c1's hour is over (plus the 10-minute partition it sits in); c2 keeps 4 hours.
        t += 45 * 60_000;
        const dry = await storage.prune({ dryRun: true });
        expect(dry.dry_run).toBe(true);
        expect(dry.partitions).toHaveLength(1);
        expect(dry.partitions[0]).toMatchObject({ runs: 1, spans: 3, signals: 1, open_runs_kept: 1 });
        expect(dry.partitions[0].expires_to.getTime()).toBeLessThanOrEqual(t);
        expect(await storage.getRun(c1, closed.runId)).not.toBeNull();
        expect(await listPartitions(storage.driver)).toEqual(partsBefore);

        const report = await storage.prune();
        expect(report).toEqual({ ...dry, dry_run: false });
        // The closed run is gone with its spans (events packed in) and its signal.
        expect(await storage.getRun(c1, closed.runId)).toBeNull();
        expect(await storage.loadRunSpans(c1, closed.runId)).toEqual([]);
        expect(await storage.listRunSignals(c1, closed.runId)).toEqual([]);
        // The open run is kept whole, still open, in a partition that lives on.
        expect(await storage.getRun(c1, open.runId)).toMatchObject({ status: 'open', span_count: 3 });
        expect(spansOf(await storage.loadRunSpans(c1, open.runId))).toEqual([...open.spans].sort(byId));
        expect((await storage.listRunSignals(c1, open.runId)).map((s) => s.failure_type)).toEqual(['RETRY_STORM']);
        expect((await storage.listOpenRuns()).map((r) => r.run_id)).toEqual([open.runId]);
        // The customer with the longer retention keeps its run; baselines keep their stats whatever retention did.
        expect(await storage.getRun(c2, longer.runId)).toMatchObject({ status: 'completed', span_count: 3 });
        expect(await storage.listRecentRunStats(c1, 'support-bot', '1.4.2', 50)).toEqual([{ steps: 3, run: closed.runId }]);
        const expired = partsBefore.filter((p) => p.end <= minuteAt(t));
        expect(expired).toHaveLength(1);
        const partsAfter = await listPartitions(storage.driver);
        expect(partsAfter).not.toContainEqual(expired[0]);
        expect(partsAfter.every((p) => p.end > minuteAt(t))).toBe(true);

        // Writes go on; a span of the pruned run starts a new run (its old data expired).
        const late = llmSpan(closed.runId, closed.spans[0].span_id, 9);
        expect(await storage.writeSpans(batchOf(c1, [late]))).toMatchObject({ inserted: 1, duplicates: 0 });
        expect(await storage.getRun(c1, closed.runId)).toMatchObject({ status: 'open', span_count: 1 });

        // Four hours on, c2's run goes too; the still-open run stays.
        t += 4 * HOUR;
        const later = await storage.prune();
        expect(later.partitions.reduce((n, p) => n + p.runs, 0)).toBeGreaterThanOrEqual(1);
        expect(await storage.getRun(c2, longer.runId)).toBeNull();
        expect(await storage.getRun(c1, open.runId)).toMatchObject({ status: 'open', span_count: 3 });
        expect(await storage.listRecentRunStats(c2, 'support-bot', '1.4.2', 50)).toEqual([{ steps: 3, run: longer.runId }]);
      } finally {
        await storage.close();
      }
    });

    it('run ids of any form up to 512 characters (UUIDs, /v1/ingest ids) are stored and found', async () => {
      const storage = await open({ now: Date.now });
      try {
        await storage.migrate();
        const customer = newCustomer();
        for (const runId of ['3f2504e0-4f89-41d3-9a0c-0305e82c3301', 'run/with spaces & ü', 'x'.repeat(512)]) {
          const root = rootSpan(runId, { span_id: `root-${runId.slice(0, 8)}` });
          const spans = [root, llmSpan(runId, root.span_id, 1), toolSpan(runId, root.span_id)];
          expect(await storage.writeSpans(batchOf(customer, spans))).toMatchObject({ inserted: 3 });
          expect(await storage.getRun(customer, runId)).toMatchObject({ run_id: runId, span_count: 3, root_seen: true });
          expect(spansOf(await storage.loadRunSpans(customer, runId))).toEqual([...spans].sort(byId));
        }
      } finally {
        await storage.close();
      }
    });

    it('upgrades a schema-v3 database in place: runs, spans with their events, signals (same ids) and baseline stats', async () => {
      const storage = await open({ now: Date.now });
      try {
        const v3 = MIGRATIONS.filter((m) => m.version <= 3);
        expect((await runMigrations(storage.driver, { migrations: v3 })).current).toBe(3);
        const customer = newCustomer();
        const { runId, spans } = smallRun();
        const openRun = newRunId();
        await writeV3(storage, customer, runId, spans, 'completed', { steps: 3 });
        await writeV3(storage, customer, openRun, [llmSpan(openRun, null, 1)], 'open', null);
        await storage.driver.query(
          `INSERT INTO signals (id, customer_id, run_id, agent_id, agent_version, failure_type, severity, confidence, step_index, evidence)
           VALUES (41, $1, $2, 'support-bot', '1.4.2', 'TOOL_LOOP', 'HIGH', 0.5, 2, '{"count": 4}')`,
          [customer, runId],
        );

        expect(await storage.migrateWithResult()).toMatchObject({ applied: MIGRATIONS.filter((m) => m.version > 3).map((m) => m.version) });
        expect(await storage.getRun(customer, runId)).toMatchObject({ status: 'completed', span_count: 3, step_count: 3 });
        // Schema 3's 64-hex content digests come back as today's 32-hex ones (their first half).
        const current = structuredClone(spans);
        current.forEach((s) => shortenDigests(s));
        expect(JSON.stringify(current)).not.toEqual(JSON.stringify(spans));
        expect(spansOf(await storage.loadRunSpans(customer, runId))).toEqual(current.sort(byId));
        expect(await storage.listRunSignals(customer, runId)).toMatchObject([{ id: 41, failure_type: 'TOOL_LOOP', evidence: { count: 4 } }]);
        expect(await storage.listRecentRunStats(customer, 'support-bot', '1.4.2', 50)).toEqual([{ steps: 3 }]);
        expect((await storage.listOpenRuns()).map((r) => r.run_id)).toEqual([openRun]);
        // New signal ids continue after the old ones; writes and reads go on in the new layout.
        const [next] = await storage.saveSignals([signal(customer, runId, { failure_type: 'RETRY_STORM' })]);
        expect(next.id).toBeGreaterThan(41);
        expect(await storage.writeSpans(batchOf(customer, [llmSpan(openRun, null, 2)]))).toMatchObject({ inserted: 1 });
        expect(await storage.migrateWithResult()).toMatchObject({ applied: [] });
      } finally {
        await storage.close();
      }
    });
  });
}

/** A run as schema v3 stored it: one runs row, one spans row per span, one events row per event. */
async function writeV3(storage: SqlStorage, customer: string, runId: string, spans: MappedSpan[], status: string, stats: unknown): Promise<void> {
  const db = storage.driver;
  await db.query(
    `INSERT INTO runs (customer_id, run_id, agent_id, agent_version, status, step_count, span_count, root_seen, last_span_at, stats, closed_at)
     VALUES ($1, $2, 'support-bot', '1.4.2', $3, 3, $4, $5, 1, $6::jsonb, CASE WHEN $3 = 'open' THEN NULL ELSE now() END)`,
    [customer, runId, status, spans.length, spans.some((s) => s.parent_span_id === null), stats === null ? null : JSON.stringify(stats)],
  );
  for (const s of spans) {
    await db.query(
      `INSERT INTO spans (customer_id, run_id, span_id, parent_span_id, name, category, start_time, end_time, status, error_type, agent_id,
                          hint_agent_id, agent_name, service_name, agent_version, tools_available, root)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'support-bot', $11, $12, $13, $14, $15::jsonb, $16::jsonb)`,
      [
        customer,
        runId,
        s.span_id,
        s.parent_span_id,
        s.name,
        s.category,
        s.start_time,
        s.end_time,
        s.status,
        s.error_type,
        s.agent_id,
        s.agent_name,
        s.service_name,
        s.agent_version,
        JSON.stringify(s.tools_available),
        s.root === null ? null : JSON.stringify(s.root),
      ],
    );
    for (const e of s.events) {
      await db.query(`INSERT INTO events (customer_id, run_id, span_id, event_type, seq, "timestamp", payload) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)`, [
        customer,
        runId,
        s.span_id,
        e.event_type,
        e.seq,
        e.timestamp,
        JSON.stringify(e.payload),
      ]);
    }
  }
}
