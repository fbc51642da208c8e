/**
 * Every SQL statement SqlStorage runs: constant text with `$n` parameters, plus builders for the list reads whose
 * WHERE clause depends on optional filters. No I/O here and no row mapping (rows.ts does that).
 *
 * Bulk writes pass their rows as ONE jsonb parameter expanded server-side with jsonb_to_recordset(), not as
 * multi-row VALUES lists: the SQL text is constant (pg/PGlite parse it cheaply, no per-row-count variants), there
 * is no 65 535 bind-parameter ceiling to chunk around, and the driver serializes one string instead of ~17 values
 * per span (that per-value work dominates on PGlite). Span times go through JSON losslessly: JS prints the shortest
 * round-trip decimal and Postgres parses it back with correct rounding.
 * Measured for 1,000 spans + 2,000 events in one transaction (median of 7, this 2-core box): Postgres 15 via pg
 * 102 ms jsonb_to_recordset vs 122 ms unnest(arrays) vs 143 ms chunked VALUES; PGlite on disk 136 / 165 / 250 ms.
 */
import type { RunQuery, SignalQuery } from './types.js';

// --- API keys ---

const KEY_COLUMNS = 'key_hash, key_prefix, agent_id, customer_id, active, created_at, revoked_at';

/** $1 key_hash, $2 key_prefix, $3 agent_id, $4 customer_id. */
export const INSERT_API_KEY_SQL = 'INSERT INTO api_keys (key_hash, key_prefix, agent_id, customer_id) VALUES ($1, $2, $3, $4)';
/** $1 key_hash. */
export const FIND_API_KEY_SQL = `SELECT ${KEY_COLUMNS} FROM api_keys WHERE key_hash = $1`;
/** $1 key_hash. Returns the key's row when it exists (revoking twice keeps the first revoked_at). */
export const REVOKE_API_KEY_SQL = `UPDATE api_keys SET active = FALSE, revoked_at = COALESCE(revoked_at, now())
         WHERE key_hash = $1 RETURNING key_hash`;
export const LIST_API_KEYS_SQL = `SELECT ${KEY_COLUMNS} FROM api_keys ORDER BY created_at, key_hash`;

// --- Ingest ---

/**
 * $1 customer_id, $2 jsonb [{run_id, agent_id, agent_version, root_seen}] sorted by run_id, $3 last_span_at (ms).
 * New runs start open with span_count 0 (INSERT_SPANS_SQL adds what it really inserted). `xmax = 0` is true only for
 * a tuple this statement inserted (an ON CONFLICT update stamps our xid in xmax).
 */
export const UPSERT_RUNS_SQL = `
INSERT INTO runs AS r (customer_id, run_id, agent_id, agent_version, status, span_count, root_seen, last_span_at)
SELECT $1, i.run_id, i.agent_id, i.agent_version, 'open', 0, i.root_seen, $3
FROM jsonb_to_recordset($2::jsonb) AS i(run_id TEXT, agent_id TEXT, agent_version TEXT, root_seen BOOLEAN)
ORDER BY i.run_id
ON CONFLICT (customer_id, run_id) DO UPDATE SET
  last_span_at = GREATEST(r.last_span_at, EXCLUDED.last_span_at),
  root_seen = r.root_seen OR EXCLUDED.root_seen
RETURNING r.run_id, r.status, (r.xmax = 0) AS created`;

/**
 * $1 customer_id, $2 jsonb array of SpanInput (each with its events). One statement: insert the spans not stored
 * yet (late when their run is no longer open; the run rows are locked by UPSERT_RUNS_SQL in this transaction, so a
 * concurrent closeRun cannot slip in between), insert the events of exactly those spans, add the new-span count to
 * their runs.
 */
