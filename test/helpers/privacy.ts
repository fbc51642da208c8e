import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { decodeBody } from '../../src/storage/codec.js';
import { openStorage } from '../../src/storage/index.js';

function* files(dir: string): Generator<string> {
  for (const e of readdirSync(dir)) {
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) yield* files(p);
    else yield p;
  }
}

const contains = (text: string | Buffer, needle: string | RegExp) =>
  typeof needle === 'string' ? text.includes(needle) : needle.test(typeof text === 'string' ? text : text.toString('latin1'));

/**
 * After a receiver stopped: no row of any table (every column, as JSON) and no byte of its embedded database directory
 * (heap files, WAL, …) holds the canary. Returns how many rows and bytes were looked at, so a caller can check the
 * sweep saw something.
 */
export async function expectNoCanaryAtRest(dataDir: string, canary: string | RegExp): Promise<{ rows: number; bytes: number }> {
  let rows = 0;
  const storage = await openStorage({ dataDir });
  try {
    const tables = (
      await storage.driver.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`,
      )
    ).rows.map((r) => r.table_name);
    // Spans carry their events packed in a binary body (src/storage/codec.ts): swept decoded, as JSON, too.
    expect(tables).toEqual(expect.arrayContaining(['runs', 'spans', 'signals']));
    for (const t of tables) {
      const dump = (await storage.driver.query<{ j: string }>(`SELECT row_to_json(x)::text AS j FROM "${t}" x`)).rows;
      rows += dump.length;
      for (const { j } of dump) expect(contains(j, canary), `table ${t}`).toBe(false);
      if (t !== 'spans') continue;
      // Names in bodies may be dictionary references (the strings table, swept above as a table too).
      const names = new Map(
        (await storage.driver.query<{ id: number; value: string }>('SELECT id, value FROM strings')).rows.map((r) => [Number(r.id), r.value]),
      );
      const bodies = (await storage.driver.query<{ body: Uint8Array }>('SELECT body FROM spans')).rows;
      for (const { body } of bodies) {
        const decoded = decodeBody(body, { strings: { value: (id) => names.get(id) } });
        expect(contains(JSON.stringify(decoded), canary), 'a span body').toBe(false);
      }
    }
  } finally {
    await storage.close();
  }
  let bytes = 0;
  for (const f of files(dataDir)) {
    const b = readFileSync(f);
    bytes += b.length;
    expect(contains(b, canary), f).toBe(false);
  }
  return { rows, bytes };
}
