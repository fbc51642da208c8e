import type { Migration } from './migrations.js';
import type { SqlStorage } from './sql-storage.js';

export * from './types.js';
export { isTransientDbError, toStorageError } from './errors.js';
export { MIGRATIONS, runMigrations, type Migration, type MigrationResult } from './migrations.js';
export type { Executor, Queryable, QueryResult } from './driver.js';
export type { SqlStorage, SqlStorageOptions } from './sql-storage.js';
export { startPruning, PRUNE_INTERVAL_MS } from './retention.js';

export interface OpenStorageOptions {
  /** When set, use this Postgres server (pg); otherwise the embedded PGlite in dataDir. */
  databaseUrl?: string;
  /** PGlite data directory, or 'memory://'. Ignored with databaseUrl. */
  dataDir: string;
  /** pg only: schema for our tables (search_path), created by migrate(). */
  schema?: string;
  /** Migrations migrate() applies (default MIGRATIONS), e.g. [...MIGRATIONS, ALERT_DELIVERIES_MIGRATION]. */
  migrations?: readonly Migration[];
  /** DUNETRACE_RETENTION in seconds (default 30 days). */
  retentionSeconds?: number;
  /** Width of new time partitions in minutes (default: what the database has, 1 day when new). */
  partitionMinutes?: number;
}

/**
 * Opens the configured backend. Only the chosen driver is loaded (dynamic import): PGlite's 27 MB WASM is never
 * loaded when a server is configured, and pg is not loaded for the embedded default. Call migrate() before use.
 * With a server, the database is pinged before this resolves: an unreachable server rejects with
 * StorageUnavailableError (retry), a bad URL or credentials with an ordinary error.
 */
export async function openStorage(options: OpenStorageOptions): Promise<SqlStorage> {
  const url = options.databaseUrl?.trim();
  if (url) {
    const { openPgStorage } = await import('./pg.js');
    const storage = openPgStorage({ ...options, databaseUrl: url });
    try {
      await storage.ping();
    } catch (err) {
      await storage.close().catch(() => {});
      throw err;
    }
    return storage;
  }
  const { openPGliteStorage } = await import('./pglite.js');
  return openPGliteStorage(options);
}