export const INSERT_SPANS_SQL = `
WITH input AS (
  SELECT * FROM jsonb_to_recordset($2::jsonb) AS s(
    run_id TEXT, span_id TEXT, parent_span_id TEXT, name TEXT, category TEXT, start_time DOUBLE PRECISION,
    end_time DOUBLE PRECISION, status TEXT, error_type TEXT, agent_id TEXT, hint_agent_id TEXT, agent_name TEXT,
    service_name TEXT, agent_version TEXT, tools_available JSONB, root JSONB, events JSONB)
), ins AS (
  INSERT INTO spans (customer_id, run_id, span_id, parent_span_id, name, category, start_time, end_time, status,
                     error_type, agent_id, hint_agent_id, agent_name, service_name, agent_version, tools_available,
                     root, late)
  SELECT $1, s.run_id, s.span_id, s.parent_span_id, s.name, s.category, s.start_time, s.end_time, s.status,
         s.error_type, s.agent_id, s.hint_agent_id, s.agent_name, s.service_name, s.agent_version,
         COALESCE(s.tools_available, '[]'::jsonb), s.root, r.status <> 'open'
  FROM input s JOIN runs r ON r.customer_id = $1 AND r.run_id = s.run_id
  ON CONFLICT (customer_id, run_id, span_id) DO NOTHING
  RETURNING run_id, span_id, late
), ev AS (
  INSERT INTO events (customer_id, run_id, span_id, event_type, seq, "timestamp", payload, late)
  SELECT $1, i.run_id, i.span_id, e.event_type, e.seq, e."timestamp", COALESCE(e.payload, '{}'::jsonb), i.late
  FROM ins i
  JOIN input s ON s.run_id = i.run_id AND s.span_id = i.span_id
  CROSS JOIN LATERAL jsonb_to_recordset(COALESCE(s.events, '[]'::jsonb))
    AS e(event_type TEXT, seq INTEGER, "timestamp" DOUBLE PRECISION, payload JSONB)
  RETURNING 1
), counted AS (
  UPDATE runs r SET span_count = r.span_count + c.n
  FROM (SELECT run_id, count(*)::int AS n FROM ins GROUP BY run_id) c
  WHERE r.customer_id = $1 AND r.run_id = c.run_id
  RETURNING 1
)
SELECT (SELECT count(*) FROM ins)::int AS inserted,
       (SELECT count(*) FROM ev)::int AS events,
       (SELECT count(*) FROM counted)::int AS runs`;

// --- Run lifecycle ---

const RUN_COLUMNS = `customer_id, run_id, agent_id, agent_version, status, exit_reason, started_at, ended_at,
  step_count, span_count, root_seen, last_span_at, created_at, closed_at`;

export const LIST_OPEN_RUNS_SQL = `SELECT ${RUN_COLUMNS} FROM runs WHERE status = 'open' ORDER BY last_span_at, customer_id, run_id`;
/** $1 customer_id, $2 run_id. */
export const GET_RUN_SQL = `SELECT ${RUN_COLUMNS} FROM runs WHERE customer_id = $1 AND run_id = $2`;

/** $1 customer_id, $2 run_id. */
export const LOAD_RUN_SPANS_SQL = `SELECT span_id, parent_span_id, name, category, start_time, end_time, status, error_type, agent_id,
                hint_agent_id, agent_name, service_name, agent_version, tools_available, root, late, received_at
         FROM spans WHERE customer_id = $1 AND run_id = $2
         ORDER BY start_time, span_id`;
/** $1 customer_id, $2 run_id. */
export const LOAD_RUN_EVENTS_SQL = `SELECT span_id, event_type, seq, "timestamp", payload
         FROM events WHERE customer_id = $1 AND run_id = $2
         ORDER BY span_id, seq`;

/**
 * $1 customer_id, $2 run_id, $3 status, $4 exit_reason, $5 agent_id, $6 agent_version, $7 started_at, $8 ended_at,
 * $9 step_count, $10 stats (jsonb text or NULL). Only an open run is closed; returns its id when it was.
 */
export const CLOSE_RUN_SQL = `UPDATE runs SET status = $3, exit_reason = $4, agent_id = $5, agent_version = $6,
                         started_at = $7, ended_at = $8, step_count = $9, stats = $10::jsonb, closed_at = now()
         WHERE customer_id = $1 AND run_id = $2 AND status = 'open'
         RETURNING run_id`;

/** $1 customer_id, $2 agent_id, $3 agent_version, $4 limit (runs_baseline_idx). */
export const RECENT_RUN_STATS_SQL = `SELECT stats FROM runs
         WHERE customer_id = $1 AND agent_id = $2 AND agent_version = $3 AND stats IS NOT NULL
         ORDER BY closed_at DESC LIMIT $4`;

// --- Signals ---

const SIGNAL_COLUMNS = `id, customer_id, run_id, agent_id, agent_version, failure_type, severity, confidence,
  step_index, evidence, shadow, detected_live, detected_at`;

