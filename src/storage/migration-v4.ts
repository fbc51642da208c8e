import { LATE_TRUE_OR_NULL_SQL } from './migration-late-null.js';
import type { MappedSpan, SpanEvent } from '../mapping/events.js';
import type { Executor } from './driver.js';
import { ensurePartition, listPartitions } from './partitions.js';
import { encodeSpanBody, insertSpanRows, shortenDigests, spanKeyBytes, type SpanRow } from './span-rows.js';

/**
 * Schema version 4: packed spans, fixed-width keys, time partitions (issue 13).
 *
 * - runs, spans, signals are partitioned by RANGE (run_key); a run_key carries the run's expiry minute (partitions.ts).
 * - spans: one row per span, its events packed into `body` with it (codec.ts); the events table is gone.
 * - runs keep the external run id (any string of 1–512 characters, as /v1/ingest accepts: trace ids, UUIDs, …) for lookups.
 * - run_stats: the baseline window (the newest RUN_STATS_KEPT closed-run stats per agent version) outside the time
 *   partitions, so baselines survive retention.
 * - customers: per-customer retention override; storage_settings: partition width.
 *
 * An existing database is converted in place (inside this migration's transaction): runs get keys expiring
 * DEFAULT_RETENTION_S after they were created, spans are packed with their events, signals keep their ids.
 */

/** Closed-run stats kept per (customer, agent, version); ≥ detectors' BASELINE_WINDOW (50). */
export const RUN_STATS_KEPT = 100;
/** DUNETRACE_RETENTION default: 30 days. */
export const DEFAULT_RETENTION_S = 30 * 86_400;

const SCHEMA_SQL = `
ALTER TABLE runs RENAME TO runs_v3;
ALTER TABLE spans RENAME TO spans_v3;
ALTER TABLE events RENAME TO events_v3;
ALTER TABLE signals RENAME TO signals_v3;

CREATE TABLE storage_settings (
  id                 BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id),
  partition_minutes  INTEGER NOT NULL DEFAULT 1440 CHECK (partition_minutes > 0)
);
INSERT INTO storage_settings DEFAULT VALUES;

CREATE TABLE customers (
  customer_id        TEXT PRIMARY KEY,
  -- NULL: the receiver's DUNETRACE_RETENTION. Applies to runs created after it is set.
  retention_seconds  INTEGER CHECK (retention_seconds > 0)
);

CREATE SEQUENCE run_key_seq;
CREATE SEQUENCE signal_id_seq;

CREATE TABLE runs (
  run_key        BIGINT NOT NULL,
  customer_id    TEXT NOT NULL,
  run_id         TEXT NOT NULL CHECK (length(run_id) BETWEEN 1 AND 512),
  agent_id       TEXT NOT NULL,
  agent_version  TEXT,
  status         TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'completed', 'errored', 'stalled')),
  exit_reason    TEXT CHECK (exit_reason IN ('final_answer', 'completed', 'error', 'stalled')),
  started_at     DOUBLE PRECISION,
  ended_at       DOUBLE PRECISION,
  min_start      DOUBLE PRECISION,
  step_count     INTEGER NOT NULL DEFAULT 0,
  span_count     INTEGER NOT NULL DEFAULT 0,
  root_seen      BOOLEAN NOT NULL DEFAULT FALSE,
  last_span_at   BIGINT NOT NULL,
  created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
  closed_at      TIMESTAMPTZ,
  CONSTRAINT runs_key_pk PRIMARY KEY (run_key)
) PARTITION BY RANGE (run_key);
CREATE INDEX runs_lookup_idx ON runs (customer_id, run_id);
CREATE INDEX runs_recent_idx ON runs (customer_id, created_at DESC);
CREATE INDEX runs_agent_recent_idx ON runs (customer_id, agent_id, created_at DESC);
-- Open runs (restart recovery, pruning) are listed from here, not from an index on runs.status: closing a run then
-- changes no indexed column of runs, so the update stays on its page (HOT) and adds no index entries.
CREATE TABLE open_runs (run_key BIGINT PRIMARY KEY);

CREATE TABLE spans (
  run_key   BIGINT NOT NULL,
  span_key  BIGINT NOT NULL,
  late      BOOLEAN NOT NULL DEFAULT FALSE,
  body      BYTEA NOT NULL,
  CONSTRAINT spans_key_pk PRIMARY KEY (run_key, span_key)
) PARTITION BY RANGE (run_key);

CREATE TABLE signals (
  id             BIGINT NOT NULL DEFAULT nextval('signal_id_seq'),
  run_key        BIGINT NOT NULL,
  customer_id    TEXT NOT NULL,
  run_id         TEXT NOT NULL,
  agent_id       TEXT NOT NULL,
  agent_version  TEXT,
  failure_type   TEXT NOT NULL,
  severity       TEXT NOT NULL CHECK (severity IN ('CRITICAL', 'HIGH', 'MEDIUM', 'LOW')),
  confidence     REAL NOT NULL,
  step_index     INTEGER NOT NULL,
  evidence       JSONB NOT NULL DEFAULT '{}',
  shadow         BOOLEAN NOT NULL DEFAULT FALSE,
  detected_live  BOOLEAN NOT NULL DEFAULT FALSE,
  detected_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  CONSTRAINT signals_once UNIQUE (run_key, failure_type)
) PARTITION BY RANGE (run_key);
CREATE INDEX signals_id_idx ON signals (id);
CREATE INDEX signals_run_idx ON signals (customer_id, run_id);
CREATE INDEX signals_recent_idx ON signals (customer_id, detected_at DESC);
CREATE INDEX signals_agent_recent_idx ON signals (customer_id, agent_id, detected_at DESC);

CREATE TABLE baseline_counters (
  customer_id    TEXT NOT NULL,
  agent_id       TEXT NOT NULL,
  agent_version  TEXT NOT NULL,
  n              BIGINT NOT NULL,
  PRIMARY KEY (customer_id, agent_id, agent_version)
) WITH (fillfactor = 50); -- updated in place on every closed run: leave room for HOT updates
CREATE TABLE run_stats (
  customer_id    TEXT NOT NULL,
  agent_id       TEXT NOT NULL,
  agent_version  TEXT NOT NULL,
  slot           INTEGER NOT NULL,
  n              BIGINT NOT NULL,
  stats          JSONB NOT NULL,
  PRIMARY KEY (customer_id, agent_id, agent_version, slot)
) WITH (fillfactor = 50);
`;

