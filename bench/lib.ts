import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));

export const quick = process.argv.includes('--quick');

export function percentile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function machine() {
  return { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version };
}

// Every child a benchmark starts is registered here and killed if the run is interrupted or fails, so no receiver,
// load generator or baseline server outlives `npm run bench`.
const children = new Set<ChildProcess>();
function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}
export function killChildren(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}
process.once('exit', killChildren);

// Async clean-ups (dropping a benchmark schema) that must also run when the run is interrupted.
const cleanups = new Set<() => Promise<unknown>>();
/** Registers an async clean-up for an interrupted run; returns the function that unregisters it. */
export function onInterrupt(fn: () => Promise<unknown>): () => void {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    killChildren();
    const all = Promise.allSettled([...cleanups].map((f) => f()));
    void Promise.race([all, new Promise((r) => setTimeout(r, 5000))]).then(() => process.exit(130));
  });
}

/** Sends SIGTERM and waits for the exit (SIGKILL after `graceMs`); resolves at once when it has already exited. */
export function stopChild(child: ChildProcess, graceMs = 20_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export interface ReceiverProcess {
  url: string;
  child: ChildProcess;
  stop: () => Promise<void>;
}

/**
 * Starts the built receiver (dist/) in its own process, as users run it, and waits for /health. Its PGlite data
 * directory (a fresh temp dir unless DUNETRACE_DATA_DIR is given) is removed by stop().
 */
export async function startReceiverProcess(env: Record<string, string>, nodeArgs: string[] = []): Promise<ReceiverProcess> {
  const port = 30000 + Math.floor(Math.random() * 20000);
  const ownDir = env.DUNETRACE_DATA_DIR ? null : mkdtempSync(path.join(tmpdir(), 'dt-bench-'));
  const child = track(
    spawn(process.execPath, [...nodeArgs, path.join(ROOT, 'bin/dunetrace.js'), 'receiver'], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), DUNETRACE_GRPC_PORT: 'off', LOG_LEVEL: 'warn', ...(ownDir ? { DUNETRACE_DATA_DIR: ownDir } : {}), ...env },
      stdio: ['ignore', 'inherit', 'inherit'],
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const removeDir = async () => {
    if (ownDir) rmSync(ownDir, { recursive: true, force: true });
  };
  const forget = onInterrupt(removeDir);
  const stop = async () => {
    await stopChild(child);
    forget();
    await removeDir();
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error('receiver exited during start');
    }
    if ((await fetch(`${url}/health`).catch(() => null))?.status === 200) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error('receiver did not become healthy');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, child, stop };
}

/** GET /health of a running receiver. */
export async function health(url: string): Promise<{ open_runs: number; spans: { accepted: number; duplicate: number; rejected: number } }> {
  return (await (await fetch(`${url}/health`)).json()) as never;
}

/** Waits until the receiver has completed every run (open_runs 0), then a little more for completions in flight. */
export async function settle(url: string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const h = await health(url).catch(() => null);
    if (h && h.open_runs === 0) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  await new Promise((r) => setTimeout(r, 500));
}

/**
 * Runs a TypeScript module of bench/ in a fresh Node process (tsx loader) and returns the JSON it prints on its
 * `RESULT ` line. stderr passes through.
 */
export function runTsChild<T>(script: string, args: string[], opts: { nodeArgs?: string[]; env?: Record<string, string> } = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = track(
      spawn(process.execPath, [...(opts.nodeArgs ?? []), '--import', 'tsx', path.join(ROOT, 'bench', script), ...args], {
        cwd: ROOT,
        env: { ...process.env, ...opts.env },
        stdio: ['ignore', 'pipe', 'inherit'],
      }),
    );
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code === 0 && line) resolve(JSON.parse(line.slice(7)) as T);
      else reject(new Error(`bench/${script} exited with ${code}${line ? '' : ' without a RESULT line'}:\n${out.slice(-2000)}`));
    });
  });
}

/** Runs a bench script as its own `tsx` program (as `npm run bench:x` would), passing its output through. */
export function runTsProgram(script: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = track(
      spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench', script), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] }),
    );
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      process.stdout.write(d);
    });
    child.once('exit', (code) => resolve({ code: code ?? 1, output: out }));
  });
}

/** The bare HTTP baseline server (bench/bare-server.ts) in its own process. */
export async function startBareServer(): Promise<{ url: string; child: ChildProcess; stop: () => Promise<void> }> {
  const child = track(
    spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/bare-server.ts')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] }),
  );
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /LISTENING (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`bare server exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, child, stop: () => stopChild(child) };
}

/** Resident set size of a process, from /proc (Linux). */
export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

export const mb = (bytes: number) => bytes / (1024 * 1024);

/** Formats a number for the tables: integers with thousands separators, small values with 2–3 significant digits. */
export function fmt(n: number | null | undefined, digits = 0): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return 'n/a';
  if (digits === 0 && Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  return n.toFixed(digits || (Math.abs(n) >= 10 ? 1 : 2));
}

export const ratio = (a: number, b: number) => (b > 0 && Number.isFinite(a) ? a / b : NaN);
export const verdict = (met: boolean | null) => (met === null ? 'n/a' : met ? 'met' : 'NOT met');

export function table(head: string[], rows: (string | number)[][]): string {
  const cells = rows.map((r) => r.map(String));
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(w[i])).join(' | ')} |`;
  return [line(head), `|${w.map((n) => '-'.repeat(n + 2)).join('|')}|`, ...cells.map(line)].join('\n');
}
