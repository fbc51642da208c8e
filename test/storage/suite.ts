/**
 * The one storage contract suite, run against every backend (see pglite.test.ts, pg.test.ts).
 * One storage instance is shared by the tests of a run (opening PGlite costs seconds); each test isolates itself
 * with its own random customer id and run ids.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MappedSpan } from '../../src/mapping/events.js';
import { MIGRATIONS, type MigrationResult } from '../../src/storage/migrations.js';
import type { SqlStorage } from '../../src/storage/sql-storage.js';
import { PermanentError } from '../../src/errors/index.js';
import { StorageUnavailableError, type ClaimOptions, type StoredSpan } from '../../src/storage/types.js';
import { batchOf, bySpanId, closeOf, hex, llmSpan, newCustomer, newRunId, newSpanId, rootSpan, signal, smallRun, toolSpan } from './fixtures.js';

export type StorageFactory = () => Promise<SqlStorage>;

const LATEST = MIGRATIONS[MIGRATIONS.length - 1].version;

const spansOnly = (stored: StoredSpan[]): MappedSpan[] => [...stored].sort(bySpanId).map((s) => s.span);
const sortSpans = (spans: MappedSpan[]): MappedSpan[] => [...spans].sort((a, b) => (a.span_id < b.span_id ? -1 : a.span_id > b.span_id ? 1 : 0));

export function storageContractSuite(name: string, factory: StorageFactory): void {
  describe(`Storage contract: ${name}`, () => {
    let storage: SqlStorage;
    let firstMigration: MigrationResult;

    beforeAll(async () => {
      storage = await factory();
      firstMigration = await storage.migrateWithResult();
    });
    afterAll(async () => {
      await storage?.close();
    });

    describe('migrations', () => {
      it('applies every migration on a fresh database, then nothing when run again', async () => {
        expect(firstMigration.applied).toEqual(MIGRATIONS.map((m) => m.version));
        expect(firstMigration.current).toBe(LATEST);
        const again = await storage.migrateWithResult();
        expect(again).toEqual({ applied: [], current: LATEST });
        await storage.migrate(); // the interface method, idempotent too
      });

      it('ping answers', async () => {
        await expect(storage.ping()).resolves.toBeUndefined();
      });
    });

    describe('api keys', () => {
      it('creates, finds, lists and revokes by key hash', async () => {
        const customer = newCustomer();
        const a = { key_hash: hex(32), key_prefix: 'dt_live_1a2b', agent_id: 'support-bot', customer_id: customer };
        const b = { key_hash: hex(32), key_prefix: 'dt_live_3c4d', agent_id: null, customer_id: customer };
        await storage.createApiKey(a);
        await storage.createApiKey(b);

        const found = await storage.findApiKey(a.key_hash);
        expect(found).toMatchObject({ ...a, active: true, revoked_at: null });
        expect(found?.created_at).toBeInstanceOf(Date);
        expect(await storage.findApiKey(hex(32))).toBeNull();

        const listed = (await storage.listApiKeys()).filter((k) => k.customer_id === customer);
        expect(listed.map((k) => k.key_hash).sort()).toEqual([a.key_hash, b.key_hash].sort());
        expect(listed.find((k) => k.key_hash === b.key_hash)?.agent_id).toBeNull();

        expect(await storage.revokeApiKey(a.key_hash)).toBe(true);
        const revoked = await storage.findApiKey(a.key_hash);
        expect(revoked?.active).toBe(false);
        expect(revoked?.revoked_at).toBeInstanceOf(Date);
        // Revoking again keeps the first revocation time.
        expect(await storage.revokeApiKey(a.key_hash)).toBe(true);
        expect((await storage.findApiKey(a.key_hash))?.revoked_at).toEqual(revoked?.revoked_at);
        expect(await storage.revokeApiKey(hex(32))).toBe(false);
        expect((await storage.findApiKey(b.key_hash))?.active).toBe(true);
      });

      it('rejects a second key with the same hash as a permanent (non-retryable) error', async () => {
        const k = { key_hash: hex(32), key_prefix: 'dt_live_aaaa', agent_id: null, customer_id: newCustomer() };
        await storage.createApiKey(k);
        const err = await storage.createApiKey(k).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(Error);
        expect(err).not.toBeInstanceOf(StorageUnavailableError);
        expect((err as { code?: string }).code).toBe('23505');
      });
    });

    describe('writeSpans', () => {
      it('round-trips MappedSpans exactly, events in seq order', async () => {
        const customer = newCustomer();
        const { runId, spans } = smallRun();
        // Events given out of seq order must come back ordered.
        const tool = spans[2];
        const shuffled: MappedSpan = { ...tool, events: [tool.events[2], tool.events[0], tool.events[1]] };
        const input = [spans[0], spans[1], shuffled];
        const before = Date.now();
        const res = await storage.writeSpans(batchOf(customer, input, 'resolved-agent'));
        const after = Date.now();

        expect(res.inserted).toBe(3);
        expect(res.duplicates).toBe(0);
        expect([...res.runs.entries()]).toEqual([[runId, { status: 'open', created: true, span_count: 3 }]]);

        const stored = await storage.loadRunSpans(customer, runId);
        expect(spansOnly(stored)).toEqual(sortSpans(spans));
        for (const s of stored) {
          expect(s.late).toBe(false);
          expect(s.agent_id).toBe('resolved-agent');
          expect(s.received_at).toBeInstanceOf(Date);
          expect(s.span.events.map((e) => e.seq)).toEqual([...s.span.events.map((e) => e.seq)].sort());
        }
        // Exact floats, not just close.
        const llm = stored.find((s) => s.span.span_id === spans[1].span_id)!;
        expect(llm.span.start_time).toBe(spans[1].start_time);
        expect(llm.span.events[1].timestamp).toBe(spans[1].events[1].timestamp);

        const run = await storage.getRun(customer, runId);
        expect(run).toMatchObject({
          customer_id: customer,
          run_id: runId,
          agent_id: 'resolved-agent',
          agent_version: '1.4.2',
          status: 'open',
          exit_reason: null,
          started_at: null,
          ended_at: null,
          step_count: 0,
          span_count: 3,
          root_seen: true,
          closed_at: null,
        });
        expect(run!.last_span_at).toBeGreaterThanOrEqual(before);
        expect(run!.last_span_at).toBeLessThanOrEqual(after);
        expect(run!.created_at).toBeInstanceOf(Date);
      });

      it('an empty batch is a no-op', async () => {
        const res = await storage.writeSpans({ customer_id: newCustomer(), spans: [] });
        expect(res).toEqual({ inserted: 0, duplicates: 0, runs: new Map() });
      });

      it('root_seen stays false until a root span arrives', async () => {
        const customer = newCustomer();
        const runId = newRunId();
        const root = rootSpan(runId);
        await storage.writeSpans(batchOf(customer, [llmSpan(runId, root.span_id)]));
        expect((await storage.getRun(customer, runId))?.root_seen).toBe(false);
        await storage.writeSpans(batchOf(customer, [root]));
        expect((await storage.getRun(customer, runId))?.root_seen).toBe(true);
      });

      it('skips spans already stored (exporter retries) and their events, counting them correctly', async () => {
        const customer = newCustomer();
        const { runId, spans } = smallRun();
        await storage.writeSpans(batchOf(customer, spans));

        const again = await storage.writeSpans(batchOf(customer, spans));
        expect(again.inserted).toBe(0);
        expect(again.duplicates).toBe(3);
        expect(again.runs.get(runId)).toEqual({ status: 'open', created: false, span_count: 3 });

        // Partial overlap: two old, one new.
        const extra = llmSpan(runId, spans[0].span_id, 1);
        const mixed = await storage.writeSpans(batchOf(customer, [spans[1], extra, spans[2]]));
        expect(mixed).toMatchObject({ inserted: 1, duplicates: 2 });

        // The same span twice inside one request.
        const twice = llmSpan(runId, spans[0].span_id, 2);
        const inBatch = await storage.writeSpans(batchOf(customer, [twice, twice]));
        expect(inBatch).toMatchObject({ inserted: 1, duplicates: 1 });

        const stored = await storage.loadRunSpans(customer, runId);
        expect(stored).toHaveLength(5);
        expect(stored.reduce((n, s) => n + s.span.events.length, 0)).toBe(2 + 3 + 2 + 2);
        expect(spansOnly(stored)).toEqual(sortSpans([...spans, extra, twice]));
        expect((await storage.getRun(customer, runId))?.span_count).toBe(5);
      });

      it('counts correctly when overlapping batches for one run are written concurrently', async () => {
        const customer = newCustomer();
        const { runId, spans } = smallRun();
        const uniques = Array.from({ length: 5 }, (_, i) => llmSpan(runId, spans[0].span_id, 10 + i));
        const results = await Promise.all(uniques.map((u) => storage.writeSpans(batchOf(customer, [...spans, u]))));
        expect(results.reduce((n, r) => n + r.inserted, 0)).toBe(3 + 5);
        expect(results.reduce((n, r) => n + r.duplicates, 0)).toBe(4 * 3);
        expect(results.filter((r) => r.runs.get(runId)?.created)).toHaveLength(1);
        expect((await storage.getRun(customer, runId))?.span_count).toBe(8);
        const stored = await storage.loadRunSpans(customer, runId);
        expect(stored).toHaveLength(8);
        expect(stored.reduce((n, x) => n + x.span.events.length, 0)).toBe(5 + 5 * 2);
      });

      it('writes spans of several runs in one batch', async () => {
        const customer = newCustomer();
        const r1 = smallRun();
        const r2 = smallRun();
        const res = await storage.writeSpans(batchOf(customer, [...r1.spans, ...r2.spans]));
        expect(res.inserted).toBe(6);
        expect(res.runs.size).toBe(2);
        expect((await storage.getRun(customer, r1.runId))?.span_count).toBe(3);
        expect((await storage.getRun(customer, r2.runId))?.span_count).toBe(3);
      });

      it('rejects bad data with an ordinary error and writes nothing of the batch', async () => {
        const customer = newCustomer();
        const good = smallRun();
        // Run ids are any string of 1–512 characters (trace ids, UUIDs, /v1/ingest ids): 513 is too long.
        const bad = rootSpan('r'.repeat(513));
        const err = await storage.writeSpans(batchOf(customer, [...good.spans, bad])).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(Error);
        expect(err).not.toBeInstanceOf(StorageUnavailableError);
        expect(await storage.getRun(customer, good.runId)).toBeNull();
        expect(await storage.loadRunSpans(customer, good.runId)).toEqual([]);

        // Two events with the same seq in one span are bad input (permanent, never retried): nothing of the batch stored.
        const r = smallRun();
        const dupSeq: MappedSpan = { ...r.spans[1], events: [r.spans[1].events[0], { ...r.spans[1].events[1], seq: 0 }] };
        const err2 = await storage.writeSpans(batchOf(customer, [r.spans[0], dupSeq])).catch((e: unknown) => e);
        expect(err2).toBeInstanceOf(PermanentError);
        expect((err2 as PermanentError).code).toBe('DUPLICATE_EVENT_SEQ');
        expect(await storage.getRun(customer, r.runId)).toBeNull();
      });

      it('writes a 1,000-span batch with 2,000 events in one call', async () => {
        const customer = newCustomer();
        const spans: MappedSpan[] = [];
        const runIds = Array.from({ length: 10 }, newRunId);
        for (const runId of runIds) {
          // Roots carry two events too, so the total is exactly 2,000.
          const root = rootSpan(runId, { events: llmSpan(runId, null).events });
          spans.push(root, ...Array.from({ length: 99 }, (_, i) => llmSpan(runId, root.span_id, i)));
        }
        expect(spans).toHaveLength(1000);
        expect(spans.reduce((n, s) => n + s.events.length, 0)).toBe(2000);

        const t = performance.now();
        const res = await storage.writeSpans(batchOf(customer, spans));
        const ms = performance.now() - t;
        console.info(`[${name}] writeSpans 1,000 spans / 2,000 events: ${ms.toFixed(0)} ms`);
        expect(res.inserted).toBe(1000);
        expect(res.runs.size).toBe(10);

        const t2 = performance.now();
        const again = await storage.writeSpans(batchOf(customer, spans));
        console.info(`[${name}] same batch again (all duplicates): ${(performance.now() - t2).toFixed(0)} ms`);
        expect(again).toMatchObject({ inserted: 0, duplicates: 1000 });

        const stored = await storage.loadRunSpans(customer, runIds[3]);
        expect(stored).toHaveLength(100);
        expect(stored.reduce((n, s) => n + s.span.events.length, 0)).toBe(200);
        expect(spansOnly(stored)).toEqual(sortSpans(spans.filter((s) => s.trace_id === runIds[3])));
        expect((await storage.getRun(customer, runIds[9]))?.span_count).toBe(100);
      });

      it('splits a batch larger than one statement takes (2,500 spans) and keeps it atomic', async () => {
        const customer = newCustomer();
        const runId = newRunId();
        const spans = Array.from({ length: 2500 }, (_, i) => toolSpan(runId, null, { span_id: hex(8), start_time: i }));
        const res = await storage.writeSpans(batchOf(customer, spans));
        expect(res).toMatchObject({ inserted: 2500, duplicates: 0 });
        expect((await storage.getRun(customer, runId))?.span_count).toBe(2500);
        const stored = await storage.loadRunSpans(customer, runId);
        expect(stored).toHaveLength(2500);
        expect(stored.reduce((n, s) => n + s.span.events.length, 0)).toBe(7500);
      });
    });

    describe('run lifecycle', () => {
      it('closeRun transitions an open run once; later calls are no-ops', async () => {
        const customer = newCustomer();
        const { runId, spans } = smallRun();
        await storage.writeSpans(batchOf(customer, spans));

        expect(await storage.closeRun(closeOf(customer, runId))).toBe(true);
        const closed = await storage.getRun(customer, runId);
        expect(closed).toMatchObject({
          status: 'completed',
          exit_reason: 'final_answer',
          agent_id: 'support-bot',
          agent_version: '1.4.2',
          started_at: 1_764_000_000.123456,
          ended_at: 1_764_000_012.469134,
          step_count: 5,
          span_count: 3,
        });
        expect(closed!.closed_at).toBeInstanceOf(Date);

        expect(await storage.closeRun(closeOf(customer, runId, { status: 'stalled', exit_reason: 'stalled' }))).toBe(false);
        expect((await storage.getRun(customer, runId))?.status).toBe('completed');
        expect(await storage.closeRun(closeOf(customer, newRunId()))).toBe(false);
      });

      it('closes the runs asked in one turn together, each caller getting its own answer; stats join the baseline ring', async () => {
        const customer = newCustomer();
        const runs = Array.from({ length: 5 }, () => smallRun());
        await storage.writeSpans(
          batchOf(
            customer,
            runs.flatMap((r) => r.spans),
          ),
        );
        const close = (runId: string, steps: number) => storage.closeRun(closeOf(customer, runId, { agent_version: `batch-${customer}`, stats: { steps } }));
        // All in one turn (one statement); the first run asked twice: the second ask finds it closed.
        const answers = await Promise.all([...runs.map((r, i) => close(r.runId, i)), close(runs[0].runId, 99)]);
        expect(answers).toEqual([true, true, true, true, true, false]);
        for (const r of runs) expect(await storage.getRun(customer, r.runId)).toMatchObject({ status: 'completed', closed_at: expect.any(Date) });
        expect((await storage.listOpenRuns()).filter((r) => r.customer_id === customer)).toEqual([]);
        const stats = (await storage.listRecentRunStats(customer, 'support-bot', `batch-${customer}`, 50)) as { steps: number }[];
        expect(stats.map((x) => x.steps).sort()).toEqual([0, 1, 2, 3, 4]);
        // A later close of an already-closed run is a no-op.
        expect(await close(runs[1].runId, 7)).toBe(false);
      });

      it('ingest health: stored at close for runs with gaps; read per agent over its completed runs; summarised in listAgents', async () => {
        const customer = newCustomer();
        const runs = Array.from({ length: 4 }, () => smallRun());
        await storage.writeSpans(
          batchOf(
            customer,
            runs.flatMap((r) => r.spans),
          ),
        );
        const health = (n: number) => ({
          spans: 5,
          unclassified_spans: n,
          unclassified: [{ name: 'ai.foo', scope: 'ai', count: n }],
          llm_calls: 2,
          llm_calls_without_tokens: 2,
          tool_calls: 0,
          unnamed_tool_calls: 0,
          unnamed_tools: [],
          broken_parents: 1,
          step_root_scope: null,
        });
        // Two runs with gaps, one clean (stores nothing), one still open (not looked at).
        await storage.closeRun(closeOf(customer, runs[0].runId, { ingest_health: health(3) }));
        await storage.closeRun(closeOf(customer, runs[1].runId, { ingest_health: health(1) }));
        await storage.closeRun(closeOf(customer, runs[2].runId, { ingest_health: null }));

        const got = await storage.loadAgentIngestHealth(customer, 'support-bot');
        expect(got?.runs_checked).toBe(3);
        expect(got?.rows.map((r) => r.unclassified_spans).sort()).toEqual([1, 3]);
        expect(got?.rows[0]).toEqual(health(got!.rows[0].unclassified_spans));
        expect(await storage.loadAgentIngestHealth(customer, 'nobody')).toBeNull();
        expect(await storage.loadAgentIngestHealth(newCustomer(), 'support-bot')).toBeNull();

        const agents = await storage.listAgents(customer, { limit: 10, offset: 0 });
        expect(agents.items.map((a) => a.ingest_health)).toEqual([
          {
            runs_checked: 3,
            runs_with_gaps: 2,
            unclassified_spans: 4,
            runs_llm_without_tokens: 2,
            runs_without_steps: 0,
            unnamed_tool_calls: 0,
            broken_parents: 2,
            step_root_runs: 0,
          },
        ]);
      });

      it('claimCompletion: one receiver at a time, only once due; spans written while claimed are late; closed runs are gone', async () => {
        const customer = newCustomer();
        const { runId, spans } = smallRun();
        const w = await storage.writeSpans(batchOf(customer, spans));
        expect(w.runs.get(runId)).toMatchObject({ status: 'open', span_count: 3 });
        const opts = (owner: string, over: Partial<ClaimOptions> = {}): ClaimOptions => ({ owner, leaseMs: 30_000, graceMs: 0, idleMs: 60_000, ...over });

        const early = await storage.claimCompletion(customer, runId, opts('a', { graceMs: 60_000 }));
        expect(early.state).toBe('wait');
        expect(early.state === 'wait' && early.retry_in_ms).toBeGreaterThan(55_000);
        expect(await storage.claimCompletion(customer, runId, opts('a'))).toEqual({ state: 'claimed', span_count: 3, root_seen: true });
        // Another receiver waits for the lease; the holder may claim again (a retried completion).
        const other = await storage.claimCompletion(customer, runId, opts('b'));
        expect(other.state === 'wait' && other.retry_in_ms).toBeGreaterThan(25_000);
        expect((await storage.claimCompletion(customer, runId, opts('a'))).state).toBe('claimed');
        expect((await storage.listOverdueRuns({ ...opts('b'), slackMs: 0, limit: 1000 })).map((r) => r.run_id)).not.toContain(runId);

        // A span of a run being completed is stored late.
        const extra = llmSpan(runId, spans[0].span_id, 9);
        const late = await storage.writeSpans(batchOf(customer, [extra]));
        expect(late.runs.get(runId)?.status).toBe('closing');
        expect((await storage.loadRunSpans(customer, runId)).find((s) => s.span.span_id === extra.span_id)?.late).toBe(true);

        expect(await storage.closeRun(closeOf(customer, runId))).toBe(true);
        expect(await storage.claimCompletion(customer, runId, opts('b'))).toEqual({ state: 'gone' });
        expect(await storage.claimCompletion(customer, newRunId(), opts('b'))).toEqual({ state: 'gone' });
      });

      it('claimCompletion: an expired claim (its receiver died) is taken over; listOverdueRuns names such runs', async () => {
        const customer = newCustomer();
        const { runId, spans } = smallRun();
        await storage.writeSpans(batchOf(customer, spans));
        const opts = (owner: string, leaseMs: number): ClaimOptions => ({ owner, leaseMs, graceMs: 0, idleMs: 60_000 });
        expect((await storage.listOverdueRuns({ ...opts('x', 1), slackMs: 0, limit: 1000 })).map((r) => r.run_id)).toContain(runId);
        expect((await storage.claimCompletion(customer, runId, opts('dead', 1))).state).toBe('claimed');
        await new Promise((r) => setTimeout(r, 20));
        expect((await storage.listOverdueRuns({ ...opts('x', 1), slackMs: 0, limit: 1000 })).map((r) => r.run_id)).toContain(runId);
        expect((await storage.claimCompletion(customer, runId, opts('peer', 30_000))).state).toBe('claimed');
      });

      it('stores spans arriving after the run closed as late', async () => {
        const customer = newCustomer();
        const { runId, spans } = smallRun();
        await storage.writeSpans(batchOf(customer, spans));
        await storage.closeRun(closeOf(customer, runId, { status: 'errored', exit_reason: 'error' }));

        const lateSpan = llmSpan(runId, spans[0].span_id, 9);
        const res = await storage.writeSpans(batchOf(customer, [lateSpan, spans[1]]));
        expect(res).toMatchObject({ inserted: 1, duplicates: 1 });
        expect(res.runs.get(runId)).toEqual({ status: 'errored', created: false, span_count: 4 });

        const stored = await storage.loadRunSpans(customer, runId);
        const late = stored.filter((s) => s.late).map((s) => s.span.span_id);
        expect(late).toEqual([lateSpan.span_id]);
        expect(stored.find((s) => s.late)?.span).toEqual(lateSpan);
        const run = await storage.getRun(customer, runId);
        expect(run).toMatchObject({ status: 'errored', span_count: 4 });
      });

      it('listOpenRuns lists open runs only, with identity and last activity', async () => {
        const customer = newCustomer();
        const a = smallRun();
        const b = smallRun();
        await storage.writeSpans(batchOf(customer, a.spans, 'agent-a'));
        await storage.writeSpans(batchOf(customer, b.spans, 'agent-b'));
        await storage.closeRun(closeOf(customer, b.runId));

        const open = (await storage.listOpenRuns()).filter((r) => r.customer_id === customer);
        expect(open.map((r) => r.run_id)).toEqual([a.runId]);
        expect(open[0]).toMatchObject({ agent_id: 'agent-a', status: 'open', span_count: 3, root_seen: true });
        expect(typeof open[0].last_span_at).toBe('number');
      });
    });

    describe('customer isolation', () => {
      it('the same run_id under two customers is two runs; no read crosses over', async () => {
        const c1 = newCustomer();
        const c2 = newCustomer();
        const runId = newRunId();
        const s1 = smallRun(runId).spans;
        const s2 = [rootSpan(runId), llmSpan(runId, null)];
        // Same span id under both customers too.
        s2[1].span_id = s1[1].span_id;

        const w1 = await storage.writeSpans(batchOf(c1, s1, 'agent-1'));
        const w2 = await storage.writeSpans(batchOf(c2, s2, 'agent-2'));
        expect(w1.runs.get(runId)?.created).toBe(true);
        expect(w2.runs.get(runId)?.created).toBe(true);
        expect(w2.inserted).toBe(2);

        expect(spansOnly(await storage.loadRunSpans(c1, runId))).toEqual(sortSpans(s1));
        expect(spansOnly(await storage.loadRunSpans(c2, runId))).toEqual(sortSpans(s2));
        expect(await storage.loadRunSpans(newCustomer(), runId)).toEqual([]);

        expect((await storage.getRun(c1, runId))?.span_count).toBe(3);
        expect((await storage.getRun(c2, runId))?.span_count).toBe(2);
        expect(await storage.getRun(newCustomer(), runId)).toBeNull();

        expect(await storage.closeRun(closeOf(c1, runId))).toBe(true);
        expect((await storage.getRun(c2, runId))?.status).toBe('open');
        const late = await storage.writeSpans(batchOf(c2, [llmSpan(runId, null, 3)]));
        expect(late.runs.get(runId)?.status).toBe('open');
        expect((await storage.loadRunSpans(c2, runId)).some((s) => s.late)).toBe(false);

        const saved1 = await storage.saveSignals([signal(c1, runId)]);
        const saved2 = await storage.saveSignals([signal(c2, runId)]);
        expect(saved1).toHaveLength(1);
        expect(saved2).toHaveLength(1); // same (run_id, failure_type), other customer: not a duplicate
        expect((await storage.listRunSignals(c1, runId)).map((s) => s.id)).toEqual([saved1[0].id]);
        expect((await storage.listRunSignals(c2, runId)).map((s) => s.id)).toEqual([saved2[0].id]);
      });
    });

    describe('text a jsonb column cannot hold', () => {
      it('a NUL or a lone surrogate in run-close facts or signal evidence neither fails the close nor the save', async () => {
        const customer = newCustomer();
        const [a, b] = [newRunId(), newRunId()];
        for (const runId of [a, b]) await storage.writeSpans(batchOf(customer, [rootSpan(runId)]));
        const hostile = 'ai.\u0000foo \ud800';
        const health = {
          spans: 1,
          unclassified_spans: 1,
          unclassified: [{ name: hostile, scope: hostile, count: 1 }],
          llm_calls: 0,
          llm_calls_without_tokens: 0,
          tool_calls: 0,
          unnamed_tool_calls: 0,
          unnamed_tools: [],
          broken_parents: 0,
          step_root_scope: null,
        };
        expect(await storage.closeRun(closeOf(customer, a, { ingest_health: health }))).toBe(true);
        expect(await storage.closeRun(closeOf(customer, b))).toBe(true);
        const [stored] = (await storage.loadAgentIngestHealth(customer, 'support-bot'))!.rows;
        expect(stored.unclassified[0].name).toBe('ai.foo \ufffd');
        const saved = await storage.saveSignals([signal(customer, a, { evidence: { tool: hostile, count: 3 } })]);
        expect(saved).toHaveLength(1);
        expect((await storage.listRunSignals(customer, a))[0].evidence).toEqual({ tool: 'ai.foo \ufffd', count: 3 });
      });
    });

    describe('signals', () => {
      it('stores one signal per (run, failure_type) ever and returns only the new ones', async () => {
        const customer = newCustomer();
        const runId = newRunId();
        const detectedAt = new Date('2026-11-25T10:00:00.123Z');
        const first = await storage.saveSignals([
          signal(customer, runId, { failure_type: 'TOOL_LOOP', detected_at: detectedAt }),
          signal(customer, runId, { failure_type: 'RETRY_STORM', severity: 'CRITICAL', shadow: true }),
        ]);
        expect(first.map((s) => s.failure_type)).toEqual(['TOOL_LOOP', 'RETRY_STORM']);
        expect(first[0]).toMatchObject({
          customer_id: customer,
          run_id: runId,
          agent_id: 'support-bot',
          agent_version: '1.4.2',
          severity: 'HIGH',
          step_index: 7,
          evidence: { tool: 'lookup_order', count: 5, window: [3, 7], nested: { ok: false } },
          shadow: false,
          detected_live: true,
          detected_at: detectedAt,
        });
        expect(first[0].confidence).toBeCloseTo(0.85, 6);
        expect(first[1].shadow).toBe(true);
        expect(first[1].detected_at).toBeInstanceOf(Date);
        expect(typeof first[0].id).toBe('number');

        // Completion re-detects TOOL_LOOP (a different step, not live) and finds a new one; a duplicate in the batch.
        const second = await storage.saveSignals([
          signal(customer, runId, { failure_type: 'TOOL_LOOP', step_index: 12, detected_live: false }),
          signal(customer, runId, { failure_type: 'CONTEXT_BLOAT', severity: 'LOW', agent_version: null }),
          signal(customer, runId, { failure_type: 'CONTEXT_BLOAT', severity: 'MEDIUM' }),
        ]);
        expect(second).toHaveLength(1);
        expect(second[0]).toMatchObject({ failure_type: 'CONTEXT_BLOAT', severity: 'LOW', agent_version: null });

        expect(await storage.saveSignals([])).toEqual([]);
        const all = await storage.listRunSignals(customer, runId);
        expect(all.map((s) => s.failure_type).sort()).toEqual(['CONTEXT_BLOAT', 'RETRY_STORM', 'TOOL_LOOP']);
        expect(all.find((s) => s.failure_type === 'TOOL_LOOP')).toMatchObject({ step_index: 7, detected_live: true });
        expect(await storage.listRunSignals(customer, newRunId())).toEqual([]);
      });
    });

    describe('close', () => {
      it('waits for in-flight writes, is idempotent, and refuses calls afterwards', async () => {
        const own = await factory();
        await own.migrate();
        const customer = newCustomer();
        const { runId, spans } = smallRun();
        const writing = own.writeSpans(batchOf(customer, spans));
        const closing = own.close();
        await expect(writing).resolves.toMatchObject({ inserted: 3 });
        await closing;
        await own.close();
        await expect(own.ping()).rejects.toBeInstanceOf(StorageUnavailableError);
        await expect(own.writeSpans(batchOf(customer, [llmSpan(runId, null)]))).rejects.toBeInstanceOf(StorageUnavailableError);
        // The write made it (read through the shared instance: same database for server / PGlite dir backends).
        if (own.kind === 'postgres') expect((await storage.getRun(customer, runId))?.span_count).toBe(3);
      });
    });

    it('stores unusual strings verbatim (quotes, backslashes, unicode, non-hex span ids)', async () => {
      const customer = newCustomer();
      const runId = newRunId();
      const odd = llmSpan(runId, 'parent-not-hex', 0, { span_id: newSpanId() + '-x', name: "quote ' and \\ and é 🙂" });
      await storage.writeSpans(batchOf(customer, [odd]));
      expect(spansOnly(await storage.loadRunSpans(customer, runId))).toEqual([odd]);
    });
  });
}
