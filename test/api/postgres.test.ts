import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, it } from 'vitest';
import { RECEIVER_MIGRATIONS } from '../../src/receiver/app.js';
import { openPgStorage } from '../../src/storage/pg.js';
import { apiSuite } from './api-suite.js';

/**
 * The same API suite on a Postgres server (the pg driver returns BIGINTs as strings, jsonb parsed, timestamptz as
 * Dates: the list queries must give identical answers). Server: DUNETRACE_TEST_DATABASE_URL (default
 * postgres://postgres@127.0.0.1:5432/test), in a fresh schema dropped at the end. Unreachable: skipped, or failed when
 * DUNETRACE_REQUIRE_PG=1.
 */

const url = process.env.DUNETRACE_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const redacted = url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');

async function probe(): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (err) {
    return (err as Error).message || String(err);
  } finally {
    await client.end().catch(() => {});
  }
}

const unreachable = await probe();

if (unreachable !== null) {
  if (process.env.DUNETRACE_REQUIRE_PG === '1') {
    describe('REST API (Postgres server)', () => {
      it(`needs ${redacted} (DUNETRACE_REQUIRE_PG=1)`, () => {
        throw new Error(`Postgres at ${redacted} unreachable: ${unreachable}`);
      });
    });
  } else {
    describe.skip(`REST API (Postgres server) SKIPPED: ${redacted} unreachable (${unreachable})`, () => {
      it('api suite', () => {});
    });
  }
} else {
  const schema = `dt_api_${randomBytes(6).toString('hex')}`;
  afterAll(async () => {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await admin.end();
    }
  });
  apiSuite('Postgres server', async () => ({ storage: openPgStorage({ databaseUrl: url, schema, migrations: RECEIVER_MIGRATIONS }) }));
}
