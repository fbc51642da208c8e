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
import { INGEST_WINDOW_RUNS } from '../model/ingest-health.js';
import { RUN_STATS_KEPT } from './migration-v4.js';
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
 * $1 customer_id, $2 text[] run ids. Transaction-scoped advisory locks on the batch's runs, taken in one order: two
 * writers (this process or another receiver on the same server) creating the same run serialize here, so a run is
 * created once though no unique index spans the time partitions.
 */
export const LOCK_RUNS_SQL = `
SELECT count(pg_advisory_xact_lock(k)) AS n
FROM (SELECT DISTINCT hashtextextended($1 || '/' || r, 0) AS k FROM unnest($2::text[]) AS r ORDER BY 1) x`;

/**
 * $1 customer_id, $2 jsonb [{run_id, agent_id, agent_version, root_seen, n, min_start}], $3 last_span_at (ms),
 * $4 expiry minute for runs created now. Runs that exist are updated (row-locked: a concurrent closeRun waits, and the
 * returned status decides whether the batch's spans are late); the others are created open, keyed into the partition
 * of their expiry. span_count counts the batch's spans as new (the caller redoes the batch if some were not).
 */
export const UPSERT_RUNS_SQL = `
WITH input AS (
  SELECT * FROM jsonb_to_recordset($2::jsonb)
    AS i(run_id TEXT, agent_id TEXT, agent_version TEXT, root_seen BOOLEAN, n INTEGER, min_start DOUBLE PRECISION)
), existing AS (
  UPDATE runs r SET last_span_at = GREATEST(r.last_span_at, $3::int8), root_seen = r.root_seen OR i.root_seen,
                    span_count = r.span_count + i.n, min_start = LEAST(r.min_start, i.min_start)
  FROM input i WHERE r.customer_id = $1 AND r.run_id = i.run_id
  -- A run another receiver is completing right now ('closing') takes these spans as late.
  RETURNING r.run_id, r.run_key,
            CASE WHEN r.status = 'open' AND (SELECT o.claimed_until FROM open_runs o WHERE o.run_key = r.run_key) > $3::int8
                 THEN 'closing' ELSE r.status END AS status, r.span_count
), created AS (
  INSERT INTO runs (run_key, customer_id, run_id, agent_id, agent_version, status, span_count, root_seen, last_span_at, min_start)
  SELECT ($4::int8 << 32) | (nextval('run_key_seq') & 4294967295), $1, i.run_id, i.agent_id, i.agent_version, 'open', i.n,
         i.root_seen, $3::int8, i.min_start
  FROM input i WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.customer_id = $1 AND r.run_id = i.run_id)
  ORDER BY i.run_id
  RETURNING run_id, run_key, status, span_count
), opened AS (
  INSERT INTO open_runs (run_key) SELECT run_key FROM created
)
SELECT run_id, run_key::text AS run_key, status, span_count, FALSE AS created FROM existing
UNION ALL
SELECT run_id, run_key::text AS run_key, status, span_count, TRUE AS created FROM created`;

/** $1 customer_id, $2 jsonb [{run_key, n}]: span_count corrections after a batch that held duplicates. */
export const COUNT_SPANS_SQL = `
UPDATE runs r SET span_count = r.span_count + c.n
FROM jsonb_to_recordset($2::jsonb) AS c(run_key TEXT, n INTEGER)
WHERE r.run_key = c.run_key::int8 AND r.customer_id = $1`;

/** $1 customer_id: the customer's retention override (seconds), when set. */
export const CUSTOMER_RETENTION_SQL = 'SELECT retention_seconds FROM customers WHERE customer_id = $1';
/** $1 customer_id, $2 seconds or NULL. */
export const SET_CUSTOMER_RETENTION_SQL = `
INSERT INTO customers (customer_id, retention_seconds) VALUES ($1, $2)
ON CONFLICT (customer_id) DO UPDATE SET retention_seconds = EXCLUDED.retention_seconds`;

