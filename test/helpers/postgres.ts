/**
 * The one place that decides whether the Postgres-server tests run. Server: DUNETRACE_TEST_DATABASE_URL (default
 * postgres://postgres@127.0.0.1:5432/test). When it does not answer, the tests are a visible skip (reason in the
 * title and on stderr), or a failure with DUNETRACE_REQUIRE_PG=1 (CI, where a missing server is a broken setup).
 * Each test file works in schemas of its own (freshSchema), dropped by dropSchemas() in its afterAll, so several
 * agents' suites can share the server.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, it } from 'vitest';

export const PG_URL = process.env.DUNETRACE_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
/** PG_URL with any password masked, for titles and messages. */
export const PG_URL_REDACTED = PG_URL.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
const REQUIRE_PG = process.env.DUNETRACE_REQUIRE_PG === '1';

/** Why the server at url does not answer `SELECT 1`, or null when it does. */
export async function probePostgres(url: string, timeoutMs = 3_000): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (err) {
    const e = err as Error & { code?: string };
    return e.message || e.code || String(err);
  } finally {
    await client.end().catch(() => {});
  }
}

let probed: Promise<string | null> | undefined;
/** The probe of PG_URL, once per test file. */
export function pgUnreachable(): Promise<string | null> {
  probed ??= probePostgres(PG_URL);
  return probed;
}

/**
 * describe(name, body) when the server answers. Otherwise, with DUNETRACE_REQUIRE_PG=1, one failing test saying why;
 * without it, the same tests registered as skipped, under a title that says why and how to make it fail.
 */
export async function describeWithPostgres(name: string, body: () => void): Promise<void> {
  const unreachable = await pgUnreachable();
  if (unreachable === null) {
    describe(name, body);
  } else if (REQUIRE_PG) {
    describe(name, () => {
      it(`needs the Postgres server at ${PG_URL_REDACTED} (DUNETRACE_REQUIRE_PG=1)`, () => {
        throw new Error(`Postgres at ${PG_URL_REDACTED} unreachable: ${unreachable}`);
      });
    });
  } else {
    console.warn(`[tests] skipping "${name}": Postgres at ${PG_URL_REDACTED} unreachable (${unreachable})`);
    describe.skip(`${name} SKIPPED: ${PG_URL_REDACTED} unreachable (${unreachable}); set DUNETRACE_REQUIRE_PG=1 to fail`, body);
  }
}

const created: string[] = [];

/** A new schema name `<prefix>_<12 hex>` (created by whoever migrates into it), remembered for dropSchemas(). */
export function freshSchema(prefix = 'dt_test'): string {
  const schema = `${prefix}_${randomBytes(6).toString('hex')}`;
  created.push(schema);
  return schema;
}

/** Drops every schema freshSchema() named in this file (for afterAll; nothing to do when the server never answered). */
export async function dropSchemas(): Promise<void> {
  if (created.length === 0 || (await pgUnreachable()) !== null) return;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  try {
    for (const s of created.splice(0)) await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  } finally {
    await admin.end();
  }
}
