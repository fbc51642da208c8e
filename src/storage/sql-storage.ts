import type { Executor, Queryable } from './driver.js';
import { toStorageError } from './errors.js';
import { DEFAULT_RETENTION_S } from './migration-v4.js';
import type { RunIngestHealth } from '../model/index.js';
import { MIGRATIONS, runMigrations, type Migration, type MigrationResult } from './migrations.js';
import { covering, dropPartition, ensurePartition, firstKey, listPartitions, minuteAt, minuteStart, type PartitionRange } from './partitions.js';
import { StringDictionary } from './strings.js';
import { FactRefs } from './fact-refs.js';
import type { MappedSpan } from '../mapping/events.js';
import { encodeSpanBody, insertSpanRows, SPAN_COPY_TARGET, spanCopyData, spanKeyBytes, type SpanRow } from './span-rows.js';
import {
  closeRunInput,
  fromJsonb,
  jsonbText,
  fromRunStatsRow,
  signalRefreshInput,
  signalsInput,
  toAgentSummary,
  toApiKey,
  toCount,
  toRun,
  toRunSummary,
  toSignal,
  toSpanWriteInput,
  toStoredSpans,
  type AgentDbRow,
  type ApiKeyDbRow,
  type RunDbRow,
  type SpanWriteInput,
  type SignalDbRow,
  type SpanDbRow,
} from './rows.js';
import * as sql from './statements.js';
import {
  StorageUnavailableError,
  type AgentQuery,
  type ClaimOptions,
  type CompletionClaim,
  type AgentSummary,
  type ApiKeyRow,
  type NewApiKey,
  type Page,
  type PruneOptions,
  type PruneReport,
  type RunClose,
  type RunQuery,
  type RunRow,
  type RunSignal,
  type RunSummary,
  type SignalQuery,
  type SpanBatch,
  type Storage,
  type StoredSignal,
  type StoredSpan,
  type WriteResult,
} from './types.js';

/**
 * The one Storage implementation, over any Queryable (PGlite or a pg Pool). This class sequences statements
 * (transactions, COPY, paging, partitions) and tracks in-flight calls for close(); the SQL text lives in
 * statements.ts, the row ↔ object mapping in rows.ts and span-rows.ts, the time partitions in partitions.ts.
 *
 * writeSpans is one transaction of 3 round trips whatever the batch size: advisory locks on the batch's runs (in one
 * order), one upsert of every run it touches (returns their keys and statuses, row-locking existing runs so a
 * concurrent closeRun cannot interleave), then one binary COPY of the span rows (each span with its events packed in
 * one row). COPY cannot skip rows already stored, so a batch holding a span stored before (an exporter retry) fails
 * on the primary key and is written again with INSERT … ON CONFLICT DO NOTHING: the rare path pays, not the common.
 */

export interface SqlStorageOptions {
  /** Schema the connection's search_path points at (pg `schema` option): migrate() creates it when missing. */
  schema?: string;
  /** Migrations to apply (default MIGRATIONS); e.g. [...MIGRATIONS, ALERT_DELIVERIES_MIGRATION]. */
  migrations?: readonly Migration[];
  /** Wall clock in ms, for runs.last_span_at, expiry and pruning (tests inject it). */
  now?: () => number;
  /** DUNETRACE_RETENTION in seconds (default 30 days); a customer's customers.retention_seconds overrides it. */
  retentionSeconds?: number;
  /** Width of new time partitions in minutes (stored in the database; default 1 day). */
  partitionMinutes?: number;
}

/** How long a customer's retention override is cached (ms). */
const RETENTION_TTL_MS = 60_000;
/** Advisory lock for partition DDL (first key: the namespace of migrations.ts + 1). */
const PARTITION_LOCK = 'SELECT pg_advisory_xact_lock(226361346, hashtext(current_schema()))';

