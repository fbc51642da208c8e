import { mkdtempSync, readdirSync, rmSync, statfsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { alive, RUN_PREFIX, TEMPLATE_PREFIX } from './scratch.js';

/**
 * One scratch directory per `vitest run`, handed to the workers (inject('scratchDir')): the data directories copied
 * from the PGlite template (pglite-template.ts) live there, and it is removed when the run ends, whatever the tests
 * left behind. The template sits next to it and outlives the run. On tmpfs when /dev/shm has room (copies and
 * PGlite's writes then never touch a disk). Leftovers are pruned here: scratch directories and template builds of
 * runs killed before their teardown, and templates no run used for a week.
 */
export default function setup(project: TestProject): () => void {
  const root = scratchRoot();
  prune(root);
  const dir = mkdtempSync(path.join(root, `${RUN_PREFIX}${process.pid}-`));
  project.provide('scratchDir', dir);
  return () => rmSync(dir, { recursive: true, force: true });
}

const WEEK_MS = 7 * 24 * 3_600_000;

function prune(root: string): void {
  const owned = new RegExp(`^${RUN_PREFIX}(\\d+)-|^${TEMPLATE_PREFIX}.*\\.building-(\\d+)$`);
  for (const name of readdirSync(root)) {
    const p = path.join(root, name);
    const owner = owned.exec(name);
    if (owner) {
      if (!alive(Number(owner[1] ?? owner[2]))) rmSync(p, { recursive: true, force: true });
    } else if (name.startsWith(TEMPLATE_PREFIX) && !name.endsWith('.lock') && Date.now() - statSync(p).mtimeMs > WEEK_MS) {
      rmSync(p, { recursive: true, force: true });
    }
  }
}

function scratchRoot(): string {
  try {
    const s = statfsSync('/dev/shm');
    if (s.bavail * s.bsize > 2 * 1024 ** 3) return '/dev/shm'; // a container's 64 MB /dev/shm would not hold a copy
  } catch {
    /* no /dev/shm */
  }
  return tmpdir();
}

declare module 'vitest' {
  export interface ProvidedContext {
    scratchDir: string;
  }
}
