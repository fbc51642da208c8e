import { mkdtempSync, readdirSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

/**
 * One scratch directory per `vitest run`, handed to the workers (inject('scratchDir')): the PGlite template and every
 * data directory copied from it live there (see pglite-template.ts), and it is removed when the run ends, whatever
 * the tests left behind (a run killed before its teardown is cleaned up by the next one). On tmpfs when /dev/shm has
 * room (copies and PGlite's writes then never touch a disk).
 */
export default function setup(project: TestProject): () => void {
  const root = scratchRoot();
  removeAbandoned(root);
  const dir = mkdtempSync(path.join(root, `${PREFIX}${process.pid}-`));
  project.provide('scratchDir', dir);
  return () => rmSync(dir, { recursive: true, force: true });
}

const PREFIX = 'dunetrace-test-';

/** Scratch directories of runs that were killed before their teardown (their process is gone). */
function removeAbandoned(root: string): void {
  for (const name of readdirSync(root)) {
    const pid = Number(new RegExp(`^${PREFIX}(\\d+)-`).exec(name)?.[1]);
    if (!pid || alive(pid)) continue;
    rmSync(path.join(root, name), { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
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