/** Expiry minute of a v3 run: created_at + the default retention. */
const V3_EXPIRY_MINUTE = `floor((extract(epoch FROM r.created_at) + ${DEFAULT_RETENTION_S} - 1577836800) / 60)::int8`;

async function convert(tx: Executor): Promise<void> {
  const minutes = await tx.query<{ m: number | string }>(`SELECT DISTINCT ${V3_EXPIRY_MINUTE} AS m FROM runs_v3 r`);
  const parts = await listPartitions(tx);
  for (const { m } of minutes.rows) await ensurePartition(tx, Number(m), 1440, parts);

  await tx.exec(`
INSERT INTO runs (run_key, customer_id, run_id, agent_id, agent_version, status, exit_reason, started_at, ended_at,
                  min_start, step_count, span_count, root_seen, last_span_at, created_at, closed_at)
SELECT (${V3_EXPIRY_MINUTE} << 32) | (nextval('run_key_seq') & 4294967295), r.customer_id, r.run_id, r.agent_id,
       r.agent_version, r.status, r.exit_reason, r.started_at, r.ended_at,
       (SELECT min(s.start_time) FROM spans_v3 s WHERE s.customer_id = r.customer_id AND s.run_id = r.run_id),
       r.step_count, r.span_count, r.root_seen, r.last_span_at, r.created_at, r.closed_at
FROM runs_v3 r ORDER BY r.created_at, r.customer_id, r.run_id;
INSERT INTO open_runs (run_key) SELECT run_key FROM runs WHERE status = 'open';

INSERT INTO signals (id, run_key, customer_id, run_id, agent_id, agent_version, failure_type, severity, confidence,
                     step_index, evidence, shadow, detected_live, detected_at)
SELECT s.id, r.run_key, s.customer_id, s.run_id, s.agent_id, s.agent_version, s.failure_type, s.severity, s.confidence,
       s.step_index, s.evidence, s.shadow, s.detected_live, s.detected_at
FROM signals_v3 s JOIN runs r ON r.customer_id = s.customer_id AND r.run_id = s.run_id;
SELECT setval('signal_id_seq', GREATEST((SELECT max(id) FROM signals_v3), 1));

INSERT INTO run_stats (customer_id, agent_id, agent_version, slot, n, stats)
SELECT customer_id, agent_id, agent_version, (n % ${RUN_STATS_KEPT})::int, n, stats FROM (
  SELECT customer_id, agent_id, agent_version, stats,
         row_number() OVER (PARTITION BY customer_id, agent_id, agent_version ORDER BY closed_at, run_id) AS n,
         count(*) OVER (PARTITION BY customer_id, agent_id, agent_version) AS total
  FROM runs_v3 WHERE stats IS NOT NULL AND agent_version IS NOT NULL
) x WHERE n > total - ${RUN_STATS_KEPT};
INSERT INTO baseline_counters (customer_id, agent_id, agent_version, n)
SELECT customer_id, agent_id, agent_version, count(*) FROM runs_v3
WHERE stats IS NOT NULL AND agent_version IS NOT NULL GROUP BY 1, 2, 3;
`);

  // Spans with their events, a few thousand at a time, packed in JS (the codec is not SQL).
  let after = '';
  for (;;) {
    // The rows are written as this version writes them (span-rows.ts): late TRUE or NULL, which schema 10 allows.
    if (after === '') await tx.exec(LATE_TRUE_OR_NULL_SQL);
    const spans = await tx.query<V3Span>(
      `SELECT r.run_key::text AS run_key, s.*, (extract(epoch FROM s.received_at) * 1000)::float8 AS received_ms,
              (SELECT COALESCE(json_agg(json_build_object('event_type', e.event_type, 'seq', e.seq,
                                                          'timestamp', e."timestamp", 'payload', e.payload) ORDER BY e.seq), '[]')
               FROM events_v3 e WHERE e.customer_id = s.customer_id AND e.run_id = s.run_id AND e.span_id = s.span_id) AS events
       FROM spans_v3 s JOIN runs r ON r.customer_id = s.customer_id AND r.run_id = s.run_id
       WHERE (s.customer_id || '/' || s.run_id || '/' || s.span_id) > $1
       ORDER BY (s.customer_id || '/' || s.run_id || '/' || s.span_id) LIMIT 2000`,
      [after],
    );
    if (spans.rows.length === 0) break;
    const rows: SpanRow[] = spans.rows.map((s) => ({
      runKey: s.run_key,
      spanKey: spanKeyBytes(s.span_id),
      late: s.late,
      // Schema 3 held 64-hex content digests: stored as today's 32-hex ones.
      body: encodeSpanBody(s.agent_id, Number(s.received_ms), shortenDigests(v3Span(s))),
    }));
    await insertSpanRows(tx, rows);
    const last = spans.rows[spans.rows.length - 1];
    after = `${last.customer_id}/${last.run_id}/${last.span_id}`;
  }
  await tx.exec('DROP TABLE events_v3; DROP TABLE spans_v3; DROP TABLE signals_v3; DROP TABLE runs_v3;');
}

