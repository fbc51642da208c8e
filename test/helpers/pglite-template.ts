import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { cp } from 'node:fs/promises';
import path from 'node:path';
import { inject } from 'vitest';
import { RECEIVER_MIGRATIONS } from '../../src/receiver/app.js';
import { openStorage } from '../../src/storage/index.js';

/**
 * Embedded-database data directories for tests, copied from one template per test run. A new PGlite database runs
 * initdb inside WASM (2–6 s on this machine); opening a copy of an initialised, migrated one takes about 0.4 s and is
 * exactly what a receiver restarting on its data directory does. The first caller in the run builds the template
 * (a lock directory keeps the workers from building it twice); everything lives in the run's scratch directory,
 * which global-setup.ts removes when the run ends. A fresh-install start (initdb + every migration) is still covered
 * by the storage suites and by the receiver processes that start on an empty directory (durability.test.ts).
 */
const scratch = () => inject('scratchDir');

/** The migrated template directory of this run, built on first use. */
async function template(): Promise<string> {
  const dir = path.join(scratch(), 'template');
  if (existsSync(dir)) return dir;
  const lock = `${dir}.lock`;
  let builder = true;
  try {
    mkdirSync(lock);
  } catch {
    builder = false;
  }
  if (builder) {
    const building = `${dir}.building`;
    try {
      const storage = await openStorage({ dataDir: building, migrations: RECEIVER_MIGRATIONS });
      await storage.migrate();
      await storage.close();
      renameSync(building, dir); // atomic: a waiting worker sees a complete template or none
    } catch (err) {
      rmSync(building, { recursive: true, force: true });
      rmSync(lock, { recursive: true, force: true }); // let the next caller try again
      throw err;
    }
    return dir;
  }
  for (const end = Date.now() + 120_000; !existsSync(dir);) {
    if (!existsSync(lock)) return template(); // the builder failed: build it here
    if (Date.now() > end) throw new Error(`PGlite template ${dir} not built within 120 s`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return dir;
}

/** A new data directory holding an initialised, migrated, empty database; `remove()` deletes it. */
export async function freshDataDir(): Promise<{ dir: string; remove(): void }> {
  const src = await template();
  const dir = mkdtempSync(path.join(scratch(), 'data-'));
  await cp(src, dir, { recursive: true });
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
