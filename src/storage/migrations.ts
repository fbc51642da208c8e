import type { Executor, Queryable } from './driver.js';
import { claimsOnOpenRunsMigration } from './migration-claims.js';
import { lateOnlyWhenTrueMigration } from './migration-late-null.js';
import { packedRunStatsMigration } from './migration-run-stats.js';
import { stringDictionaryMigration } from './migration-strings.js';
import { PACKED_SPANS_MIGRATION } from './migration-v4.js';

/**
 * Versioned schema migrations. Append only: never edit a migration once released, add a new version instead.
 * Each one is applied in its own transaction together with its schema_migrations row, under a transaction-scoped
 * advisory lock, so concurrent starters (several receivers on one server) apply each version exactly once.
 *
 * Time columns: started_at/ended_at/timestamp/start_time/end_time are span times in unix seconds (DOUBLE, µs
 * precision); last_span_at is the receiver's wall clock in ms since epoch (BIGINT); the rest are TIMESTAMPTZ.
 * No foreign keys: spans/events/signals are always written with their run in one transaction, and FKs would cost a
 * lookup per inserted row on the ingest path.
 */
export interface Migration {
  version: number;
  name: string;
  /** DDL script, run first. */
  sql?: string;
  /** Then this, in the same transaction (data conversions SQL cannot express, e.g. packing span bodies). */
  run?: (tx: Executor) => Promise<void>;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
CREATE TABLE api_keys (
  key_hash     TEXT PRIMARY KEY CHECK (key_hash ~ '^[0-9a-f]{64}$'),
  key_prefix   TEXT NOT NULL,
  agent_id     TEXT,
  customer_id  TEXT NOT NULL,
  active       BOOLEAN NOT NULL DEFAULT TRUE,
  created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  revoked_at   TIMESTAMPTZ
);
CREATE INDEX api_keys_customer_idx ON api_keys (customer_id);

CREATE TABLE runs (
  customer_id    TEXT NOT NULL,
  run_id         TEXT NOT NULL CHECK (run_id ~ '^[0-9a-f]{32}$'),
  agent_id       TEXT NOT NULL,
  agent_version  TEXT,
  status         TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'completed', 'errored', 'stalled')),
  exit_reason    TEXT CHECK (exit_reason IN ('final_answer', 'completed', 'error', 'stalled')),
  started_at     DOUBLE PRECISION,
  ended_at       DOUBLE PRECISION,
  step_count     INTEGER NOT NULL DEFAULT 0,
  span_count     INTEGER NOT NULL DEFAULT 0,
  root_seen      BOOLEAN NOT NULL DEFAULT FALSE,
  last_span_at   BIGINT NOT NULL,
  created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
  closed_at      TIMESTAMPTZ,
  PRIMARY KEY (customer_id, run_id)
);
CREATE INDEX runs_open_idx ON runs (last_span_at) WHERE status = 'open';
CREATE INDEX runs_agent_idx ON runs (customer_id, agent_id, created_at DESC);

CREATE TABLE spans (
  customer_id      TEXT NOT NULL,
  run_id           TEXT NOT NULL,
  span_id          TEXT NOT NULL,
  parent_span_id   TEXT,
  name             TEXT NOT NULL,
  category         TEXT NOT NULL,
  start_time       DOUBLE PRECISION NOT NULL,
  end_time         DOUBLE PRECISION NOT NULL,
  status           TEXT NOT NULL,
  error_type       TEXT,
  agent_id         TEXT NOT NULL,
  hint_agent_id    TEXT,
  agent_name       TEXT,
  service_name     TEXT,
  agent_version    TEXT,
  tools_available  JSONB NOT NULL DEFAULT '[]',
  root             JSONB,
  late             BOOLEAN NOT NULL DEFAULT FALSE,
  received_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (customer_id, run_id, span_id)
);

CREATE TABLE events (
  id           BIGSERIAL PRIMARY KEY,
  customer_id  TEXT NOT NULL,
  run_id       TEXT NOT NULL,
  span_id      TEXT NOT NULL,
  event_type   TEXT NOT NULL,
  seq          INTEGER NOT NULL,
  "timestamp"  DOUBLE PRECISION NOT NULL,
  payload      JSONB NOT NULL DEFAULT '{}',
  late         BOOLEAN NOT NULL DEFAULT FALSE,
  received_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (customer_id, run_id, span_id, seq)
);
CREATE INDEX events_run_idx ON events (customer_id, run_id);

CREATE TABLE signals (
  id             BIGSERIAL PRIMARY KEY,
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
  UNIQUE (customer_id, run_id, failure_type)
);
CREATE INDEX signals_customer_time_idx ON signals (customer_id, detected_at DESC);
`,
  },
  {
    version: 2,
    name: 'run stats for baselines',
    // Each completed run keeps the few numbers its agent's baseline aggregates (steps, tokens, durations…), so a
    // baseline is a read of ≤ 50 small rows through this index, never a re-read of runs' events.
    sql: `
