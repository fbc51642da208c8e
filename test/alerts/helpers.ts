import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { AlertLogger, Severity, StoredSignal, Explanation } from '../../src/alerts/index.js';

// The endpoints and the waiting helpers are the outside world: they run on real time even while a test fakes the
// dispatcher's timers (vi.useFakeTimers replaces the globals; these references are taken before any test runs).
export const realSetTimeout = globalThis.setTimeout;
export const realClearTimeout = globalThis.clearTimeout;

export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** How the fake endpoint answers one request: a status (+ body/headers, optional delay), or never ('hang'). */
export type Reply = { status: number; body?: string; headers?: Record<string, string>; delayMs?: number } | 'hang';

export interface TestServer {
  /** Base URL, e.g. http://127.0.0.1:PORT */
  origin: string;
  received: Received[];
  /** Statuses actually written back, in order. */
  replied: number[];
  setResponder(fn: (req: Received, index: number) => Reply): void;
  /** Resolves once `n` requests arrived (rejects after timeoutMs). */
  waitFor(n: number, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

/** Slack's incoming webhook answers 200 with the text body "ok". */
export const slackOk = (): Reply => ({ status: 200, body: 'ok', headers: { 'content-type': 'text/html' } });
export const webhookOk = (): Reply => ({ status: 204 });

export async function startServer(responder: (req: Received, index: number) => Reply = slackOk): Promise<TestServer> {
  let respond = responder;
  const received: Received[] = [];
  const replied: number[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const hanging = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: performance.now(),
      };
      const index = received.push(r) - 1;
      for (const w of waiters.splice(0)) {
        if (received.length >= w.n) w.resolve();
        else waiters.push(w);
      }
      const reply = respond(r, index);
      if (reply === 'hang') {
        hanging.add(res);
        return;
      }
      const write = () => {
        replied.push(reply.status);
        res.writeHead(reply.status, reply.headers ?? {});
        res.end(reply.body ?? '');
      };
      if (reply.delayMs) realSetTimeout(write, reply.delayMs);
      else write();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    received,
    replied,
    setResponder: (fn) => {
      respond = fn;
    },
    waitFor(n, timeoutMs = 5_000) {
      if (received.length >= n) return Promise.resolve(received);
      return new Promise((resolve, reject) => {
        const timer = realSetTimeout(() => reject(new Error(`expected ${n} requests, got ${received.length}`)), timeoutMs);
        waiters.push({
          n,
          resolve: () => {
            realClearTimeout(timer);
            resolve(received);
          },
        });
      });
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let nextId = 1;

export function makeSignal(overrides: Partial<StoredSignal> = {}): StoredSignal {
  return {
    id: nextId++,
    customer_id: 'cust-1',
    run_id: randomBytes(16).toString('hex'),
    agent_id: 'support-bot',
    agent_version: 'a1b2c3d4',
    failure_type: 'TOOL_LOOP',
    severity: 'HIGH',
    confidence: 0.87,
    step_index: 7,
    evidence: { tool: 'web_search', count: 5, window: 5, input_hash: 'sha256:9f86d081884c7d65' },
    shadow: false,
    detected_live: true,
    detected_at: new Date('2026-01-02T03:04:05.678Z'),
    ...overrides,
  };
}

export function signalsOf(n: number, overrides: Partial<StoredSignal> = {}): StoredSignal[] {
  return Array.from({ length: n }, () => makeSignal(overrides));
}

const ev = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '?');

/** A deterministic stand-in for the explainer (templates only, no content). */
export function explain(s: StoredSignal): Explanation {
  return {
    title: `Tool loop: ${s.failure_type}`,
    what: `The agent called the same tool ${ev(s.evidence.count)} times in a row.`,
    why_it_matters: 'Loops burn tokens & time without progress <for the user>.',
    evidence_summary: `tool=${ev(s.evidence.tool)} count=${ev(s.evidence.count)}`,
    suggested_fixes: [
      { description: 'Cap repeated tool calls per run.', language: 'python', code: 'if calls[tool] > 3:\n    break' },
      { description: 'Second fix (not shown in Slack).' },
    ],
  };
}

export interface LogLine {
  level: 'error' | 'warn' | 'info';
  obj: object;
  msg: string;
}

export function memoryLogger(): AlertLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  return {
    lines,
    error: (obj, msg) => lines.push({ level: 'error', obj, msg }),
    warn: (obj, msg) => lines.push({ level: 'warn', obj, msg }),
    info: (obj, msg) => lines.push({ level: 'info', obj, msg }),
  };
}

export const SEVERITIES: Severity[] = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];

/** Real time, also under fake timers. */
export const sleep = (ms: number) => new Promise((r) => realSetTimeout(r, ms));

/** Polls `fn` until it returns true (real time, also under fake timers; for background sends). */
export async function until(fn: () => boolean | Promise<boolean>, timeoutMs = 5_000, stepMs = 10): Promise<void> {
  const end = performance.now() + timeoutMs; // not Date.now(): a test may fake Date
  while (!(await fn())) {
    if (performance.now() > end) throw new Error('condition not met in time');
    await sleep(stepMs);
  }
}
