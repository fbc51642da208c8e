import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startDelayProxy, type DelayProxy } from '../helpers/delay-proxy.js';
import { jsonSpan, otlpJson } from '../helpers/otlp-json.js';
import { describeWithPostgres, dropSchemas, freshSchema, PG_URL } from '../helpers/postgres.js';
import { startReceiverProcess, type Proc } from '../helpers/process.js';
import { newTraceId } from '../helpers/scenarios.js';

/**
 * A slow database (every statement held 200 ms by a proxy) under more concurrent senders than the receiver admits:
 * the receiver pushes back (503 SATURATED, Retry-After 1) instead of queueing without bound, its memory stays
 * bounded, it never crashes, and every request it answered 200 is stored once the database is fast again.
 */
const KEY = 'dt_dev_slowdb';
const SENDERS = 64;

function run(traceId: string): string {
  const t0 = Date.now() - 10_000;
  const root = traceId.slice(0, 16);
  const spans = [jsonSpan({ traceId, spanId: root, name: 'agent.workflow', start: t0, end: t0 + 900, attrs: { 'traceloop.span.kind': 'workflow' } })];
  for (let i = 1; i <= 6; i++) {
    spans.push(
      jsonSpan({
        traceId,
        spanId: i.toString(16).padStart(16, 'c'),
        parent: root,
        name: 'execute_tool search',
        start: t0 + i * 100,
        end: t0 + i * 100 + 50,
        attrs: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'search' },
      }),
    );
  }
  return otlpJson(spans, { 'service.name': 'slow-db-agent' });
}

const rssKb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);

await describeWithPostgres('a slow database', () => {
  const schema = freshSchema('dt_slowdb');
  const dir = mkdtempSync(path.join(tmpdir(), 'dt-slowdb-'));
  let proxy: DelayProxy;
  let rec: Proc & { url: string };

  beforeAll(async () => {
    proxy = await startDelayProxy(PG_URL);
    rec = await startReceiverProcess({ DATABASE_URL: proxy.url, DATABASE_SCHEMA: schema, DUNETRACE_DATA_DIR: dir, DUNETRACE_API_KEYS: KEY, LOG_LEVEL: 'warn' });
  }, 120_000);

  afterAll(async () => {
    if (rec?.child.exitCode === null) rec.child.kill('SIGTERM');
    await rec?.exited;
    await proxy?.close();
    rmSync(dir, { recursive: true, force: true });
    await dropSchemas();
  }, 60_000);

  const post = (traceId: string) =>
    fetch(`${rec.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` }, body: run(traceId) });

  it('pushes back with 503 SATURATED and Retry-After 1, memory bounded, no crash; every 200 stored', async () => {
    for (let i = 0; i < 5; i++) expect((await post(newTraceId())).status).toBe(200);
    const pid = rec.child.pid!;
    const baseline = rssKb(pid);

    proxy.delayMs = 200;
    const acknowledged: string[] = [];
    const answers = new Map<string, number>();
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, rssKb(pid))), 100);
    const until = Date.now() + 6_000;
    await Promise.all(
      Array.from({ length: SENDERS }, async () => {
        while (Date.now() < until) {
          const id = newTraceId();
          const res = await post(id);
          const body = (await res.json()) as { code?: number; message?: string };
          const key = `${res.status} ${res.headers.get('retry-after') ?? '-'} ${body.code ?? ''}`.trim();
          answers.set(key, (answers.get(key) ?? 0) + 1);
          if (res.status === 200) acknowledged.push(id);
          else await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after') ?? 1) * 100));
        }
      }),
    );
    clearInterval(sampler);
    proxy.delayMs = 0;

    // Only two answers: accepted, or UNAVAILABLE "saturated, come back in a second" — which every OTLP exporter retries.
    expect(
      [...answers.keys()].filter((k) => k !== '200 -' && k !== '503 1 14'),
      JSON.stringify([...answers]),
    ).toEqual([]);
    expect(answers.get('503 1 14') ?? 0).toBeGreaterThan(0);
    expect(acknowledged.length).toBeGreaterThan(0);
    // Bounded: the admitted requests and their bodies, not a queue that grows with the offered load.
    expect(peak - baseline, `RSS grew from ${baseline} kB to ${peak} kB`).toBeLessThan(150 * 1024);
    expect(rec.child.exitCode).toBeNull();

    for (const id of acknowledged) {
      const stored = (await (await fetch(`${rec.url}/v1/runs/${id}`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as { span_count?: number };
      expect(stored.span_count, `acknowledged run ${id}`).toBe(7);
    }
    expect((await fetch(`${rec.url}/health`)).status).toBe(200);
    expect(rec.output()).not.toMatch(/uncaught|unhandled/i);
  }, 120_000);
});
