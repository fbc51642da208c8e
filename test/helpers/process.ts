import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

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

/** Starts `dunetrace receiver` on a free port and waits for /health 200. */
export async function startReceiverProcess(env: Record<string, string>): Promise<Proc & { url: string }> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  // gRPC off unless a test asks for it: parallel receivers would all want 4317.
  const p = spawnCli(['receiver'], { PORT: String(port), DUNETRACE_GRPC_PORT: 'off', ...env });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (p.child.exitCode !== null) throw new Error(`receiver exited early:\n${p.output()}`);
    try {
      const res = await fetch(`${url}/health`);
      if (res.status === 200) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      p.child.kill('SIGKILL');
      throw new Error(`receiver did not become healthy:\n${p.output()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { ...p, url };
}