export const PARTITION_MINUTES_SQL = 'SELECT partition_minutes FROM storage_settings';
/** $1 minutes. */
export const SET_PARTITION_MINUTES_SQL = 'UPDATE storage_settings SET partition_minutes = $1';

// --- Run lifecycle ---

/** The runs columns RunDbRow maps, optionally qualified (`r.`). */
const runColumns = (q = '') =>
  `${q}run_key::text AS run_key, ${['customer_id', 'run_id', 'agent_id', 'agent_version', 'status', 'exit_reason', 'started_at', 'ended_at', 'step_count', 'span_count', 'root_seen', 'last_span_at', 'created_at', 'closed_at'].map((c) => q + c).join(', ')}`;

export const LIST_OPEN_RUNS_SQL = `SELECT ${runColumns('r.')}
FROM open_runs o JOIN runs r ON r.run_key = o.run_key WHERE r.status = 'open' ORDER BY r.last_span_at, r.customer_id, r.run_id`;
/** $1 customer_id, $2 run_id. */
export const GET_RUN_SQL = `SELECT ${runColumns()} FROM runs WHERE customer_id = $1 AND run_id = $2`;

/** $1 customer_id, $2 run_id. The run's span rows (bodies decoded and ordered in JS). */
export const LOAD_RUN_SPANS_SQL = `
SELECT lpad(to_hex(s.span_key), 16, '0') AS span_key, s.late, s.body
FROM runs r JOIN spans s ON s.run_key = r.run_key
WHERE r.customer_id = $1 AND r.run_id = $2`;

/** $1 jsonb [{customer_id, run_id}]: LOCK_RUNS_SQL's advisory locks for runs of any customers, in the same order. */
export const LOCK_RUN_PAIRS_SQL = `
SELECT count(pg_advisory_xact_lock(k)) AS n
FROM (SELECT DISTINCT hashtextextended(i.customer_id || '/' || i.run_id, 0) AS k
      FROM jsonb_to_recordset($1::jsonb) AS i(customer_id TEXT, run_id TEXT) ORDER BY 1) x`;

/**
 * $1 jsonb [{customer_id, run_id}], $2 owner, $3 now (ms), $4 lease (ms), $5 grace (ms), $6 idle (ms). Claims each run
 * whose completion is due — open, quiet for its grace (root seen) or idle time, not claimed by another receiver whose
 * claim still holds. Run it after LOCK_RUN_PAIRS_SQL in the same transaction (its own statement, so this one's
 * snapshot sees every write that held the locks before): a claim and a write of the same run never interleave, and
 * spans written after the claim are late. Returns every asked run's state, claimed or not.
 */
export const CLAIM_RUNS_SQL = `
WITH input AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS i(customer_id TEXT, run_id TEXT)
), cur AS (
  SELECT i.customer_id, i.run_id, r.run_key, r.status, r.last_span_at, r.root_seen, r.span_count, o.claimed_by, o.claimed_until
  FROM input i LEFT JOIN runs r ON r.customer_id = i.customer_id AND r.run_id = i.run_id
  LEFT JOIN open_runs o ON o.run_key = r.run_key
), claimed AS (
  -- The claim lives on the run's narrow open_runs row (which its close deletes): claiming adds no version of the
  -- wide runs row.
  UPDATE open_runs o SET claimed_by = $2, claimed_until = $3::int8 + $4::int8
  FROM cur c
  WHERE o.run_key = c.run_key AND c.status = 'open'
    AND (c.claimed_until IS NULL OR c.claimed_until <= $3::int8 OR c.claimed_by = $2)
    AND c.last_span_at <= $3::int8 - CASE WHEN c.root_seen THEN $5::int8 ELSE $6::int8 END
  RETURNING o.run_key
)
SELECT c.customer_id, c.run_id, c.status, c.last_span_at::text AS last_span_at, c.root_seen, c.span_count,
       c.claimed_until::text AS claimed_until, c.run_key IN (SELECT run_key FROM claimed) AS claimed
FROM cur c`;

