import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pg from 'pg';
import { from as copyFromStream } from 'pg-copy-streams';
import type { Executor, QueryResult, Queryable } from './driver.js';
import { isTransientDbError, toStorageError } from './errors.js';
import type { Migration } from './migrations.js';
import { SqlStorage } from './sql-storage.js';

export interface PgStorageOptions {
  /** postgres://user:pass@host:port/db */
  databaseUrl: string;
  /**
   * Schema for all our tables (created by migrate() when missing), set as search_path on every connection.
   * Lets tests (or several installations) share one database. Letters, digits and _ only.
   */
  schema?: string;
  /** Pool size (default 10). */
  max?: number;
  /** Give up connecting after this long (default 5 000 ms) → StorageUnavailableError. */
  connectionTimeoutMillis?: number;
  /** Server-side statement_timeout in ms (default 30 000; 0 = none) → StorageUnavailableError when hit. */
  statementTimeoutMillis?: number;
  /** Default MIGRATIONS. */
  migrations?: readonly Migration[];
  /** See SqlStorageOptions. */
  retentionSeconds?: number;
  partitionMinutes?: number;
  now?: () => number;
  /** Errors of idle pooled connections (server restart…); the next query reports them anyway. Default: ignore. */
  onIdleError?: (err: Error) => void;
}

const SCHEMA_RE = /^[a-z_][a-z0-9_]{0,62}$/;

export function openPgQueryable(options: PgStorageOptions): Queryable {
  if (options.schema !== undefined && !SCHEMA_RE.test(options.schema)) {
    throw new Error(`invalid schema name ${JSON.stringify(options.schema)}: use [a-z_][a-z0-9_]* (max 63)`);
  }
  const pool = new pg.Pool({
    connectionString: options.databaseUrl,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: options.statementTimeoutMillis ?? 30_000,
    application_name: 'dunetrace-otel',
    // Sent in the startup packet, so search_path is set before the first query on every connection (no race with
    // a SET issued from a 'connect' handler). The schema need not exist yet.
    ...(options.schema !== undefined ? { options: `-c search_path=${options.schema}` } : {}),
  });
  // Without a listener, an error on an idle client (server restart, network drop) would crash the process.
  pool.on('error', (err) => options.onIdleError?.(err));
  return new PgQueryable(pool);
}

export function openPgStorage(options: PgStorageOptions): SqlStorage {
  return new SqlStorage(openPgQueryable(options), {
    schema: options.schema,
    migrations: options.migrations,
    retentionSeconds: options.retentionSeconds,
    partitionMinutes: options.partitionMinutes,
    now: options.now,
  });
}

class PgQueryable implements Queryable {
  readonly kind = 'postgres' as const;
  private closing: Promise<void> | null = null;

  constructor(private readonly pool: pg.Pool) {}

  async query<R>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
    try {
      const r = await this.pool.query(sql, params ? [...params] : undefined);
      return { rows: r.rows as R[], rowCount: r.rowCount ?? r.rows.length };
    } catch (err) {
      throw toStorageError(err, 'Postgres');
    }
  }

  async exec(sql: string): Promise<void> {
    await this.query(sql);
  }

  async copyFrom(target: string, data: Buffer): Promise<number> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw toStorageError(err, 'Postgres');
    }
    try {
      const n = await copyInto(client, target, data);
      client.release();
      return n;
    } catch (err) {
      client.release(isTransientDbError(err) ? (err instanceof Error ? err : true) : undefined);
      throw toStorageError(err, 'Postgres');
    }
  }

  async transaction<T>(fn: (tx: Executor) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw toStorageError(err, 'Postgres');
    }
    const tx: Executor = {
      query: async <R>(sql: string, params?: readonly unknown[]) => {
        const r = await client.query(sql, params ? [...params] : undefined);
        return { rows: r.rows as R[], rowCount: r.rowCount ?? r.rows.length };
      },
      exec: async (sql: string) => {
        await client.query(sql);
      },
      copyFrom: (target: string, data: Buffer) => copyInto(client, target, data),
    };
    try {
      await client.query('BEGIN');
      const result = await fn(tx);
      await client.query('COMMIT');
      client.release();
      return result;
    } catch (err) {
      let broken = isTransientDbError(err);
      if (!broken) {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true;
        }
      }
      // A broken connection is destroyed rather than returned to the pool.
      client.release(broken ? (err instanceof Error ? err : true) : undefined);
      throw toStorageError(err, 'Postgres');
    }
  }

  close(): Promise<void> {
    this.closing ??= this.pool.end();
    return this.closing;
  }
}

/** COPY … FROM STDIN (binary) on one client: the stream ends after data; resolves with the rows copied. */
async function copyInto(client: pg.PoolClient, target: string, data: Buffer): Promise<number> {
  const stream = client.query(copyFromStream(`COPY ${target} FROM STDIN WITH (FORMAT binary)`));
  await pipeline(Readable.from([data]), stream);
  return Number(stream.rowCount ?? 0);
}