interface V3Span {
  run_key: string;
  customer_id: string;
  run_id: string;
  span_id: string;
  parent_span_id: string | null;
  name: string;
  category: MappedSpan['category'];
  start_time: number;
  end_time: number;
  status: MappedSpan['status'];
  error_type: string | null;
  agent_id: string;
  hint_agent_id: string | null;
  agent_name: string | null;
  service_name: string | null;
  agent_version: string | null;
  tools_available: string[] | null;
  root: MappedSpan['root'];
  late: boolean;
  received_ms: number | string;
  events: SpanEvent[] | string;
}

function v3Span(s: V3Span): MappedSpan {
  const events = (typeof s.events === 'string' ? JSON.parse(s.events) : s.events) as SpanEvent[];
  return {
    trace_id: s.run_id,
    span_id: s.span_id,
    parent_span_id: s.parent_span_id,
    name: s.name,
    category: s.category,
    start_time: Number(s.start_time),
    end_time: Number(s.end_time),
    status: s.status,
    error_type: s.error_type,
    agent_id: s.hint_agent_id,
    agent_name: s.agent_name,
    service_name: s.service_name,
    agent_version: s.agent_version,
    tools_available: s.tools_available ?? [],
    root: s.root,
    events: events.map((e) => ({ ...e, seq: Number(e.seq), timestamp: Number(e.timestamp) })),
  };
}

export const PACKED_SPANS_MIGRATION = { version: 4, name: 'packed spans, run keys, time partitions', sql: SCHEMA_SQL, run: convert };