export class SqlStorage implements Storage {
  readonly kind: 'pglite' | 'postgres';
  private readonly inflight = new Set<Promise<unknown>>();
  private closing: Promise<void> | null = null;
  private readonly now: () => number;
  private readonly retentionMs: number;
  private readonly retentionCache = new Map<string, { ms: number; until: number }>();
  /** Names recurring across span bodies, stored once (strings.ts); this process's cache of the table. */
  private readonly strings = new StringDictionary();
  /** Bases for the digest sets this process stores by reference (fact-refs.ts). */
  private readonly factRefs = new FactRefs();
  private partitions: PartitionRange[] | null = null;
  private partitionWidth: number | null = null;
  private readonly claimQueue: {
    customerId: string;
    runId: string;
    options: ClaimOptions;
    resolve: (c: CompletionClaim) => void;
    reject: (err: unknown) => void;
  }[] = [];
  private readonly closeQueue: { update: RunClose; resolve: (closed: boolean) => void; reject: (err: unknown) => void }[] = [];

  constructor(
    private readonly db: Queryable,
    private readonly options: SqlStorageOptions = {},
  ) {
    this.kind = db.kind;
    this.now = options.now ?? Date.now;
    this.retentionMs = (options.retentionSeconds ?? DEFAULT_RETENTION_S) * 1000;
  }

  /**
   * The underlying driver, for modules that keep their own tables in the same database (e.g. the alerts outbox).
   * Calls made through it are not tracked by close().
   */
  get driver(): Queryable {
    return this.db;
  }

  /** Like migrate(), but tells what was applied. */
  migrateWithResult(): Promise<MigrationResult> {
    const { schema, migrations = MIGRATIONS, partitionMinutes } = this.options;
    return this.run(async () => {
      const result = await runMigrations(this.db, { schema, migrations });
      if (partitionMinutes !== undefined) await this.db.query(sql.SET_PARTITION_MINUTES_SQL, [partitionMinutes]);
      return result;
    });
  }

  async migrate(): Promise<void> {
    await this.migrateWithResult();
  }

