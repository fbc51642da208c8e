import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

/**
 * One scratch directory per `vitest run`, handed to the workers (inject('scratchDir')): the PGlite template and every
 * data directory copied from it live there (see pglite-template.ts), and it is removed when the run ends, whatever
 * the tests left behind. On tmpfs when /dev/shm has room (copies and PGlite's writes then never touch a disk).
 */
export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(path.join(scratchRoot(), 'dunetrace-test-'));
  project.provide('scratchDir', dir);
  return () => rmSync(dir, { recursive: true, force: true });
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