/**
 * $1 now (ms), $2 grace (ms), $3 idle (ms), $4 slack (ms), $5 limit. Open runs overdue for completion by more than the
 * slack and not claimed by a live receiver: what a receiver that died left behind (peers complete them).
 */
export const OVERDUE_RUNS_SQL = `SELECT ${runColumns('r.')}
FROM open_runs o JOIN runs r ON r.run_key = o.run_key
WHERE r.status = 'open' AND (o.claimed_until IS NULL OR o.claimed_until <= $1::int8)
  AND r.last_span_at <= $1::int8 - $4::int8 - CASE WHEN r.root_seen THEN $2::int8 ELSE $3::int8 END
ORDER BY r.last_span_at LIMIT $5`;

/**
 * $1 jsonb [{customer_id, run_id, status, exit_reason, agent_id, agent_version, started_at, ended_at, step_count,
 * stats (hex of the packed stats), ingest_health}] (one entry per run). Closes the runs still open, in one statement; returns the ones it closed. Their stats
 * go to each agent version's baseline ring (run_stats: slot = count mod RUN_STATS_KEPT), outside the time partitions.
 */
export const CLOSE_RUNS_SQL = `
WITH input AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS i(customer_id TEXT, run_id TEXT, status TEXT, exit_reason TEXT,
    agent_id TEXT, agent_version TEXT, started_at DOUBLE PRECISION, ended_at DOUBLE PRECISION, step_count INTEGER, stats TEXT, ingest_health JSONB)
), closed AS (
  UPDATE runs r SET status = i.status, exit_reason = i.exit_reason, agent_id = i.agent_id, agent_version = i.agent_version,
                    started_at = i.started_at, ended_at = i.ended_at, step_count = i.step_count, closed_at = now(),
                    ingest_health = NULLIF(i.ingest_health, 'null'::jsonb)
  FROM input i
  WHERE r.customer_id = i.customer_id AND r.run_id = i.run_id AND r.status = 'open'
  RETURNING r.run_key, r.customer_id, r.run_id
), gone AS (
  DELETE FROM open_runs WHERE run_key IN (SELECT run_key FROM closed)
), stats AS (
  SELECT i.customer_id, i.agent_id, i.agent_version, i.stats,
         row_number() OVER (w ORDER BY i.run_id) AS rn, count(*) OVER w AS k
  FROM closed c JOIN input i ON i.customer_id = c.customer_id AND i.run_id = c.run_id
  WHERE i.stats IS NOT NULL
  WINDOW w AS (PARTITION BY i.customer_id, i.agent_id, i.agent_version)
), counter AS (
  INSERT INTO baseline_counters AS b (customer_id, agent_id, agent_version, n)
  SELECT customer_id, agent_id, agent_version, max(k) FROM stats GROUP BY 1, 2, 3
  ON CONFLICT (customer_id, agent_id, agent_version) DO UPDATE SET n = b.n + EXCLUDED.n
  RETURNING customer_id, agent_id, agent_version, n
), kept AS (
  INSERT INTO run_stats AS s (customer_id, agent_id, agent_version, slot, n, packed)
  SELECT x.customer_id, x.agent_id, x.agent_version, ((c.n - x.k + x.rn) % ${RUN_STATS_KEPT})::int, c.n - x.k + x.rn, decode(x.stats, 'hex')
  FROM stats x JOIN counter c ON c.customer_id = x.customer_id AND c.agent_id = x.agent_id AND c.agent_version = x.agent_version
  WHERE x.rn > x.k - ${RUN_STATS_KEPT}
  ON CONFLICT (customer_id, agent_id, agent_version, slot) DO UPDATE SET n = EXCLUDED.n, stats = NULL, packed = EXCLUDED.packed
)
SELECT customer_id, run_id FROM closed`;

/** $1 customer_id, $2 agent_id, $3 agent_version, $4 limit: the newest stats of the baseline ring. */
export const RECENT_RUN_STATS_SQL = `SELECT stats, packed FROM run_stats
         WHERE customer_id = $1 AND agent_id = $2 AND agent_version = $3
         ORDER BY n DESC LIMIT $4`;

