import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHookServer } from '../helpers/hook-server.js';
import { jsonSpan, otlpJson } from '../helpers/otlp-json.js';
import { describeWithPostgres, dropSchemas, freshSchema, PG_URL } from '../helpers/postgres.js';
import { startReceiverProcess, type Proc } from '../helpers/process.js';
import { newTraceId } from '../helpers/scenarios.js';

/**
 * Three receiver processes on one Postgres server, no routing in front: the spans of every run are spread over them
 * at random, in any order. Each run must still be assembled and judged once, on all its spans: one signal per
 * (run, failure type), one alert each, no false signal from a fragment; the SSE stream of any receiver shows the
 * signals any of them found; and the runs a SIGKILLed receiver was tracking are completed by its peers.
 */
const KEY = 'dt_dev_scale';
// Long enough that a loaded machine (CI) still writes every group of a run before its grace ends.
const GRACE_MS = 2_000;
const IDLE_MS = 3_000;

type Span = ReturnType<typeof jsonSpan>;

/** An agent run as separate spans: `loops` calls to the same tool (loop ≥ 3), or one lookup then the answer. */
function agentRun(traceId: string, kind: 'loop' | 'clean'): { spans: Span[]; rootIndex: number } {
  const t0 = Date.now() - 60_000;
  const rootId = traceId.slice(0, 16);
  const spans: Span[] = [];
  let n = 0;
  const id = () => (++n).toString(16).padStart(16, 'b');
  const llm = (at: number, finish: string) =>
    jsonSpan({
      traceId,
      spanId: id(),
      parent: rootId,
      name: 'chat gpt-4o',
      start: at,
      end: at + 80,
      attrs: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.input_tokens': 100,
        'gen_ai.usage.output_tokens': 20,
        'gen_ai.response.finish_reasons': finish,
      },
    });
  const tool = (at: number, name: string) =>
    jsonSpan({
      traceId,
      spanId: id(),
      parent: rootId,
      name: `execute_tool ${name}`,
      start: at,
      end: at + 50,
      attrs: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': name },
    });
  const calls = kind === 'loop' ? 6 : 1;
  for (let i = 0; i < calls; i++) spans.push(llm(t0 + 100 + i * 300, 'tool_calls'), tool(t0 + 250 + i * 300, kind === 'loop' ? 'search' : 'lookup_order'));
  spans.push(llm(t0 + 100 + calls * 300, 'stop'));
  spans.push(
    jsonSpan({ traceId, spanId: rootId, name: 'agent.workflow', start: t0, end: t0 + 300 + calls * 300, attrs: { 'traceloop.span.kind': 'workflow' } }),
  );
  return { spans, rootIndex: spans.length - 1 };
}

async function post(url: string, spans: Span[]): Promise<void> {
  const res = await fetch(`${url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
    body: otlpJson(spans, { 'service.name': 'scale-agent' }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
}

const get = async (url: string, p: string) => (await fetch(`${url}${p}`, { headers: { authorization: `Bearer ${KEY}` } })).json() as Promise<any>;

async function waitClosed(url: string, runIds: readonly string[], timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  const pending = new Set(runIds);
  while (pending.size > 0) {
    for (const id of [...pending]) {
      const run = await get(url, `/v1/runs/${id}`);
      if (run.status && run.status !== 'open') pending.delete(id);
    }
    if (pending.size === 0) return;
    if (Date.now() > end) throw new Error(`${pending.size} runs still open after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Every signal (shadow ones too) of a run, by failure type. */
async function signalsOf(url: string, runId: string): Promise<string[]> {
  const body = await get(url, `/v1/signals?run_id=${runId}&include_shadow=true&limit=500`);
  return (body.signals as { failure_type: string }[]).map((s) => s.failure_type).sort();
}

/** Reads an SSE stream until aborted, collecting each signal's run id and failure type. */
function subscribe(url: string): { seen: string[]; stop: () => void } {
  const seen: string[] = [];
  const ctl = new AbortController();
  void (async () => {
    const res = await fetch(`${url}/v1/signals/stream?api_key=${KEY}&include_shadow=true`, { signal: ctl.signal });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += decoder.decode(value, { stream: true });
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const frame = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const data = frame
          .split('\n')
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).trim())
          .join('');
        if (data) {
          const s = JSON.parse(data) as { run_id: string; failure_type: string };
          seen.push(`${s.run_id}/${s.failure_type}`);
        }
      }
    }
  })().catch(() => undefined);
  return { seen, stop: () => ctl.abort() };
}

/** Splits spans into 2–3 random groups, each to a random receiver, all sent at once. */
async function sendSpread(urls: string[], spans: Span[]): Promise<void> {
  const groups: Span[][] = [[], [], []];
  for (const s of spans) groups[Math.floor(Math.random() * 3)].push(s);
  await Promise.all(groups.filter((g) => g.length > 0).map((g) => post(urls[Math.floor(Math.random() * urls.length)], g)));
}

