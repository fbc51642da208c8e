import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import type { Executor, QueryResult, Queryable } from './driver.js';
import { toStorageError } from './errors.js';
import type { Migration } from './migrations.js';
import { SqlStorage } from './sql-storage.js';

export interface PGliteStorageOptions {
  /** A directory for the data files, or 'memory://' for a throwaway in-memory database. */
  dataDir: string;
  /** Default MIGRATIONS. */
  migrations?: readonly Migration[];
  /** See SqlStorageOptions. */
  retentionSeconds?: number;
  partitionMinutes?: number;
  now?: () => number;
}

/**
 * Durability: on Node, PGlite mounts dataDir through Emscripten's NODEFS, so every write() Postgres makes goes
 * straight to the OS file (no in-memory copy to sync later). At COMMIT, Postgres writes the WAL record before the
 * query returns; with relaxedDurability false (set explicitly; it is also the default) PGlite awaits its fs sync
 * before resolving each query. So once transaction() resolves, the commit is in the OS page cache and survives a
 * SIGKILL of the process (test/storage/pglite.test.ts kills a child right after writeSpans resolves and reopens the
 * dir). PGlite starts Postgres with fsync off (-F), so an OS crash or power loss can still lose recent commits.
 */
export async function openPGliteQueryable(options: PGliteStorageOptions): Promise<Queryable> {
  let db: PGlite;
  try {
    // PGlite creates only the last path component; create the parents (e.g. ~/.dunetrace/data) too.
    if (!/^[a-z-]+:\/\//.test(options.dataDir)) {
      mkdirSync(options.dataDir, { recursive: true });
      if (!existsSync(join(options.dataDir, 'PG_VERSION'))) await initialiseInChild(options.dataDir);
    }
    db = await PGlite.create(options.dataDir, { relaxedDurability: false });
  } catch (err) {
    throw toStorageError(err, 'PGlite');
  }
  return new PGliteQueryable(db);
}

/**
 * Creates a new data directory (initdb) in a short-lived child process. PGlite runs initdb inside the WASM heap of the
 * process that opens a new directory, and a WASM heap never shrinks: a receiver that initialised its own database
 * idled at ~820 MB RSS, one that opened an existing directory at ~320 MB.
 */
async function initialiseInChild(dataDir: string): Promise<void> {
  const code = `const { PGlite } = await import(process.argv[1]); const db = await PGlite.create(process.argv[2]); await db.close();`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code, pgliteUrl(), dataDir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exit = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', resolve);
  });
  if (exit !== 0) throw new Error(`PGlite: creating the database in ${dataDir} failed (exit ${exit}): ${stderr.slice(-500)}`);
}

/** The URL of the PGlite module this process loads (import.meta.resolve where the loader has it, else require's). */
function pgliteUrl(): string {
  const resolve = (import.meta as { resolve?: (s: string) => string }).resolve;
  return typeof resolve === 'function' ? resolve('@electric-sql/pglite') : pathToFileURL(createRequire(import.meta.url).resolve('@electric-sql/pglite')).href;
}

export async function openPGliteStorage(options: PGliteStorageOptions): Promise<SqlStorage> {
  return new SqlStorage(await openPGliteQueryable(options), {
    migrations: options.migrations,
    retentionSeconds: options.retentionSeconds,
    partitionMinutes: options.partitionMinutes,
    now: options.now,
  });
}

class PGliteQueryable implements Queryable {
  readonly kind = 'pglite' as const;
  private closing: Promise<void> | null = null;

  constructor(private readonly db: PGlite) {}

  query<R>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
    return runQuery<R>(this.db, sql, params);
  }

  exec(sql: string): Promise<void> {
    return runExec(this.db, sql);
  }

  copyFrom(target: string, data: Buffer): Promise<number> {
    return runCopy(this.db, target, data);
  }

  async transaction<T>(fn: (tx: Executor) => Promise<T>): Promise<T> {
    try {
      return await this.db.transaction((tx) =>
        fn({ query: (sql, params) => runQuery(tx, sql, params), exec: (sql) => runExec(tx, sql), copyFrom: (target, data) => runCopy(tx, target, data) }),
      );
    } catch (err) {
      throw toStorageError(err, 'PGlite');
    }
  }

  close(): Promise<void> {
    this.closing ??= this.db.closed ? Promise.resolve() : this.db.close();
    return this.closing;
  }
}

async function runQuery<R>(db: PGlite | Transaction, sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
  try {
    const r = await db.query<R>(sql, params ? [...params] : undefined);
    return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
  } catch (err) {
    throw toStorageError(err, 'PGlite');
  }
}

async function runExec(db: PGlite | Transaction, sql: string): Promise<void> {
  try {
    await db.exec(sql);
  } catch (err) {
    throw toStorageError(err, 'PGlite');
  }
}

/** PGlite reads COPY input from the query's blob, named /dev/blob in the statement. */
async function runCopy(db: PGlite | Transaction, target: string, data: Buffer): Promise<number> {
  try {
    const r = await db.query(`COPY ${target} FROM '/dev/blob' WITH (FORMAT binary)`, [], { blob: new Blob([data]) });
    return r.affectedRows ?? 0;
  } catch (err) {
    throw toStorageError(err, 'PGlite');
  }
}
