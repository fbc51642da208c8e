import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * How the CLI finds the receiver running on this machine: the receiver writes `<dataDir>/receiver.json` (pid, url, a
 * random admin token, mode 0600) while it runs, and `dunetrace keys …` sends its requests to the loopback-only /admin
 * routes with that token. The CLI never opens the database itself (PGlite is single-process, and one writer keeps
 * key changes and the receiver's key cache in one place).
 */
export interface AdminHandle {
  pid: number;
  url: string;
  token: string;
}

export const adminFile = (dataDir: string) => path.join(dataDir, 'receiver.json');

export async function writeAdminHandle(dataDir: string, handle: AdminHandle): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  await writeFile(adminFile(dataDir), JSON.stringify(handle), { mode: 0o600 });
}

export async function removeAdminHandle(dataDir: string, pid: number): Promise<void> {
  const h = await readAdminHandle(dataDir);
  if (h && h.pid === pid) await rm(adminFile(dataDir), { force: true });
}

/** The handle of a live receiver on this data dir, or null (none, or a stale file left by a killed process). */
export async function readAdminHandle(dataDir: string): Promise<AdminHandle | null> {
  try {
    const h = JSON.parse(await readFile(adminFile(dataDir), 'utf8')) as AdminHandle;
    process.kill(h.pid, 0);
    return h;
  } catch {
    return null;
  }
}