// --- Signals ---

const SIGNAL_COLUMNS = `id, customer_id, run_id, agent_id, agent_version, failure_type, severity, confidence,
  step_index, evidence, shadow, detected_live, detected_at`;

/**
 * $1 jsonb array of signals, $2 expiry minute for a signal whose run is not stored. Returns only the rows actually
 * inserted. A signal goes under its run's key; one whose run is unknown (signals can be stored on their own) under
 * the key its run's earlier signals got, else a new key expiring like a run created now.
 */
export const INSERT_SIGNALS_SQL = `
WITH input AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS s(
    customer_id TEXT, run_id TEXT, agent_id TEXT, agent_version TEXT, failure_type TEXT, severity TEXT,
    confidence REAL, step_index INTEGER, evidence JSONB, shadow BOOLEAN, detected_live BOOLEAN,
    detected_at TIMESTAMPTZ)
), keys AS (
  SELECT d.customer_id, d.run_id, COALESCE(
    (SELECT r.run_key FROM runs r WHERE r.customer_id = d.customer_id AND r.run_id = d.run_id LIMIT 1),
    (SELECT g.run_key FROM signals g WHERE g.customer_id = d.customer_id AND g.run_id = d.run_id LIMIT 1),
    ($2::int8 << 32) | (nextval('run_key_seq') & 4294967295)) AS run_key
  FROM (SELECT DISTINCT customer_id, run_id FROM input) d
)
INSERT INTO signals (run_key, customer_id, run_id, agent_id, agent_version, failure_type, severity, confidence,
                     step_index, evidence, shadow, detected_live, detected_at)
SELECT k.run_key, s.customer_id, s.run_id, s.agent_id, s.agent_version, s.failure_type, s.severity, s.confidence,
       s.step_index, COALESCE(s.evidence, '{}'::jsonb), s.shadow, s.detected_live, COALESCE(s.detected_at, now())
FROM input s JOIN keys k ON k.customer_id = s.customer_id AND k.run_id = s.run_id
ON CONFLICT (run_key, failure_type) DO NOTHING
RETURNING ${SIGNAL_COLUMNS}`;

/** $1 customer_id, $2 run_id (signals_run_idx). */
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

// --- Retention ---

/** $1 first run_key, $2 end run_key: a partition's open runs (kept: they move to a live partition). */
export const OPEN_RUNS_IN_RANGE_SQL = `SELECT r.run_key::text AS run_key, r.customer_id
FROM open_runs o JOIN runs r ON r.run_key = o.run_key WHERE o.run_key >= $1::int8 AND o.run_key < $2::int8`;
/** $1 first run_key, $2 end run_key: what pruning a partition removes (its open runs and their rows move instead). */
export const PARTITION_COUNTS_SQL = `
WITH open AS (SELECT run_key FROM open_runs WHERE run_key >= $1::int8 AND run_key < $2::int8)
SELECT
  (SELECT count(*) FROM runs WHERE run_key >= $1::int8 AND run_key < $2::int8 AND status <> 'open') AS runs,
  (SELECT count(*) FROM spans WHERE run_key >= $1::int8 AND run_key < $2::int8 AND run_key NOT IN (SELECT run_key FROM open)) AS spans,
  (SELECT count(*) FROM signals WHERE run_key >= $1::int8 AND run_key < $2::int8 AND run_key NOT IN (SELECT run_key FROM open)) AS signals`;
/** $1 old run_key, $2 expiry minute of the new one: moves a run and what is under it to a new key. */
export const RELOCATE_RUN_SQL = `
WITH k AS (SELECT ($2::int8 << 32) | (nextval('run_key_seq') & 4294967295) AS key),
r AS (UPDATE runs SET run_key = (SELECT key FROM k) WHERE run_key = $1::int8 RETURNING run_key),
s AS (UPDATE spans SET run_key = (SELECT key FROM k) WHERE run_key = $1::int8 RETURNING 1),
g AS (UPDATE signals SET run_key = (SELECT key FROM k) WHERE run_key = $1::int8 RETURNING 1),
o AS (UPDATE open_runs SET run_key = (SELECT key FROM k) WHERE run_key = $1::int8)
SELECT (SELECT run_key::text FROM r) AS run_key, (SELECT count(*) FROM s) AS spans, (SELECT count(*) FROM g) AS signals`;