/** $1 jsonb array of signals. Returns only the rows actually inserted. */
export const INSERT_SIGNALS_SQL = `
INSERT INTO signals (customer_id, run_id, agent_id, agent_version, failure_type, severity, confidence, step_index,
                     evidence, shadow, detected_live, detected_at)
SELECT s.customer_id, s.run_id, s.agent_id, s.agent_version, s.failure_type, s.severity, s.confidence, s.step_index,
       COALESCE(s.evidence, '{}'::jsonb), s.shadow, s.detected_live, COALESCE(s.detected_at, now())
FROM jsonb_to_recordset($1::jsonb) AS s(
  customer_id TEXT, run_id TEXT, agent_id TEXT, agent_version TEXT, failure_type TEXT, severity TEXT,
  confidence REAL, step_index INTEGER, evidence JSONB, shadow BOOLEAN, detected_live BOOLEAN,
  detected_at TIMESTAMPTZ)
ON CONFLICT (customer_id, run_id, failure_type) DO NOTHING
RETURNING ${SIGNAL_COLUMNS}`;

/** $1 customer_id, $2 run_id. */
export const LIST_RUN_SIGNALS_SQL = `SELECT ${SIGNAL_COLUMNS} FROM signals WHERE customer_id = $1 AND run_id = $2 ORDER BY detected_at, id`;

/** $1 jsonb array of {customer_id, run_id, failure_type, severity, confidence, step_index, evidence}. */
export const REFRESH_LIVE_SIGNALS_SQL = `UPDATE signals AS s
            SET severity = x.severity, confidence = x.confidence, step_index = x.step_index, evidence = x.evidence
           FROM jsonb_to_recordset($1::jsonb) AS x(customer_id TEXT, run_id TEXT, failure_type TEXT, severity TEXT,
                                                  confidence REAL, step_index INTEGER, evidence JSONB)
          WHERE s.customer_id = x.customer_id AND s.run_id = x.run_id AND s.failure_type = x.failure_type
            AND s.detected_live`;

/** $1 signal id. */
export const GET_SIGNAL_SQL = `SELECT ${SIGNAL_COLUMNS} FROM signals WHERE id = $1`;

// --- API list reads: every one filters by customer first; counts and aggregates are computed in SQL ---

/**
 * $1 customer_id, $2 limit, $3 offset, $4 now (NULL: the database's now()). Agents are every agent_id of the
 * customer's runs and non-shadow signals, most recently seen first. The per-agent failure types and hourly sparkline
 * are correlated subqueries evaluated for the page's rows only (signals_agent_time_idx).
 */
export const LIST_AGENTS_SQL = `
WITH t AS (SELECT COALESCE($4::timestamptz, now()) AS now),
ra AS (
  SELECT agent_id, count(*) AS run_count, max(last_span_at) AS last_span_at
  FROM runs WHERE customer_id = $1 GROUP BY agent_id
), sa AS (
  SELECT agent_id, count(*) AS signal_count,
         count(*) FILTER (WHERE severity = 'CRITICAL') AS critical_count,
         count(*) FILTER (WHERE severity = 'HIGH') AS high_count,
         max(detected_at) AS last_signal_at
  FROM signals WHERE customer_id = $1 AND NOT shadow GROUP BY agent_id
), agents AS (
  SELECT COALESCE(ra.agent_id, sa.agent_id) AS agent_id,
         COALESCE(ra.run_count, 0) AS run_count,
         COALESCE(sa.signal_count, 0) AS signal_count,
         COALESCE(sa.critical_count, 0) AS critical_count,
         COALESCE(sa.high_count, 0) AS high_count,
         GREATEST(to_timestamp(ra.last_span_at / 1000.0), sa.last_signal_at) AS last_seen
  FROM ra FULL JOIN sa ON sa.agent_id = ra.agent_id
), page AS (
  SELECT a.*, count(*) OVER () AS total FROM agents a
  ORDER BY a.last_seen DESC NULLS LAST, a.agent_id
  LIMIT $2 OFFSET $3
)
SELECT p.*,
  (SELECT COALESCE(jsonb_object_agg(f.failure_type, f.n), '{}'::jsonb)
   FROM (SELECT failure_type, count(*)::int AS n FROM signals
         WHERE customer_id = $1 AND agent_id = p.agent_id AND NOT shadow GROUP BY failure_type) f) AS failure_types,
  (SELECT COALESCE(jsonb_object_agg(h.bucket, h.n), '{}'::jsonb)
   FROM (SELECT floor(extract(epoch FROM (t.now - detected_at)) / 3600)::int AS bucket, count(*)::int AS n
         FROM signals, t
         WHERE customer_id = $1 AND agent_id = p.agent_id AND NOT shadow
           AND detected_at > t.now - interval '24 hours' AND detected_at <= t.now
         GROUP BY 1) h) AS sparkline
FROM page p
ORDER BY p.last_seen DESC NULLS LAST, p.agent_id`;

