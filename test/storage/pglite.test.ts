import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openStorage } from '../../src/storage/index.js';
import { MIGRATIONS, runMigrations } from '../../src/storage/migrations.js';
import { openPGliteQueryable, openPGliteStorage } from '../../src/storage/pglite.js';
import { StorageUnavailableError } from '../../src/storage/types.js';
import { batchOf, bySpanId, newCustomer, newRunId, smallRun } from './fixtures.js';
import { retentionSuite } from './retention-suite.js';
import { storageContractSuite } from './suite.js';
import { stringDictionarySuite } from './strings-suite.js';
import { factRefsSuite } from './fact-refs-suite.js';
import { spanRowSuite } from './span-row-suite.js';

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dt-pglite-'));
  tempDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

storageContractSuite('PGlite in memory', () => openPGliteStorage({ dataDir: 'memory://' }));
// A fresh directory per instance (a nested one, to check parents are created).
storageContractSuite('PGlite on disk', () => openPGliteStorage({ dataDir: join(tempDir(), 'nested', 'data') }));
retentionSuite('PGlite', (options) => openPGliteStorage({ dataDir: 'memory://', ...options }));
stringDictionarySuite('PGlite', () => openPGliteQueryable({ dataDir: 'memory://' }));
factRefsSuite('PGlite', () => openPGliteQueryable({ dataDir: 'memory://' }));
spanRowSuite('PGlite', () => openPGliteQueryable({ dataDir: 'memory://' }));

describe('PGlite data directory', () => {
  it('keeps data across close and reopen; migrate on reopen applies nothing', async () => {
    const dir = tempDir();
    const customer = newCustomer();
    const { runId, spans } = smallRun();

    const first = await openPGliteStorage({ dataDir: dir });
    await first.migrate();
    await first.writeSpans(batchOf(customer, spans));
    await first.createApiKey({ key_hash: 'a'.repeat(64), key_prefix: 'dt_live_aaaa', agent_id: null, customer_id: customer });
    await first.close();

    const second = await openPGliteStorage({ dataDir: dir });
    try {
      expect(await second.migrateWithResult()).toMatchObject({ applied: [] });
      const stored = await second.loadRunSpans(customer, runId);
      expect(stored.sort(bySpanId).map((s) => s.span)).toEqual([...spans].sort((a, b) => (a.span_id < b.span_id ? -1 : 1)));
      expect((await second.getRun(customer, runId))?.span_count).toBe(3);
      expect((await second.findApiKey('a'.repeat(64)))?.customer_id).toBe(customer);
    } finally {
      await second.close();
    }
  });

  it('a new data directory is created in a child process: the opening process does not keep initdb’s WASM heap', async () => {
    // The same process opening a new directory itself idled at ~820 MB RSS, one opening an existing directory at ~320 MB.
    const dir = join(tempDir(), 'fresh');
    const code = `const { openPGliteStorage } = await import(${JSON.stringify(new URL('../../src/storage/pglite.ts', import.meta.url).href)});
      const s = await openPGliteStorage({ dataDir: process.argv[1] }); await s.migrate();
      console.log(JSON.stringify({ rss: process.memoryUsage().rss })); await s.close();`;
    const { stdout: out } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code, dir], { timeout: 60_000 });
    expect(existsSync(join(dir, 'PG_VERSION'))).toBe(true);
    expect((JSON.parse(out.trim()) as { rss: number }).rss).toBeLessThan(600 * 1024 * 1024);
  });

  it('a write is durable once writeSpans resolves: survives SIGKILL right after', async () => {
    const dir = tempDir();
    const customer = newCustomer();
    const runId = newRunId();
    const child = fileURLToPath(new URL('./kill-after-write.child.ts', import.meta.url));
    const { stdout, signal } = await new Promise<{ stdout: string; signal: NodeJS.Signals | null }>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', child, dir, customer, runId], { timeout: 60_000 }, (err, out) =>
        resolve({ stdout: out, signal: (err as { signal?: NodeJS.Signals } | null)?.signal ?? null }),
      );
    });
    expect(signal).toBe('SIGKILL');
    const reported = JSON.parse(stdout.trim()) as { inserted: number; span_ids: string[] };
    expect(reported.inserted).toBe(3);

    const reopened = await openPGliteStorage({ dataDir: dir });
    try {
      const stored = await reopened.loadRunSpans(customer, runId);
      expect(stored.map((s) => s.span.span_id).sort()).toEqual([...reported.span_ids].sort());
      expect(stored.reduce((n, s) => n + s.span.events.length, 0)).toBe(5); // llm 2 + tool 3
      expect((await reopened.getRun(customer, runId))?.span_count).toBe(3);
    } finally {
      await reopened.close();
    }
  }, 90_000);
});

describe('openStorage without databaseUrl', () => {
  it('opens PGlite; a closed PGlite reports StorageUnavailableError', async () => {
    const storage = await openStorage({ dataDir: 'memory://', databaseUrl: '  ' });
    expect(storage.kind).toBe('pglite');
    await storage.migrate();
    await storage.ping();
    await storage.close();
    await storage.close();
    await expect(storage.getRun(newCustomer(), newRunId())).rejects.toBeInstanceOf(StorageUnavailableError);
  });
});

describe('PGlite driver', () => {
  it('runs migrations by version, each atomically; maps "PGlite is closed" to StorageUnavailableError', async () => {
    const db = await openPGliteQueryable({ dataDir: 'memory://' });

    // Feature migrations appended later, including one numbered below an already-applied one.
    expect((await runMigrations(db)).applied).toEqual(MIGRATIONS.map((m) => m.version));
    const feature = { version: 100, name: 'feature', sql: 'CREATE TABLE feature_x (id INT); CREATE INDEX ON feature_x (id);' };
    expect(await runMigrations(db, { migrations: [...MIGRATIONS, feature] })).toEqual({ applied: [100], current: 100 });
    const late = { version: 50, name: 'late core', sql: 'CREATE TABLE core_y (id INT)' };
    expect(await runMigrations(db, { migrations: [feature, ...MIGRATIONS, late] })).toEqual({ applied: [50], current: 100 });
    expect((await runMigrations(db, { migrations: [...MIGRATIONS, late, feature] })).applied).toEqual([]);
    // A failing migration leaves nothing behind (its own transaction) and is retried next time.
    const broken = { version: 101, name: 'broken', sql: 'CREATE TABLE z (id INT); SELECT 1/0;' };
    await expect(runMigrations(db, { migrations: [...MIGRATIONS, broken] })).rejects.toMatchObject({ code: '22012' });
    expect((await db.query("SELECT to_regclass('z') AS t")).rows).toEqual([{ t: null }]);
    await expect(runMigrations(db, { migrations: [...MIGRATIONS, late, late] })).rejects.toThrow(/two migrations/);

    const sqlErr = await db.query('SELECT 1/0').catch((e: unknown) => e);
    expect(sqlErr).not.toBeInstanceOf(StorageUnavailableError);
    expect((sqlErr as { code?: string }).code).toBe('22012');
    const txErr = await db.transaction((tx) => tx.query('SELECT * FROM nope')).catch((e: unknown) => e);
    expect((txErr as { code?: string }).code).toBe('42P01');
    await db.close();
    await db.close();
    await expect(db.query('SELECT 1')).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(db.transaction((tx) => tx.query('SELECT 1'))).rejects.toBeInstanceOf(StorageUnavailableError);
  });
});