  ping(): Promise<void> {
    return this.run(async () => {
      await this.db.query('SELECT 1');
    });
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      // New calls are refused from here on; let the ones already running finish (their outcome is theirs to report).
      while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
      await this.db.close();
    })();
    return this.closing;
  }

  // --- API keys ---

  createApiKey(row: NewApiKey): Promise<void> {
    return this.run(async () => {
      await this.db.query(sql.INSERT_API_KEY_SQL, [row.key_hash, row.key_prefix, row.agent_id, row.customer_id]);
    });
  }

  findApiKey(keyHash: string): Promise<ApiKeyRow | null> {
    return this.run(async () => {
      const r = await this.db.query<ApiKeyDbRow>(sql.FIND_API_KEY_SQL, [keyHash]);
      return r.rows.length > 0 ? toApiKey(r.rows[0]) : null;
    });
  }

  revokeApiKey(keyHash: string): Promise<boolean> {
    return this.run(async () => {
      const r = await this.db.query(sql.REVOKE_API_KEY_SQL, [keyHash]);
      return r.rows.length > 0;
    });
  }

  listApiKeys(): Promise<ApiKeyRow[]> {
    return this.run(async () => {
      const r = await this.db.query<ApiKeyDbRow>(sql.LIST_API_KEYS_SQL);
      return r.rows.map(toApiKey);
    });
  }

  // --- Ingest ---

  writeSpans(batch: SpanBatch): Promise<WriteResult> {
    return this.run(async () => {
      const result: WriteResult = { inserted: 0, duplicates: 0, runs: new Map() };
      if (batch.spans.length === 0) return result;
      const input = toSpanWriteInput(batch);
      const now = Math.trunc(this.now());
      const expiry = minuteAt(now + (await this.customerRetentionMs(batch.customer_id)));
      await this.ensurePartitionFor(expiry);
      const keys = input.spans.map((u) => spanKeyBytes(u.span.span_id));
      // Rows are built before the transaction opens: it holds its locks only for the database's own work. Spans of the
      // batch may be each other's bases (fact-refs.ts) only when every one of them is inserted: a COPY, or an INSERT
      // that met no stored copy (else it is rolled back and written again without them).
      const write = async (mode: 'copy' | 'insert', inBatch: boolean) => {
        const plan = this.factRefs.plan(
          batch.customer_id,
          input.spans.map((u, i) => ({ run_id: u.run_id, span: u.span, keyHex: keys[i].toString('hex') })),
          inBatch,
        );
        const rows = await this.encodeSpans(input, plan.spans, keys, now);
        await this.writeBatch(batch.customer_id, input, rows, now, expiry, mode, inBatch, result);
        if (result.inserted === input.spans.length) plan.commit();
      };
      const again = async (err: unknown) => {
        // 23505: a span of the batch is stored already (an exporter retry): write it again, skipping those.
        if ((err as { code?: string }).code !== '23505' && !(err instanceof PartialBatch)) throw err;
        result.runs.clear();
        await write('insert', false);
      };
      await write(this.db.copyFrom === undefined ? 'insert' : 'copy', true).catch(again);
      result.duplicates = input.duplicates + input.spans.length - result.inserted;
      return result;
    });
  }

  /**
   * The batch's span rows, names in the string dictionary written as its ids. A batch holding recurring names the
   * dictionary lacks interns them first (a statement of its own, committed before any body refers to them) and is
   * encoded again; once the names are known (the steady state) this is one pass and no round trip.
   */
  private async encodeSpans(input: SpanWriteInput, spans: readonly MappedSpan[], keys: Buffer[], now: number): Promise<{ spanKey: Buffer; body: Buffer }[]> {
    const missed: string[] = [];
    const options = { strings: this.strings, misses: (v: string) => missed.push(v) };
    const encode = () => spans.map((span, i) => ({ spanKey: keys[i], body: encodeSpanBody(input.spans[i].agent_id, now, span, options) }));
    const rows = encode();
    if (missed.length === 0 || !(await this.strings.intern(this.db, missed))) return rows;
    missed.length = 0;
    return encode();
  }

  private async writeBatch(
    customerId: string,
    input: SpanWriteInput,
    prepared: { spanKey: Buffer; body: Buffer }[],
    now: number,
    expiry: number,
    mode: 'copy' | 'insert',
    whole: boolean,
    result: WriteResult,
  ): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query(sql.LOCK_RUNS_SQL, [customerId, input.runs.map((r) => r.run_id)]);
      // The COPY path counts every span as new; the INSERT path adds what it really inserted afterwards.
      const runs = mode === 'copy' ? input.runs : input.runs.map((r) => ({ ...r, n: 0 }));
      const up = await tx.query<{ run_id: string; run_key: string; status: RunRow['status'] | 'closing'; created: boolean; span_count: number | string }>(
        sql.UPSERT_RUNS_SQL,
        [customerId, jsonbText(runs), now, expiry],
      );
      const byRun = new Map(up.rows.map((r) => [r.run_id, r]));
      for (const row of up.rows) result.runs.set(row.run_id, { status: row.status, created: row.created, span_count: Number(row.span_count) });
      const rows: SpanRow[] = input.spans.map((u, i) => {
        const run = byRun.get(u.run_id);
        if (!run) throw new Error(`run ${u.run_id} missing after upsert`);
        return { runKey: String(run.run_key), spanKey: prepared[i].spanKey, late: run.status !== 'open', body: prepared[i].body };
      });
      if (mode === 'copy' && tx.copyFrom) {
        await tx.copyFrom(SPAN_COPY_TARGET, spanCopyData(inKeyOrder(rows)));
        result.inserted = rows.length;
        return;
      }
      const counts = await insertSpanRows(tx, rows);
      let inserted = 0;
      for (const n of counts.values()) inserted += n;
      if (counts.size > 0) {
        await tx.query(sql.COUNT_SPANS_SQL, [customerId, JSON.stringify([...counts].map(([run_key, n]) => ({ run_key, n })))]);
        for (const row of up.rows) {
          const entry = result.runs.get(row.run_id);
          if (entry) entry.span_count += counts.get(String(row.run_key)) ?? 0;
        }
      }
      // Spans refer to each other's sets: a batch that was not inserted whole must not commit (written again without).
      if (whole && inserted < rows.length) throw new PartialBatch();
      result.inserted = inserted;
    });
  }

  // --- Retention ---

  /** Sets (seconds) or clears (null) a customer's retention override; applies to runs created from now on. */
  setCustomerRetention(customerId: string, seconds: number | null): Promise<void> {
    return this.run(async () => {
      await this.db.query(sql.SET_CUSTOMER_RETENTION_SQL, [customerId, seconds]);
      this.retentionCache.delete(customerId);
    });
  }

  /**
   * Drops every time partition whose runs have all expired (runs, spans with their events, signals go together),
   * after moving the open runs it holds, with their spans and signals, to a live partition: an open run is never
   * removed. dryRun: only reports what would go.
   */
  prune(options: PruneOptions = {}): Promise<PruneReport> {
    return this.run(async () => {
      const now = options.now?.getTime() ?? this.now();
      const nowMinute = minuteAt(now);
      const report: PruneReport = { dry_run: options.dryRun === true, at: new Date(now), partitions: [], kept: 0 };
      await this.db.transaction(async (tx) => {
        await tx.query(PARTITION_LOCK);
        const parts = await listPartitions(tx);
        const width = await this.width(tx);
        // A snapshot: relocating open runs may add a partition to parts.
        for (const p of [...parts]) {
          if (p.end > nowMinute) {
            report.kept++;
            continue;
          }
          const [lo, hi] = [firstKey(p.start).toString(), firstKey(p.end).toString()];
          const c = await tx.query<{ runs: string | number; spans: string | number; signals: string | number }>(sql.PARTITION_COUNTS_SQL, [lo, hi]);
          const open = await tx.query<{ run_key: string; customer_id: string }>(sql.OPEN_RUNS_IN_RANGE_SQL, [lo, hi]);
          report.partitions.push({
            expires_from: new Date(minuteStart(p.start)),
            expires_to: new Date(minuteStart(p.end)),
            runs: Number(c.rows[0].runs),
            spans: Number(c.rows[0].spans),
            signals: Number(c.rows[0].signals),
            open_runs_kept: open.rows.length,
          });
          if (report.dry_run) continue;
          for (const run of open.rows) {
            const expiry = minuteAt(now + (await this.customerRetentionMs(run.customer_id, tx)));
            await ensurePartition(tx, expiry, width, parts);
            await tx.query(sql.RELOCATE_RUN_SQL, [run.run_key, expiry]);
          }
          await dropPartition(tx, p);
        }
      });
      this.partitions = null; // re-read: this or another process may have created or dropped some
      return report;
    });
  }

  private async customerRetentionMs(customerId: string, ex: Executor = this.db): Promise<number> {
    const now = Date.now();
    const hit = this.retentionCache.get(customerId);
    if (hit && hit.until > now) return hit.ms;
    const r = await ex.query<{ retention_seconds: number | null }>(sql.CUSTOMER_RETENTION_SQL, [customerId]);
    const seconds = r.rows[0]?.retention_seconds;
    const ms = seconds === null || seconds === undefined ? this.retentionMs : Number(seconds) * 1000;
    this.retentionCache.set(customerId, { ms, until: now + RETENTION_TTL_MS });
    return ms;
  }

  private async width(ex: Executor): Promise<number> {
    if (this.partitionWidth === null) {
      const r = await ex.query<{ partition_minutes: number }>(sql.PARTITION_MINUTES_SQL);
      this.partitionWidth = Number(r.rows[0]?.partition_minutes ?? 1440);
    }
    return this.partitionWidth;
  }

  /** Makes sure the partition for an expiry minute exists (once per partition width, under the partition lock). */
  private async ensurePartitionFor(minute: number): Promise<void> {
    if (this.partitions !== null && covering(this.partitions, minute)) return;
    await this.db.transaction(async (tx) => {
      await tx.query(PARTITION_LOCK);
      const parts = await listPartitions(tx);
      await ensurePartition(tx, minute, await this.width(tx), parts);
      this.partitions = parts;
    });
  }

  // --- Run lifecycle ---

  listOpenRuns(): Promise<RunRow[]> {
    return this.run(async () => {
      const r = await this.db.query<RunDbRow>(sql.LIST_OPEN_RUNS_SQL);
      return r.rows.map(toRun);
    });
  }

  loadRunSpans(customerId: string, runId: string): Promise<StoredSpan[]> {
    return this.run(async () => {
      const params = [customerId, runId];
      const spans = await this.db.query<SpanDbRow>(sql.LOAD_RUN_SPANS_SQL, params);
      // Names another receiver interned are not in this process's dictionary yet: load them and decode again.
      const unknown = new Set<number>();
      const options = { strings: this.strings, unknown: (id: number) => unknown.add(id) };
      const out = toStoredSpans(runId, spans.rows, options);
      if (unknown.size === 0) return out;
      const absent = await this.strings.load(this.db, unknown);
      if (absent.length > 0)
        throw new Error(`run ${runId}: span bodies refer to dictionary strings ${absent.slice(0, 5).join(', ')} the database does not have`);
      return toStoredSpans(runId, spans.rows, { strings: this.strings });
    });
  }

  /**
   * Claims are coalesced like closes (every claim of one event-loop turn in one transaction): the locks, then one
   * statement deciding each run (see CLAIM_RUNS_SQL).
   */
  claimCompletion(customerId: string, runId: string, options: ClaimOptions): Promise<CompletionClaim> {
    return this.run(
      () =>
        new Promise<CompletionClaim>((resolve, reject) => {
          this.claimQueue.push({ customerId, runId, options, resolve, reject });
          if (this.claimQueue.length === 1) setImmediate(() => void this.flushClaims());
        }),
    );
  }

  private async flushClaims(): Promise<void> {
    const batch = this.claimQueue.splice(0);
    // One receiver claims with one set of options; a batch mixing them (tests) is decided by its first.
    const { owner, leaseMs, graceMs, idleMs } = batch[0].options;
    const now = Math.trunc(this.now());
    const input = jsonbText(batch.map((c) => ({ customer_id: c.customerId, run_id: c.runId })));
    try {
      const r = await this.db.transaction(async (tx) => {
        await tx.query(sql.LOCK_RUN_PAIRS_SQL, [input]);
        return tx.query<ClaimDbRow>(sql.CLAIM_RUNS_SQL, [input, owner, now, leaseMs, graceMs, idleMs]);
      });
      const byRun = new Map(r.rows.map((row) => [`${row.customer_id}\u0000${row.run_id}`, row]));
      for (const c of batch) c.resolve(toClaim(byRun.get(`${c.customerId}\u0000${c.runId}`), c.options, now));
    } catch (err) {
      for (const c of batch) c.reject(err);
    }
  }

  listOverdueRuns(options: ClaimOptions & { slackMs: number; limit: number }): Promise<RunRow[]> {
    return this.run(async () => {
      const now = Math.trunc(this.now());
      const r = await this.db.query<RunDbRow>(sql.OVERDUE_RUNS_SQL, [now, options.graceMs, options.idleMs, options.slackMs, options.limit]);
      return r.rows.map(toRun);
    });
  }

  /**
   * Closes are coalesced: every closeRun of the same event-loop turn goes into ONE statement and ONE transaction (at
   * ingest rates runs close by the hundreds per second; a transaction each bounded throughput). Each caller still
   * gets its own answer. The commit is asynchronous (synchronous_commit off): nothing is acknowledged on the
   * strength of it — the run's signals were stored durably before — and a close lost to a crash leaves the run open,
   * to be recovered, judged again (its signals stored once) and closed again.
   */
  closeRun(update: RunClose): Promise<boolean> {
    return this.run(
      () =>
        new Promise<boolean>((resolve, reject) => {
          this.closeQueue.push({ update, resolve, reject });
          if (this.closeQueue.length === 1) setImmediate(() => void this.flushCloses());
        }),
    );
  }

  private async flushCloses(): Promise<void> {
    const batch = this.closeQueue.splice(0);
    const first = new Map<string, (typeof batch)[number]>();
    for (const c of batch) {
      const k = `${c.update.customer_id}\u0000${c.update.run_id}`;
      if (!first.has(k)) first.set(k, c);
    }
    try {
      const input = jsonbText([...first.values()].map((c) => closeRunInput(c.update)));
      const r = await this.db.transaction(async (tx) => {
        await tx.query('SET LOCAL synchronous_commit TO off');
        // The writers' advisory locks, in their order: a close and an ingest write touching the same runs row-lock
        // them one after the other instead of in two orders (a deadlock Postgres broke under 8 senders, bench:bytes).
        await tx.query(sql.LOCK_RUN_PAIRS_SQL, [input]);
        return tx.query<{ customer_id: string; run_id: string }>(sql.CLOSE_RUNS_SQL, [input]);
      });
      const closed = new Set(r.rows.map((row) => `${row.customer_id}\u0000${row.run_id}`));
      // A run asked to close twice in one turn: the first caller closed it, the second finds it closed.
      for (const c of batch) {
        const k = `${c.update.customer_id}\u0000${c.update.run_id}`;
        c.resolve(first.get(k) === c && closed.has(k));
      }
    } catch (err) {
      for (const c of batch) c.reject(err);
    }
  }

  listRecentRunStats(customerId: string, agentId: string, agentVersion: string, limit: number): Promise<unknown[]> {
    return this.run(async () => {
      const r = await this.db.query<{ stats: unknown; packed: Uint8Array | null }>(sql.RECENT_RUN_STATS_SQL, [customerId, agentId, agentVersion, limit]);
      return r.rows.map(fromRunStatsRow);
    });
  }

  getRun(customerId: string, runId: string): Promise<RunRow | null> {
    return this.run(async () => {
      const r = await this.db.query<RunDbRow>(sql.GET_RUN_SQL, [customerId, runId]);
      return r.rows.length > 0 ? toRun(r.rows[0]) : null;
    });
  }

  // --- API list reads ---

  listAgents(customerId: string, query: AgentQuery): Promise<Page<AgentSummary>> {
    return this.run(async () => {
      const r = await this.db.query<AgentDbRow>(sql.LIST_AGENTS_SQL, [customerId, query.limit, query.offset, query.now?.toISOString() ?? null]);
      let total = r.rows.length > 0 ? Number(r.rows[0].total) : 0;
      if (r.rows.length === 0 && query.offset > 0) {
        const c = await this.db.query<{ n: number | string }>(sql.COUNT_AGENTS_SQL, [customerId]);
        total = toCount(c.rows[0]);
      }
      return { items: r.rows.map(toAgentSummary), total };
    });
  }

  loadAgentIngestHealth(customerId: string, agentId: string): Promise<{ runs_checked: number; rows: RunIngestHealth[] } | null> {
    return this.run(async () => {
      const r = await this.db.query<{ runs_checked: number | string; rows: RunIngestHealth[] | string; known: boolean }>(sql.AGENT_INGEST_HEALTH_SQL, [
        customerId,
        agentId,
      ]);
      const row = r.rows[0];
      if (!row?.known) return null;
      return { runs_checked: Number(row.runs_checked), rows: fromJsonb(row.rows) as RunIngestHealth[] };
    });
  }

  listRuns(customerId: string, query: RunQuery): Promise<Page<RunSummary>> {
    return this.run(() => this.page(sql.listRunsStatements(customerId, query), query, toRunSummary));
  }

  listSignals(customerId: string, query: SignalQuery): Promise<Page<StoredSignal>> {
    return this.run(() => this.page(sql.listSignalsStatements(customerId, query), query, toSignal));
  }

  // --- Signals ---

  saveSignals(rows: RunSignal[]): Promise<StoredSignal[]> {
    return this.run(async () => {
      if (rows.length === 0) return [];
      const expiry = minuteAt(this.now() + this.retentionMs);
      await this.ensurePartitionFor(expiry);
      const r = await this.db.query<SignalDbRow>(sql.INSERT_SIGNALS_SQL, [signalsInput(rows), expiry]);
      return r.rows.map(toSignal).sort((a, b) => a.id - b.id);
    });
  }

  listRunSignals(customerId: string, runId: string): Promise<StoredSignal[]> {
    return this.run(async () => {
      const r = await this.db.query<SignalDbRow>(sql.LIST_RUN_SIGNALS_SQL, [customerId, runId]);
      return r.rows.map(toSignal);
    });
  }

  refreshLiveSignals(rows: RunSignal[]): Promise<number> {
    return this.run(async () => {
      if (rows.length === 0) return 0;
      const r = await this.db.query(sql.REFRESH_LIVE_SIGNALS_SQL, [signalRefreshInput(rows)]);
      return r.rowCount;
    });
  }

  getSignalForDelivery(id: number): Promise<StoredSignal | null> {
    return this.run(async () => {
      const r = await this.db.query<SignalDbRow>(sql.GET_SIGNAL_SQL, [id]);
      return r.rows.length > 0 ? toSignal(r.rows[0]) : null;
    });
  }

  // --- plumbing ---

  /** A filtered list: the total first, then the page's rows only when the page is not past the end. */
  private async page<R, T>(statements: sql.ListStatements, query: { limit: number; offset: number }, map: (row: R) => T): Promise<Page<T>> {
    const count = await this.db.query<{ n: number | string }>(statements.countSql, statements.params);
    const total = toCount(count.rows[0]);
    if (total === 0 || query.offset >= total) return { items: [], total };
    const page = statements.page(query.limit, query.offset);
    const r = await this.db.query<R>(page.sql, page.params);
    return { items: r.rows.map(map), total };
  }

  /** Runs op as an in-flight operation (close() waits for it) and maps transient failures. */
  private run<T>(op: () => Promise<T>): Promise<T> {
    if (this.closing !== null) {
      return Promise.reject(new StorageUnavailableError(`${this.kind} storage is closed`));
    }
    const label = this.kind === 'pglite' ? 'PGlite' : 'Postgres';
    const p = op().catch((err: unknown) => {
      throw toStorageError(err, label);
    });
    this.inflight.add(p);
    const done = (): void => {
      this.inflight.delete(p);
    };
    p.then(done, done);
    return p;
  }
}

