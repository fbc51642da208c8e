import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { cp } from 'node:fs/promises';
import path from 'node:path';
import { inject } from 'vitest';
import { RECEIVER_MIGRATIONS } from '../../src/receiver/app.js';
import { openStorage } from '../../src/storage/index.js';
import { alive, TEMPLATE_PREFIX } from './scratch.js';

/**
 * Embedded-database data directories for tests, copied from a template. A new PGlite database runs initdb inside
 * WASM (2–6 s on a 2-core machine); opening a copy of an initialised, migrated one takes about 0.4 s and is exactly
 * what a receiver restarting on its data directory does. A fresh-install start (initdb + every migration) stays
 * covered by the storage suites and by the receiver process that starts on an empty directory (durability.test.ts).
 *
 * The template is named by what it contains (the receiver's migrations and the PGlite version), so it is built once
 * per machine and reused by later runs until a migration or PGlite changes; global-setup.ts prunes unused ones. The
 * copies live in the run's scratch directory, removed when the run ends.
 */
const scratch = () => inject('scratchDir');

const pgliteVersion = (): string =>
  (JSON.parse(readFileSync(new URL('../../node_modules/@electric-sql/pglite/package.json', import.meta.url), 'utf8')) as { version: string }).version;

function templatePath(): string {
  const key = createHash('sha256')
    .update(JSON.stringify({ pglite: pgliteVersion(), migrations: RECEIVER_MIGRATIONS }))
    .digest('hex')
    .slice(0, 16);
  return path.join(path.dirname(scratch()), `${TEMPLATE_PREFIX}${key}`);
}

/** The migrated template directory, built on first use (one builder at a time; a dead builder's lock is taken over). */
async function template(): Promise<string> {
  const dir = templatePath();
  const lock = `${dir}.lock`;
  for (const end = Date.now() + 180_000; ;) {
    if (existsSync(dir)) {
      const now = new Date();
      utimesSync(dir, now, now); // in use: not pruned
      return dir;
    }
    if (tryLock(lock)) {
      try {
        if (!existsSync(dir)) await build(dir);
      } finally {
        rmSync(lock, { recursive: true, force: true });
      }
      continue;
    }
    if (Date.now() > end) throw new Error(`PGlite template ${dir} not built within 180 s (lock ${lock})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function tryLock(lock: string): boolean {
  try {
    mkdirSync(lock);
    writeFileSync(path.join(lock, 'pid'), String(process.pid));
    return true;
  } catch {
    const pid = Number(readFileSafe(path.join(lock, 'pid')));
    if (pid && !alive(pid)) rmSync(lock, { recursive: true, force: true }); // its builder died: retry next turn
    return false;
  }
}

async function build(dir: string): Promise<void> {
  const building = `${dir}.building-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  try {
    const storage = await openStorage({ dataDir: building, migrations: RECEIVER_MIGRATIONS });
    await storage.migrate();
    await storage.close();
    renameSync(building, dir); // atomic: others see a complete template or none
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
}

const readFileSafe = (f: string): string => {
  try {
    return readFileSync(f, 'utf8');
  } catch {
    return '';
  }
};

/** A new data directory holding an initialised, migrated, empty database; `remove()` deletes it. */
export async function freshDataDir(): Promise<{ dir: string; remove(): void }> {
  const src = await template();
  const dir = mkdtempSync(path.join(scratch(), 'data-'));
  await cp(src, dir, { recursive: true });
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
