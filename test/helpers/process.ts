import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readAdminHandle, type AdminHandle } from '../../src/receiver/admin-handle.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENTRY = fileURLToPath(new URL('./cli-entry.ts', import.meta.url));

export interface Proc {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Runs `dunetrace <args>` from source in a child process, capturing stdout+stderr. */
export function spawnCli(args: string[], env: Record<string, string>): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, ...args], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

/** Runs a CLI command to completion. */
export async function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let output = '';
  child.stdout.on('data', (d) => ((stdout += d), (output += d)));
  child.stderr.on('data', (d) => (output += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, stdout, output };
}

/**
 * Starts `dunetrace receiver` on a port the OS picks (PORT=0) and waits for /health 200. It finds the port through
 * the admin handle the receiver writes in its data directory (the file `dunetrace keys` reads), so `env` must name a
 * data directory, not memory://.
 */
export async function startReceiverProcess(env: Record<string, string>): Promise<Proc & { url: string }> {
  const dataDir = env.DUNETRACE_DATA_DIR;
  if (!dataDir || dataDir.startsWith('memory://')) throw new Error('startReceiverProcess: DUNETRACE_DATA_DIR must be a directory');
  // gRPC off unless a test asks for it: parallel receivers would all want 4317.
  const p = spawnCli(['receiver'], { PORT: '0', DUNETRACE_GRPC_PORT: 'off', ...env });
  const deadline = Date.now() + 60_000;
  let url: string | null = null;
  for (;;) {
    if (p.child.exitCode !== null) throw new Error(`receiver exited early:\n${p.output()}`);
    // The handle of this process (a SIGKILLed predecessor's may still be there).
    const handle: AdminHandle | null = url ? null : await readAdminHandle(dataDir);
    if (handle && handle.pid === p.child.pid) url = handle.url;
    if (url) {
      const res = await fetch(`${url}/health`).catch(() => null);
      if (res?.status === 200) break;
    }
    if (Date.now() > deadline) {
      p.child.kill('SIGKILL');
      throw new Error(`receiver did not become healthy:\n${p.output()}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return { ...p, url };
}