/** $1 customer_id. The agent count when LIST_AGENTS_SQL's page is past the end (no row to carry the total). */
export const COUNT_AGENTS_SQL = `
SELECT count(*) AS n FROM (
  SELECT agent_id FROM runs WHERE customer_id = $1
  UNION
  SELECT agent_id FROM signals WHERE customer_id = $1 AND NOT shadow
) a`;

/** A filtered list read: the count of all matches, and the page (which takes two more parameters). */
export interface ListStatements {
  countSql: string;
  params: unknown[];
  /** The page statement: the same filters, then limit and offset. */
  page(limit: number, offset: number): { sql: string; params: unknown[] };
}

/** GET runs: the customer's runs matching the filters, newest first, with their signal counts. */
export function listRunsStatements(customerId: string, query: Omit<RunQuery, 'limit' | 'offset'>): ListStatements {
  const where = new Where(customerId, 'r');
  if (query.agentId !== undefined) where.add('r.agent_id = $?', query.agentId);
  if (query.status !== undefined) where.add('r.status = $?', query.status);
  const shadow = query.includeShadow ? '' : ' AND NOT s.shadow';
  if (query.hasSignals !== undefined) {
    where.add(`${query.hasSignals ? '' : 'NOT '}EXISTS (SELECT 1 FROM signals s WHERE s.customer_id = r.customer_id AND s.run_id = r.run_id${shadow})`);
  }
  return {
    countSql: `SELECT count(*) AS n FROM runs r WHERE ${where.sql}`,
    params: where.params,
    page: (limit, offset) => {
      const { params, lim, off } = where.paged(limit, offset);
      // started_at of an open run (set at completion) comes from its earliest span, through the spans primary key.
      const sql = `SELECT r.run_id, r.agent_id, r.agent_version, r.status, r.exit_reason,
                COALESCE(r.started_at, (SELECT min(sp.start_time) FROM spans sp
                                        WHERE sp.customer_id = r.customer_id AND sp.run_id = r.run_id)) AS started_at,
                r.ended_at, r.step_count, r.span_count, r.created_at,
                (SELECT count(*) FROM signals s WHERE s.customer_id = r.customer_id AND s.run_id = r.run_id${shadow}) AS signal_count
         FROM runs r WHERE ${where.sql}
         ORDER BY r.created_at DESC, r.run_id DESC
         LIMIT ${lim} OFFSET ${off}`;
      return { sql, params };
    },
  };
}

/** GET signals: the customer's signals matching the filters, newest first (detected_at, then id). */
export function listSignalsStatements(customerId: string, query: Omit<SignalQuery, 'limit' | 'offset'>): ListStatements {
  const where = new Where(customerId, 'signals');
  if (query.agentId !== undefined) where.add('agent_id = $?', query.agentId);
  if (query.runId !== undefined) where.add('run_id = $?', query.runId);
  if (query.severities !== undefined) where.add('severity = ANY($?::text[])', query.severities);
  if (query.failureTypes !== undefined) where.add('failure_type = ANY($?::text[])', query.failureTypes);
  if (query.since !== undefined) where.add('detected_at >= $?::timestamptz', query.since.toISOString());
  if (query.afterId !== undefined) where.add('id > $?', query.afterId);
  if (!query.includeShadow) where.add('NOT shadow');
  return {
    countSql: `SELECT count(*) AS n FROM signals WHERE ${where.sql}`,
    params: where.params,
    page: (limit, offset) => {
      const { params, lim, off } = where.paged(limit, offset);
      const sql = `SELECT ${SIGNAL_COLUMNS} FROM signals WHERE ${where.sql}
         ORDER BY detected_at DESC, id DESC LIMIT ${lim} OFFSET ${off}`;
      return { sql, params };
    },
  };
}

/** A WHERE clause built from optional filters, always starting with the customer; `$?` is the next parameter. */
class Where {
  readonly params: unknown[];
  private readonly parts: string[];
  constructor(customerId: string, alias: string) {
    this.params = [customerId];
    this.parts = [`${alias}.customer_id = $1`];
  }
  add(condition: string, value?: unknown): void {
    this.parts.push(value === undefined ? condition : condition.replace('$?', () => this.param(value)));
  }
  private param(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }
  /** The filters' parameters followed by limit and offset, and the placeholders of those two. */
  paged(limit: number, offset: number): { params: unknown[]; lim: string; off: string } {
    const n = this.params.length;
    return { params: [...this.params, limit, offset], lim: `$${n + 1}`, off: `$${n + 2}` };
  }
  get sql(): string {
    return this.parts.join(' AND ');
  }
}