interface ClaimDbRow {
  customer_id: string;
  run_id: string;
  status: string | null;
  last_span_at: string | null;
  root_seen: boolean | null;
  span_count: number | string | null;
  claimed_until: string | null;
  claimed: boolean;
}

/** One run's claim outcome: claimed, gone (closed or unknown), or when to ask again. */
function toClaim(row: ClaimDbRow | undefined, o: ClaimOptions, now: number): CompletionClaim {
  if (!row || row.status !== 'open') return { state: 'gone' };
  if (row.claimed) return { state: 'claimed', span_count: Number(row.span_count), root_seen: row.root_seen === true };
  const dueAt = Number(row.last_span_at) + (row.root_seen ? o.graceMs : o.idleMs);
  const claimEnds = row.claimed_until === null ? 0 : Number(row.claimed_until);
  return { state: 'wait', retry_in_ms: Math.max(dueAt, claimEnds) - now + 1 };
}

/**
 * Span rows by primary key (run_key, span_key). A batch's new runs get consecutive keys, so rows written in key order
 * append at the right edge of the primary key index, whose pages then split full (90 %) instead of in the middle
 * (half-empty pages): ~6 bytes a span less index on the benchmark mix.
 */
function inKeyOrder(rows: SpanRow[]): SpanRow[] {
  const keyed = rows.map((r) => ({ r, run: BigInt(r.runKey), span: r.spanKey.readBigInt64BE(0) }));
  keyed.sort((a, b) => (a.run < b.run ? -1 : a.run > b.run ? 1 : a.span < b.span ? -1 : a.span > b.span ? 1 : 0));
  return keyed.map((k) => k.r);
}

/** An INSERT that met stored copies of some spans while the batch's spans referred to each other (rolled back). */
class PartialBatch extends Error {}
