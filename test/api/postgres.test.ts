import { afterAll } from 'vitest';
import { RECEIVER_MIGRATIONS } from '../../src/receiver/app.js';
import { openPgStorage } from '../../src/storage/pg.js';
import { describeWithPostgres, dropSchemas, freshSchema, PG_URL } from '../helpers/postgres.js';
import { apiSuite } from './api-suite.js';

/**
 * The same API suite on a Postgres server (the pg driver returns BIGINTs as strings, jsonb parsed, timestamptz as
 * Dates: the list queries must give identical answers), in a fresh schema dropped at the end. Server and skip/fail
 * policy: test/helpers/postgres.ts.
 */

afterAll(dropSchemas);

await describeWithPostgres('REST API (Postgres server)', () => {
  const schema = freshSchema('dt_api');
  apiSuite('Postgres server', async () => ({ storage: openPgStorage({ databaseUrl: PG_URL, schema, migrations: RECEIVER_MIGRATIONS }) }));
});
