/**
 * The contract suite against a real Postgres server, plus server-only behaviour (concurrent migrate, connection
 * failures). Server, skip/fail policy and schema cleanup: test/helpers/postgres.ts. Each run of this file works in
 * fresh schemas dt_test_<random>, dropped at the end.
 */
import { createServer, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { openStorage } from '../../src/storage/index.js';
import { MIGRATIONS } from '../../src/storage/migrations.js';
import { openPgQueryable, openPgStorage } from '../../src/storage/pg.js';
import { StorageUnavailableError } from '../../src/storage/types.js';
import { describeWithPostgres, dropSchemas, freshSchema, PG_URL as url, probePostgres } from '../helpers/postgres.js';
import { batchOf, newCustomer, newRunId, smallRun } from './fixtures.js';
import { retentionSuite } from './retention-suite.js';
import { storageContractSuite } from './suite.js';
import { stringDictionarySuite } from './strings-suite.js';
import { factRefsSuite } from './fact-refs-suite.js';
import { spanRowSuite } from './span-row-suite.js';

afterAll(dropSchemas);

await describeWithPostgres('Postgres server', () => {
  // All instances of this file's suite share one schema (the close test opens a second pool on it).
  const suiteSchema = freshSchema();
  storageContractSuite('Postgres server', async () => openPgStorage({ databaseUrl: url, schema: suiteSchema }));
  // A schema each: pruning with a clock hours ahead must not touch the other tests' partitions.
  retentionSuite('Postgres server', async (options) => {
    const schema = freshSchema();
    const db = openPgQueryable({ databaseUrl: url });
    await db.exec(`CREATE SCHEMA "${schema}"`).finally(() => db.close());
    return openPgStorage({ databaseUrl: url, schema, ...options });
  });

  stringDictionarySuite('Postgres server', async () => {
    const schema = freshSchema();
    const db = openPgQueryable({ databaseUrl: url });
    await db.exec(`CREATE SCHEMA "${schema}"`).finally(() => db.close());
    return openPgQueryable({ databaseUrl: url, schema });
  });

  factRefsSuite('Postgres server', async () => {
    const schema = freshSchema();
    const db = openPgQueryable({ databaseUrl: url });
    await db.exec(`CREATE SCHEMA "${schema}"`).finally(() => db.close());
    return openPgQueryable({ databaseUrl: url, schema });
  });

  spanRowSuite('Postgres server', async () => {
    const schema = freshSchema();
    const db = openPgQueryable({ databaseUrl: url });
    await db.exec(`CREATE SCHEMA "${schema}"`).finally(() => db.close());
    return openPgQueryable({ databaseUrl: url, schema });
  });

  describe('Postgres server specifics', () => {
    it('concurrent starters apply each migration exactly once', async () => {
      const schema = freshSchema();
      const starters = Array.from({ length: 4 }, () => openPgStorage({ databaseUrl: url, schema, max: 2 }));
      try {
        const results = await Promise.all(starters.map((s) => s.migrateWithResult()));
        const applied = results.flatMap((r) => r.applied).sort((a, b) => a - b);
        expect(applied).toEqual(MIGRATIONS.map((m) => m.version));
        for (const r of results) expect(r.current).toBe(MIGRATIONS[MIGRATIONS.length - 1].version);

        const db = openPgQueryable({ databaseUrl: url, schema });
        try {
          const rows = await db.query<{ version: number; n: string }>('SELECT version, count(*) AS n FROM schema_migrations GROUP BY version ORDER BY version');
          expect(rows.rows.map((r) => [r.version, Number(r.n)])).toEqual(MIGRATIONS.map((m) => [m.version, 1]));
        } finally {
          await db.close();
        }
      } finally {
        await Promise.all(starters.map((s) => s.close()));
      }
    });

    it('keeps schemas apart: a second schema does not see the first one’s rows', async () => {
      const a = openPgStorage({ databaseUrl: url, schema: freshSchema() });
      const b = openPgStorage({ databaseUrl: url, schema: freshSchema() });
      try {
        await Promise.all([a.migrate(), b.migrate()]);
        const customer = newCustomer();
        const { runId, spans } = smallRun();
        await a.writeSpans(batchOf(customer, spans));
        expect((await a.getRun(customer, runId))?.span_count).toBe(3);
        expect(await b.getRun(customer, runId)).toBeNull();
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });

    it('openStorage with databaseUrl opens the server backend', async () => {
      const storage = await openStorage({ databaseUrl: url, dataDir: '/nonexistent/unused', schema: suiteSchema });
      try {
        expect(storage.kind).toBe('postgres');
        await storage.ping();
      } finally {
        await storage.close();
      }
    });

    it('a connection killed mid-transaction is StorageUnavailableError; the pool recovers', async () => {
      const db = openPgQueryable({ databaseUrl: url, schema: suiteSchema, max: 1 });
      try {
        const err = await db.transaction((tx) => tx.query('SELECT pg_terminate_backend(pg_backend_pid())')).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(StorageUnavailableError);
        await expect(db.query('SELECT 1 AS one')).resolves.toMatchObject({ rows: [{ one: 1 }] });
      } finally {
        await db.close();
      }
    });

    it('statement timeout is StorageUnavailableError', async () => {
      const db = openPgQueryable({ databaseUrl: url, schema: suiteSchema, statementTimeoutMillis: 50 });
      try {
        await expect(db.query('SELECT pg_sleep(1)')).rejects.toBeInstanceOf(StorageUnavailableError);
      } finally {
        await db.close();
      }
    });

    it('rejects a schema name that is not a plain identifier', () => {
      expect(() => openPgStorage({ databaseUrl: url, schema: 'x"; DROP TABLE runs; --' })).toThrow(/invalid schema/);
    });
  });
});

// Needs no server: a closed port.
describe('Postgres unreachable', () => {
  it('the shared server probe reports why a closed port does not answer', async () => {
    const port = await closedPort();
    expect(await probePostgres(`postgres://postgres@127.0.0.1:${port}/test`, 2_000)).toMatch(/ECONNREFUSED/);
  });

  it('every call rejects with StorageUnavailableError (connection refused)', async () => {
    const port = await closedPort();
    const storage = openPgStorage({ databaseUrl: `postgres://postgres@127.0.0.1:${port}/test`, connectionTimeoutMillis: 2_000 });
    try {
      await expect(storage.ping()).rejects.toBeInstanceOf(StorageUnavailableError);
      await expect(storage.migrate()).rejects.toBeInstanceOf(StorageUnavailableError);
      const { spans } = smallRun();
      const err = await storage.writeSpans(batchOf(newCustomer(), spans)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StorageUnavailableError);
      expect((err as Error).message).toMatch(/Postgres unavailable/);
      await expect(storage.getRun(newCustomer(), newRunId())).rejects.toBeInstanceOf(StorageUnavailableError);
    } finally {
      await storage.close();
    }
  });

  it('openStorage with an unreachable server rejects with StorageUnavailableError', async () => {
    const port = await closedPort();
    await expect(openStorage({ databaseUrl: `postgres://postgres@127.0.0.1:${port}/test`, dataDir: 'memory://' })).rejects.toBeInstanceOf(
      StorageUnavailableError,
    );
  });

  it('a connect timeout is StorageUnavailableError', async () => {
    // A listener that accepts TCP but never speaks the protocol.
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const storage = openPgStorage({ databaseUrl: `postgres://postgres@127.0.0.1:${port}/test`, connectionTimeoutMillis: 300 });
    try {
      await expect(storage.ping()).rejects.toBeInstanceOf(StorageUnavailableError);
    } finally {
      await storage.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