ALTER TABLE runs ADD COLUMN stats JSONB;
CREATE INDEX runs_baseline_idx ON runs (customer_id, agent_id, agent_version, closed_at DESC) WHERE stats IS NOT NULL;
`,
  },
  {
    version: 3,
    name: 'signal reads by agent',
    // GET /v1/agents/{id}/signals, and the per-agent failure types and sparkline of GET /v1/agents, read one agent's
    // newest signals: this index serves them without touching the customer's other agents.
    sql: `
CREATE INDEX signals_agent_time_idx ON signals (customer_id, agent_id, detected_at DESC);
`,
  },
  PACKED_SPANS_MIGRATION,
  {
    version: 5,
    name: 'completion claims',
    // Several receivers on one database: the one that completes a run claims it first (claimCompletion), so a run is
    // judged once whichever receivers saw its spans; spans written while a claim holds are stored late. A claim
    // expires (a receiver killed mid-completion): then a peer claims the run again.
    sql: `
ALTER TABLE runs ADD COLUMN claimed_by TEXT;
ALTER TABLE runs ADD COLUMN claimed_until BIGINT;
`,
  },
  {
    version: 6,
    name: 'ingest health',
    // What a completed run's telemetry carried that the mapping could not read (runs/ingest-health.ts), set at
    // close and only for runs that had such gaps: a clean run's row does not grow. Read per agent through
    // runs_agent_recent_idx (its newest completed runs).
    sql: `
ALTER TABLE runs ADD COLUMN ingest_health JSONB;
`,
  },
  stringDictionaryMigration(7),
  claimsOnOpenRunsMigration(8),
  packedRunStatsMigration(9),
  lateOnlyWhenTrueMigration(10),
];

/** Arbitrary constant namespacing our advisory locks (first key of the two-int form). */
const MIGRATION_LOCK_NAMESPACE = 0x0d7e_0001;

export interface MigrationResult {
  /** Versions applied by this call, in order (empty when the schema was already current). */
  applied: number[];
  /** Highest version present after the call. */
  current: number;
}

export interface RunMigrationsOptions {
  /**
   * Schema our tables live in (the connection's search_path names it). When set, it is created if missing, and it
   * scopes the advisory lock, so starters migrating different schemas on one server do not wait for each other.
   */
  schema?: string;
  migrations?: readonly Migration[];
}

/** Applies pending migrations, each in its own transaction; returns what it applied. */
export async function runMigrations(db: Queryable, options: RunMigrationsOptions = {}): Promise<MigrationResult> {
  // Each version is checked on its own (not "above the max"), so a version added later with a lower number (e.g.
  // core 2 after a feature's 100) is still applied on existing databases.
  const migrations = inVersionOrder(options.migrations ?? MIGRATIONS);
  const lock = 'SELECT pg_advisory_xact_lock($1, hashtext($2))';
  const lockParams = [MIGRATION_LOCK_NAMESPACE, options.schema ?? ''];

  // The schema and the bookkeeping table are created under the lock: two concurrent CREATE … IF NOT EXISTS can both
  // pass the existence check, and one then fails on a catalog unique index.
  await db.transaction(async (tx) => {
    await tx.query(lock, lockParams);
    if (options.schema !== undefined) {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(options.schema)) throw new Error(`invalid schema name ${options.schema}`);
      await tx.exec(`CREATE SCHEMA IF NOT EXISTS "${options.schema}"`);
    }
    await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
  version     INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,
  applied_at  TIMESTAMPTZ NOT NULL DEFAULT now()
)`);
  });

  // Fast path for every start after the first: skip what is recorded without taking the lock; pending versions are
  // re-checked under the lock (another starter may be applying them right now).
  const recorded = await db.query<{ version: number }>('SELECT version FROM schema_migrations');
  const done = new Set(recorded.rows.map((r) => Number(r.version)));
  const applied: number[] = [];
  for (const m of migrations) {
    if (done.has(m.version)) continue;
    const did = await db.transaction(async (tx) => {
      await tx.query(lock, lockParams);
      const already = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [m.version]);
      if (already.rows.length > 0) return false;
      if (m.sql !== undefined) await tx.exec(m.sql);
      await m.run?.(tx);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      return true;
    });
    if (did) applied.push(m.version);
  }
  const cur = await db.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
  return { applied, current: Number(cur.rows[0]?.v ?? 0) };
}

/** Migrations by ascending version; versions must be unique positive integers. */
function inVersionOrder(migrations: readonly Migration[]): Migration[] {
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  for (let i = 0; i < sorted.length; i++) {
    const m = sorted[i];
    if (!Number.isInteger(m.version) || m.version <= 0) throw new Error(`migration "${m.name}": bad version ${m.version}`);
    if (i > 0 && m.version === sorted[i - 1].version) throw new Error(`two migrations have version ${m.version}`);
  }
  return sorted;
}
