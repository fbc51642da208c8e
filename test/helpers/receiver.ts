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

/** A fetch relative to a receiver: over a real socket, or in process through fastify's inject(). */
export type Fetch = (path: string, init?: RequestInit) => Promise<Response>;
/** How a helper reaches a receiver: its base URL (real HTTP) or its Fetch. */
export type Target = string | Fetch;
export const fetchOf = (target: Target): Fetch => (typeof target === 'string' ? (path, init) => fetch(`${target}${path}`, init) : target);

/** A receiver that tests reach through `fetch` (relative paths), without a socket. */
export interface InProcess {
  receiver: Receiver;
  fetch: Fetch;
  close(): Promise<void>;
}

/** A receiver listening on a real loopback port: `url` for clients that need a socket, `fetch` over it. */
export interface Running extends InProcess {
  url: string;
}

/**
 * A receiver that is not listening: requests go through fastify's inject() (the same routes, hooks and error
 * handling, no socket). Unless `env` or `deps` name a database, its own embedded PGlite, started from the run's
 * migrated template (pglite-template.ts) and deleted on close().
 */
export async function inProcessReceiver(env: Record<string, string> = {}, deps: ReceiverDeps = {}): Promise<InProcess> {
  const data = env.DUNETRACE_DATA_DIR || env.DATABASE_URL || deps.storage ? null : await freshDataDir();
  const receiver = await createReceiver(testConfig(data ? { ...env, DUNETRACE_DATA_DIR: data.dir } : env), deps);
  await receiver.ready;
  return { receiver, fetch: injectFetch(receiver), close: () => receiver.close().finally(() => data?.remove()) };
}

/** The same, listening on an ephemeral loopback port (real HTTP): for real clients, browsers, SSE and processes. */
export async function startReceiver(env: Record<string, string> = {}, deps: ReceiverDeps = {}): Promise<Running> {
  const r = await inProcessReceiver(env, deps);
  await r.receiver.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = r.receiver.app.server.address() as { port: number };
  const url = `http://127.0.0.1:${port}`;
  return { ...r, url, fetch: fetchOf(url) };
}

/** fetch() semantics over inject(): the request never touches a socket; the answer is a standard Response. */
export function injectFetch(receiver: Receiver): Fetch {
  return async (path, init = {}) => {
    const res = await receiver.app.inject({
      method: (init.method ?? 'GET') as 'GET',
      url: path,
      headers: Object.fromEntries(new Headers(init.headers).entries()),
      payload: init.body as string | Buffer | undefined,
    });
    const headers = new Headers();
    for (const [k, v] of Object.entries(res.headers)) {
      for (const x of Array.isArray(v) ? v : v === undefined ? [] : [v]) headers.append(k, String(x));
    }
    const noBody = [101, 204, 205, 304].includes(res.statusCode);
    return new Response(noBody ? null : res.rawPayload, { status: res.statusCode, headers });
  };
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

export async function getRun(target: Target, runId: string, key = DEV_KEY) {
  const res = await fetchOf(target)(`/v1/runs/${runId}`, { headers: { authorization: `Bearer ${key}` } });
  return { status: res.status, body: (await res.json()) as any };
}

export const waitForClosedRun = (target: Target, runId: string, key = DEV_KEY) =>
  waitFor(async () => {
    const r = await getRun(target, runId, key);
    return r.status === 200 && r.body.status !== 'open' ? r.body : null;
  });
