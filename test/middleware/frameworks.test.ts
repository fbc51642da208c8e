import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLlmStub, type LlmStub } from '../../examples/llm-stub.js';
import { FRAMEWORKS, startApp, type App } from '../../examples/middleware-apps.js';
import { openaiToolAgent } from '../../examples/tool-agent.js';
import { createHasher } from '../../src/mapping/index.js';
import { Dunetrace, getCurrentRun } from '../../src/sdk/index.js';
import { recordingLogger } from '../sdk/helpers.js';
import { CLEAN_RUN_EVENTS, failureTypes, startPrivateReceiver, type ApiRun, type PrivateReceiver } from '../sdk/receiver-harness.js';

/**
 * The HTTP middleware with the real frameworks (express 5, fastify 5, hono 4 on @hono/node-server, and a plain
 * `(req) => Response` handler wrapped in withRun), serving real HTTP requests whose handlers run an agent on the real
 * `openai` client against the local stub, through a real receiver process: one run per request, getCurrentRun() in
 * the handler, a looping agent → TOOL_LOOP, a tool failing three times → RETRY_STORM, a clean run → no signal, a
 * handler error / 5xx → run.errored, a streamed response → the run ends with the stream. A canary in the request,
 * the model's messages, tool arguments and results, error messages and the streamed body never reaches the wire,
 * the API, the logs or the database.
 */
const CANARY = 'CANARY-mw-2b9d';
type Kind = 'loop' | 'retry' | 'clean';

let rx: PrivateReceiver;
let dt: Dunetrace;
const log = recordingLogger();
const stubs = {} as Record<Kind, LlmStub>;
const clients = {} as Record<Kind, OpenAI>;
const hasher = createHasher();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  rx = await startPrivateReceiver();
  [stubs.loop, stubs.retry, stubs.clean] = await Promise.all([startLlmStub({ loops: 5 }), startLlmStub({ loops: 3 }), startLlmStub({ loops: 1 })]);
  dt = new Dunetrace({ endpoint: rx.endpoint, apiKey: rx.key, tracerProvider: 'own', flushOnExit: false, logger: log.logger, env: {}, flushIntervalMs: 50 });
  for (const k of ['loop', 'retry', 'clean'] as const) clients[k] = dt.wrapOpenAI(new OpenAI({ apiKey: 'sk-stub', baseURL: stubs[k].baseURL, maxRetries: 0 }));
}, 120_000);

afterAll(async () => {
  await dt?.shutdown();
  await Promise.all(Object.values(stubs).map((s) => s.close()));
});

/** The application's agent, shared by every framework's route. */
async function ask(question: string, kind: string) {
  const search = dt.tool(async function search_docs({ query }: { query?: string }) {
    if (kind === 'retry') throw new Error(`search index down ${CANARY}-error`);
    return { hits: [`doc on ${query ?? ''}`] };
  });
  const out = await openaiToolAgent(clients[kind as Kind], question, { search_docs: search });
  return { answer: out.answer, toolCalls: out.toolCalls, runId: getCurrentRun()?.runId ?? null };
}

/** Streams three chunks, raising a signal before each: they are in the run only if it is still open. */
async function streamChunks(write: (s: string) => unknown): Promise<void> {
  write(`${getCurrentRun()?.runId ?? 'none'}\n`);
  for (let i = 0; i < 3; i++) {
    await sleep(20);
    getCurrentRun()?.externalSignal('chunk_sent', 'test', { i });
    write(`chunk ${i} ${CANARY}-stream\n`);
  }
}

const question = (kind: Kind) => `Please help (${kind}) ${CANARY}-input`;

const post = async (url: string, kind: Kind) => {
  const res = await fetch(`${url}/ask/${kind}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ question: question(kind) }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { answer: string; toolCalls: number; runId: string };
};

describe.each(FRAMEWORKS)('%s', (framework) => {
  let app: App;
  beforeAll(async () => {
    app = await startApp(
      framework,
      dt,
      { ask, stream: streamChunks, fail: () => new Error(`handler failed ${CANARY}-error`) },
      { model: 'gpt-4o-mini', tools: ['search_docs'] },
    );
  });
  afterAll(() => app?.close());

  it('one run per request: loop → TOOL_LOOP, failing tool ×3 → RETRY_STORM, clean → no signal; user input from the request', async () => {
    const [loop, retry, clean] = await Promise.all([post(app.url, 'loop'), post(app.url, 'retry'), post(app.url, 'clean')]);
    expect(new Set([loop.runId, retry.runId, clean.runId]).size).toBe(3);
    expect(clean.answer).toContain(CANARY);
    await dt.flush();
    const runs: Record<Kind, ApiRun> = { loop: await rx.run(loop.runId), retry: await rx.run(retry.runId), clean: await rx.run(clean.runId) };
    for (const k of ['loop', 'retry', 'clean'] as const) {
      expect(runs[k]).toMatchObject({ agent_id: `${framework}-agent`, status: 'completed', exit_reason: 'final_answer' });
      expect(runs[k].events[0].payload).toMatchObject({ input_hash: hasher.digest(question(k)), tools: ['search_docs'] });
    }
    expect(failureTypes(runs.loop)).toContain('TOOL_LOOP');
    expect(failureTypes(runs.retry)).toContain('RETRY_STORM');
    expect(runs.retry.signals.find((s) => s.failure_type === 'RETRY_STORM')?.evidence).toMatchObject({ tool: 'search_docs', consecutive_fails: 3 });
    expect(failureTypes(runs.clean)).toEqual([]);
    expect(runs.clean.events.map((e) => e.event_type)).toEqual(CLEAN_RUN_EVENTS);
  });

  it('a streamed response: the run stays open until the stream ends', async () => {
    const res = await fetch(`${app.url}/stream`);
    const text = await res.text();
    const runId = text.split('\n')[0];
    expect(runId).toMatch(/^[0-9a-f]{32}$/);
    expect(text).toContain('chunk 2');
    await dt.flush();
    const run = await rx.run(runId);
    expect(run).toMatchObject({ status: 'completed' });
    expect(run.events.filter((e) => e.event_type === 'external.signal').map((e) => e.payload.meta.i)).toEqual([0, 1, 2]);
  });

  it('a handler error / 5xx → run.errored', async () => {
    const res = await fetch(`${app.url}/boom`);
    expect(res.status).toBe(500);
    const { runId } = (await res.json()) as { runId: string };
    expect(runId).toMatch(/^[0-9a-f]{32}$/);
    await dt.flush();
    const run = await rx.run(runId);
    expect(run).toMatchObject({ status: 'errored', exit_reason: 'error' });
    expect(run.events.at(-1)?.event_type).toBe('run.errored');
  });
});

describe('privacy', () => {
  it('no canary reached the wire, the API, the logs, the tables or the data files; the SDK logged nothing', async () => {
    await dt.flush();
    await rx.finish(new RegExp(CANARY));
    expect(log.lines).toEqual([]);
  }, 120_000);
});