// --- API list reads: every one filters by customer first; counts and aggregates are computed in SQL ---

/**
 * An agent's ingest-health summary (AgentIngestSummary) over the rows h of its newest completed runs; only runs with
 * gaps store a row, so count(h) counts those. The same rules as runs/ingest-health.ts summarise() (a storage test
 * holds them together).
 */
const INGEST_SUMMARY_SELECT = `jsonb_build_object(
    'runs_checked', count(*),
    'runs_with_gaps', count(h),
    'unclassified_spans', COALESCE(sum((h->>'unclassified_spans')::int), 0),
    'runs_llm_without_tokens', count(*) FILTER (WHERE (h->>'llm_calls')::int > 0 AND (h->>'llm_calls_without_tokens')::int = (h->>'llm_calls')::int),
    'runs_without_steps', count(*) FILTER (WHERE (h->>'spans')::int > 0 AND (h->>'llm_calls')::int = 0 AND (h->>'tool_calls')::int = 0),
    'unnamed_tool_calls', COALESCE(sum((h->>'unnamed_tool_calls')::int), 0),
    'broken_parents', COALESCE(sum((h->>'broken_parents')::int), 0),
    'step_root_runs', count(*) FILTER (WHERE jsonb_typeof(h->'step_root_scope') = 'string'))`;

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
         GROUP BY 1) h) AS sparkline,
  (SELECT ${INGEST_SUMMARY_SELECT} FROM (SELECT ingest_health AS h FROM runs
         WHERE customer_id = $1 AND agent_id = p.agent_id AND status <> 'open'
         ORDER BY created_at DESC LIMIT ${INGEST_WINDOW_RUNS}) w) AS ingest_health
FROM page p
ORDER BY p.last_seen DESC NULLS LAST, p.agent_id`;

/**
 * $1 customer_id, $2 agent_id: the health rows of the agent's newest completed runs (null for clean runs), and
 * whether the agent has any run at all.
 */
export const AGENT_INGEST_HEALTH_SQL = `
SELECT (SELECT count(*) FROM (SELECT ingest_health AS h FROM runs
         WHERE customer_id = $1 AND agent_id = $2 AND status <> 'open'
         ORDER BY created_at DESC LIMIT ${INGEST_WINDOW_RUNS}) w) AS runs_checked,
       (SELECT COALESCE(jsonb_agg(w.h), '[]'::jsonb) FROM (SELECT ingest_health AS h FROM runs
         WHERE customer_id = $1 AND agent_id = $2 AND status <> 'open'
         ORDER BY created_at DESC LIMIT ${INGEST_WINDOW_RUNS}) w WHERE w.h IS NOT NULL) AS rows,
       EXISTS (SELECT 1 FROM runs WHERE customer_id = $1 AND agent_id = $2) AS known`;

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
    where.add(`${query.hasSignals ? '' : 'NOT '}EXISTS (SELECT 1 FROM signals s WHERE s.run_key = r.run_key${shadow})`);
  }
  return {
    countSql: `SELECT count(*) AS n FROM runs r WHERE ${where.sql}`,
    params: where.params,
    page: (limit, offset) => {
      const { params, lim, off } = where.paged(limit, offset);
      // started_at of an open run (set at completion) is its earliest span start so far (min_start, kept at ingest).
      const sql = `SELECT r.run_id, r.agent_id, r.agent_version, r.status, r.exit_reason,
                COALESCE(r.started_at, r.min_start) AS started_at,
                r.ended_at, r.step_count, r.span_count, r.created_at,
                (SELECT count(*) FROM signals s WHERE s.run_key = r.run_key${shadow}) AS signal_count
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
