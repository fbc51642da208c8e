import { readFileSync } from 'node:fs';
import { createReceiver, type Receiver, type ReceiverDeps } from '../../src/receiver/app.js';
import { loadConfig, type ReceiverConfig } from '../../src/receiver/config.js';
import { freshDataDir } from './pglite-template.js';

// Copies of ../shared/fixtures/emitter-captures, so a clone alone runs the suite.
export const CAPTURES = new URL('../fixtures/emitter-captures/', import.meta.url);
export const capture = (name: 'traceloop-python' | 'otel-contrib-python' | 'openlit-python') => readFileSync(new URL(`${name}.json`, CAPTURES), 'utf8');

export function testConfig(env: Record<string, string> = {}): ReceiverConfig {
  return loadConfig({ PORT: '0', DUNETRACE_DATA_DIR: 'memory://', LOG_LEVEL: 'silent', DUNETRACE_RUN_GRACE_MS: '50', ...env });
}

export interface Running {
  receiver: Receiver;
  url: string;
  close(): Promise<void>;
}

/**
 * A real receiver listening on an ephemeral loopback port (real HTTP). Unless `env` or `deps` name a database, its
 * own embedded PGlite, started from the run's migrated template (pglite-template.ts) and deleted on close().
 */
export async function startReceiver(env: Record<string, string> = {}, deps: ReceiverDeps = {}): Promise<Running> {
  const data = env.DUNETRACE_DATA_DIR || env.DATABASE_URL || deps.storage ? null : await freshDataDir();
  const receiver = await createReceiver(testConfig(data ? { ...env, DUNETRACE_DATA_DIR: data.dir } : env), deps);
  await receiver.app.listen({ host: '127.0.0.1', port: 0 });
  await receiver.ready;
  const { port } = receiver.app.server.address() as { port: number };
  return { receiver, url: `http://127.0.0.1:${port}`, close: () => receiver.close().finally(() => data?.remove()) };
}

/**
 * Collects what the receiver logs at `levels` (one JSON line per call, message last) instead of printing it, so a test
 * can wait for "reloaded" rather than sleep. Needs a LOG_LEVEL that lets those levels through (a logger, not silent).
 */
export function captureLog(receiver: Receiver, levels: ('info' | 'warn' | 'error')[]): { lines: string[] } {
  const lines: string[] = [];
  const log = receiver.app.log as unknown as Record<string, unknown>;
  for (const level of levels) {
    log[level] = (obj: unknown, msg?: string) => {
      lines.push(`${level} ${JSON.stringify(obj)} ${msg ?? ''}`);
    };
  }
  return { lines };
}

export const DEV_KEY = 'dt_dev_test';
export const devHeaders = (contentType = 'application/json') => ({ 'content-type': contentType, authorization: `Bearer ${DEV_KEY}` });

/** Polls until fn returns a truthy value (runs complete asynchronously after their grace period). */
export async function waitFor<T>(fn: () => Promise<T | null | undefined | false>, timeoutMs = 5000, stepMs = 25): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`waitFor: condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export async function getRun(url: string, runId: string, key = DEV_KEY) {
  const res = await fetch(`${url}/v1/runs/${runId}`, { headers: { authorization: `Bearer ${key}` } });
  return { status: res.status, body: (await res.json()) as any };
}

export const waitForClosedRun = (url: string, runId: string, key = DEV_KEY) =>
  waitFor(async () => {
    const r = await getRun(url, runId, key);
    return r.status === 200 && r.body.status !== 'open' ? r.body : null;
  });
