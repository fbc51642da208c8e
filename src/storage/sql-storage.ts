import type { Queryable } from './driver.js';
import { toStorageError } from './errors.js';
import { MIGRATIONS, runMigrations, type Migration, type MigrationResult } from './migrations.js';
import {
  closeRunParams,
  fromJsonb,
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
  type EventDbRow,
  type RunDbRow,
  type SignalDbRow,
  type SpanDbRow,
} from './rows.js';
import * as sql from './statements.js';
import {
  StorageUnavailableError,
  type AgentQuery,
  type AgentSummary,
  type ApiKeyRow,
  type NewApiKey,
  type Page,
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
 * (transactions, chunking, paging) and tracks in-flight calls for close(); the SQL text lives in statements.ts and
 * the row ↔ object mapping in rows.ts.
 *
 * writeSpans is 2 statements per batch (+1 per extra 2,000 spans), whatever the batch size. Locking: the runs
 * upsert locks the batch's run rows in run_id order first, so concurrent batches for the same runs serialize on
 * those rows (no deadlock between span/event unique-index inserts, and a concurrent closeRun cannot interleave).
 */

/** Spans per statement: bounds the size of one jsonb parameter and of one statement's working memory. */
export const SPANS_PER_STATEMENT = 2_000;

export interface SqlStorageOptions {
  /** Schema the connection's search_path points at (pg `schema` option): migrate() creates it when missing. */
  schema?: string;
  /** Migrations to apply (default MIGRATIONS); e.g. [...MIGRATIONS, ALERT_DELIVERIES_MIGRATION]. */
  migrations?: readonly Migration[];
  /** Wall clock in ms, for runs.last_span_at (tests inject it). */
  now?: () => number;
}

export class SqlStorage implements Storage {
  readonly kind: 'pglite' | 'postgres';
  private readonly inflight = new Set<Promise<unknown>>();
  private closing: Promise<void> | null = null;
  private readonly now: () => number;

  constructor(
    private readonly db: Queryable,
    private readonly options: SqlStorageOptions = {},
  ) {
    this.kind = db.kind;
    this.now = options.now ?? Date.now;
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
    const { schema, migrations = MIGRATIONS } = this.options;
    return this.run(() => runMigrations(this.db, { schema, migrations }));
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
      result.duplicates = input.duplicates;
      const lastSpanAt = Math.trunc(this.now());

      await this.db.transaction(async (tx) => {
        const up = await tx.query<{ run_id: string; status: RunRow['status']; created: boolean }>(sql.UPSERT_RUNS_SQL, [
          batch.customer_id,
          JSON.stringify(input.runs),
          lastSpanAt,
        ]);
        for (const row of up.rows) result.runs.set(row.run_id, { status: row.status, created: row.created });

        let inserted = 0;
        for (let i = 0; i < input.spans.length; i += SPANS_PER_STATEMENT) {
          const chunk = input.spans.slice(i, i + SPANS_PER_STATEMENT);
          const r = await tx.query<{ inserted: number }>(sql.INSERT_SPANS_SQL, [batch.customer_id, JSON.stringify(chunk)]);
          inserted += Number(r.rows[0].inserted);
        }
        result.inserted = inserted;
        result.duplicates += input.spans.length - inserted;
      });
      return result;
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
      const events = await this.db.query<EventDbRow>(sql.LOAD_RUN_EVENTS_SQL, params);
      return toStoredSpans(runId, spans.rows, events.rows);
    });
  }

  closeRun(update: RunClose): Promise<boolean> {
    return this.run(async () => {
      const r = await this.db.query(sql.CLOSE_RUN_SQL, closeRunParams(update));
      return r.rows.length > 0;
    });
  }

  listRecentRunStats(customerId: string, agentId: string, agentVersion: string, limit: number): Promise<unknown[]> {
    return this.run(async () => {
      const r = await this.db.query<{ stats: unknown }>(sql.RECENT_RUN_STATS_SQL, [customerId, agentId, agentVersion, limit]);
      return r.rows.map((row) => fromJsonb(row.stats));
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
      const r = await this.db.query<SignalDbRow>(sql.INSERT_SIGNALS_SQL, [signalsInput(rows)]);
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