await describeWithPostgres('several receivers on one Postgres server', () => {
  const schema = freshSchema('dt_scale');
  const dirs: string[] = [];
  let procs: (Proc & { url: string })[] = [];
  let hook: Awaited<ReturnType<typeof startHookServer>>;

  beforeAll(async () => {
    hook = await startHookServer();
    const env = {
      DATABASE_URL: PG_URL,
      DATABASE_SCHEMA: schema,
      DUNETRACE_RUN_GRACE_MS: String(GRACE_MS),
      DUNETRACE_RUN_IDLE_TIMEOUT_MS: String(IDLE_MS),
      WEBHOOK_URL: hook.url,
      DUNETRACE_ALERT_BURST: '10000',
      LOG_LEVEL: 'warn',
    };
    // The first migrates; the others find the schema current (migrations are locked, so starting together is safe).
    procs = await Promise.all(
      [0, 1, 2].map(() => {
        const dir = mkdtempSync(path.join(tmpdir(), 'dt-scale-'));
        dirs.push(dir);
        return startReceiverProcess({ ...env, DUNETRACE_DATA_DIR: dir });
      }),
    );
  }, 120_000);

  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGTERM');
    await Promise.all(procs.map((p) => p.exited));
    await hook?.close();
    dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
    await dropSchemas();
  }, 60_000);

  it('spans spread at random: every run judged once on all its spans — one signal and one alert each, none from a fragment', async () => {
    const urls = procs.map((p) => p.url);
    const stream = subscribe(urls[0]);
    await new Promise((r) => setTimeout(r, 300)); // the stream is open before the signals come
    const loops = Array.from({ length: 30 }, () => newTraceId());
    const cleans = Array.from({ length: 30 }, () => newTraceId());
    const all = [...loops.map((id) => ({ id, kind: 'loop' as const })), ...cleans.map((id) => ({ id, kind: 'clean' as const }))];
    for (let i = 0; i < all.length; i += 10) {
      await Promise.all(all.slice(i, i + 10).map(({ id, kind }) => sendSpread(urls, agentRun(id, kind).spans)));
    }
    await waitClosed(urls[1], [...loops, ...cleans], 60_000);

    for (const id of loops) {
      const signals = await signalsOf(urls[Math.floor(Math.random() * 3)], id);
      expect(signals, `run ${id}`).toEqual(['TOOL_LOOP']);
      const run = await get(urls[2], `/v1/runs/${id}`);
      expect(run.span_count).toBe(14);
      expect(run.events.filter((e: any) => e.event_type === 'tool.called')).toHaveLength(6);
    }
    for (const id of cleans) expect(await signalsOf(urls[0], id), `run ${id}`).toEqual([]);

    // One webhook delivery per signal, whichever receiver stored it.
    await expect.poll(() => hook.hits.length, { timeout: 20_000 }).toBeGreaterThanOrEqual(loops.length);
    await new Promise((r) => setTimeout(r, 1_000));
    const delivered = hook.hits.map((h) => (JSON.parse(h.body) as { run_id: string }).run_id).sort();
    expect(delivered).toEqual([...loops].sort());

    // Receiver 0's stream saw every signal, those the others stored included.
    await expect.poll(() => stream.seen.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(loops.length);
    expect([...stream.seen].sort()).toEqual(loops.map((id) => `${id}/TOOL_LOOP`).sort());
    stream.stop();
  }, 180_000);

  it('a receiver SIGKILLed under load: every run it answered 200 is stored whole and judged by its peers within idle timeout + grace', async () => {
    const victim = procs[2];
    const runs: string[] = []; // acknowledged (200) by the victim
    let killing = false;
    // Two senders keep posting whole runs at the victim until it dies; a request cut by the kill is not acknowledged.
    const sender = async () => {
      while (!killing) {
        const id = newTraceId();
        const res = await fetch(`${victim.url}/v1/traces`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
          body: otlpJson(agentRun(id, 'loop').spans, { 'service.name': 'scale-agent' }),
        }).catch(() => null);
        if (res?.status === 200) runs.push(id);
      }
    };
    const senders = [sender(), sender()];
    await expect.poll(() => runs.length, { timeout: 30_000, interval: 20 }).toBeGreaterThanOrEqual(8);
    victim.child.kill('SIGKILL');
    killing = true;
    await victim.exited;
    const killedAt = Date.now();
    await Promise.all(senders);
    await waitClosed(procs[0].url, runs, 30_000);
    // Grace + the peers' slack + one sweep period, with room for a loaded machine.
    expect(Date.now() - killedAt).toBeLessThan(IDLE_MS + GRACE_MS + 10_000);
    const whole = agentRun(newTraceId(), 'loop').spans.length;
    for (const id of runs) {
      expect((await get(procs[0].url, `/v1/runs/${id}`)).span_count, `run ${id}`).toBe(whole);
      expect(await signalsOf(procs[1].url, id), `run ${id}`).toEqual(['TOOL_LOOP']);
    }
    await expect
      .poll(() => hook.hits.filter((h) => runs.includes((JSON.parse(h.body) as { run_id: string }).run_id)).length, { timeout: 20_000 })
      .toBe(runs.length);
  }, 120_000);
});
