/**
 * The Postgres server the benchmarks write to: DUNETRACE_BENCH_DATABASE_URL, else DUNETRACE_TEST_DATABASE_URL, else
 * postgres://postgres@127.0.0.1:5432/test. Each benchmark run gets a schema of its own (dt_bench_<pid>), passed to
 * the receiver through the URL's `options=-c search_path=…`, and drops it when done.
 */
import pg from 'pg';
import { onInterrupt } from './lib.js';

export const SERVER_URL = process.env.DUNETRACE_BENCH_DATABASE_URL || process.env.DUNETRACE_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

export interface BenchSchema {
  /** DATABASE_URL for the receiver: the server URL with search_path set to the schema. */
  url: string;
  schema: string;
  /** Drops the schema and everything in it. */
  drop(): Promise<void>;
}

async function withClient<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: SERVER_URL, connectionTimeoutMillis: 3000 });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** `SHOW server_version`, or null when no server answers. */
export async function serverVersion(): Promise<string | null> {
  try {
    return await withClient(async (c) => String((await c.query<{ server_version: string }>('SHOW server_version')).rows[0].server_version));
  } catch {
    return null;
  }
}

export async function createBenchSchema(suffix = ''): Promise<BenchSchema> {
  const schema = `dt_bench_${process.pid}${suffix}`;
  await withClient((c) => c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`));
  const url = `${SERVER_URL}${SERVER_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  const drop = () => withClient((c) => c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)).then(() => undefined);
  const forget = onInterrupt(drop);
  return {
    url,
    schema,
    drop: () => {
      forget();
      return drop();
    },
  };
}
