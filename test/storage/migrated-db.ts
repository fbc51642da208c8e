import { afterAll, beforeAll } from 'vitest';
import type { Queryable } from '../../src/storage/driver.js';
import { SqlStorage } from '../../src/storage/sql-storage.js';

/** A database opened and migrated before the tests of the enclosing describe block and closed after them. */
export function migratedDatabase(open: () => Promise<Queryable>): () => Queryable {
  let db: Queryable | undefined;
  beforeAll(async () => {
    db = await open();
    await new SqlStorage(db).migrate();
  });
  afterAll(async () => {
    await db?.close();
  });
  return () => {
    if (db === undefined) throw new Error('the database is opened in beforeAll');
    return db;
  };
}
