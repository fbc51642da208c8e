/**
 * The tiny driver abstraction both backends implement. Everything above it (SQL, migrations, row mapping) is shared.
 * Adapters throw StorageUnavailableError for connection-level failures and leave SQL errors (constraints, bad data)
 * untouched; see errors.ts.
 */

export interface QueryResult<R> {
  rows: R[];
  /** Rows affected (INSERT/UPDATE/DELETE) or returned. */
  rowCount: number;
}

/** What a transaction callback gets: queries run on the transaction's connection. */
export interface Executor {
  /** One statement, `$n` parameters (extended protocol). */
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
  /** A script of several statements, no parameters (simple protocol). Used by migrations. */
  exec(sql: string): Promise<void>;
  /**
   * Bulk load: `COPY <target> FROM STDIN WITH (FORMAT binary)` fed with data (a whole binary COPY stream, see
   * copy-binary.ts); resolves with the rows copied. target is trusted SQL: "table (col, …)". Optional: without it,
   * storage writes with INSERT … SELECT instead.
   */
  copyFrom?(target: string, data: Buffer): Promise<number>;
}

export interface Queryable extends Executor {
  readonly kind: 'pglite' | 'postgres';
  /** Runs fn in BEGIN … COMMIT; rolls back and rethrows when fn throws. Resolves after COMMIT. */
  transaction<T>(fn: (tx: Executor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
