import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter as OTLPGrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as OTLPProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emitAgentRun } from '../helpers/agent-run.js';
import { agentExport, grpcCall } from '../helpers/grpc-call.js';
import { freePort, privatePostgresUnavailable, startPrivatePostgres, type PrivatePostgres } from '../helpers/private-postgres.js';
import { startReceiverProcess, type Proc } from '../helpers/process.js';
import { DEV_KEY, capture } from '../helpers/receiver.js';

/**
 * Postgres restarted under load (stop, 10 s, start): the receiver answers 503 / UNAVAILABLE with retry hints meanwhile,
 * the real OTel exporters retry, the receiver recovers without a restart (and without crashing on the connections the
 * server killed), and every span answered 200 / OK is stored.
 */
const unavailable = privatePostgresUnavailable();
const requirePg = process.env.DUNETRACE_REQUIRE_PG === '1';
const suite = unavailable && !requirePg ? describe.skip : describe;

suite(`Postgres restarted under load${unavailable ? ` (SKIPPED: ${unavailable})` : ''}`, () => {
  let db: PrivatePostgres;
  let rec: Proc & { url: string };
  let grpcPort: number;
  const dir = mkdtempSync(path.join(tmpdir(), 'dt-faults-'));

  beforeAll(async () => {
    db = await startPrivatePostgres();
    grpcPort = await freePort();
    rec = await startReceiverProcess({
      DATABASE_URL: db.url,
      DUNETRACE_DATA_DIR: dir,
      DUNETRACE_GRPC_PORT: String(grpcPort),
      DUNETRACE_RUN_GRACE_MS: '300',
      LOG_LEVEL: 'warn',
    });
  }, 120_000);

  afterAll(async () => {
    if (rec?.child.exitCode === null) rec.child.kill('SIGTERM');
    await rec?.exited;
    await db?.destroy();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('503 / UNAVAILABLE with retry hints during the outage; every acknowledged span stored; no crash, no restart', async () => {
    const memory = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'fault-agent' }),
      spanProcessors: [new SimpleSpanProcessor(memory)],
    });
    const tracer = provider.getTracer('faults');
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${DEV_KEY}`);
    const exporters: [string, SpanExporter][] = [
      ['http', new OTLPProtoExporter({ url: `${rec.url}/v1/traces`, headers: { authorization: `Bearer ${DEV_KEY}` }, timeoutMillis: 40_000 })],
      ['grpc', new OTLPGrpcExporter({ url: `http://127.0.0.1:${grpcPort}`, metadata, timeoutMillis: 40_000 })],
    ];
    const outcomes: { traceId: string; via: string; sentAt: number; result?: ExportResult }[] = [];
    const pending: Promise<void>[] = [];
    let down = Number.POSITIVE_INFINITY;
    let up = Number.POSITIVE_INFINITY;
    const send = () => {
      for (const [via, exporter] of exporters) {
        const traceId = emitAgentRun(tracer);
        const spans = memory.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
        memory.reset();
        const o: (typeof outcomes)[number] = { traceId, via, sentAt: Date.now() };
        outcomes.push(o);
        pending.push(new Promise<void>((resolve) => exporter.export(spans, (r) => ((o.result = r), resolve()))));
      }
    };
    // Under each exporter's limit of 30 exports in flight through a 10 s outage (beyond, it drops exports itself).
    const load = setInterval(send, 400);
    try {
      await new Promise((r) => setTimeout(r, 2_000));
      await db.stop();
      down = Date.now();
      // While it is down: the receiver says so, with retry hints, on both transports.
      const res = await fetch(`${rec.url}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${DEV_KEY}` },
        body: capture('traceloop-python'),
      });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect((await fetch(`${rec.url}/health`)).status).toBe(503);
      const answer = await grpcCall(grpcPort, agentExport().body, { authorization: `Bearer ${DEV_KEY}` });
      expect(answer.code).toBe(grpc.status.UNAVAILABLE);
      expect(answer.retryDelayMs).toBe(5_000);
      expect(answer.details).not.toMatch(/ECONNREFUSED|postgres|5432/i);
      await new Promise((r) => setTimeout(r, 10_000 - (Date.now() - down)));
      await db.start();
      up = Date.now();
      await new Promise((r) => setTimeout(r, 3_000));
    } finally {
      clearInterval(load);
    }
    await Promise.all(pending);
    expect(rec.child.exitCode).toBeNull(); // still the same process

    const ok = (o: (typeof outcomes)[number]) => o.result?.code === ExportResultCode.SUCCESS;
    const http = outcomes.filter((o) => o.via === 'http');
    const grpcOut = outcomes.filter((o) => o.via === 'grpc');
    // The HTTP exporter honours Retry-After and retries: every export, including those sent into the outage, got in.
    expect(http.filter((o) => o.sentAt > down && o.sentAt < up).length).toBeGreaterThan(0);
    expect(http.filter((o) => !ok(o)).map((o) => o.result?.error?.message)).toEqual([]);
    // The JS gRPC exporter reports UNAVAILABLE as a failure without retrying (its transport has no retryable status;
    // the Collector's otlp exporter does retry): what it sends once the database is back is accepted again.
    const afterRecovery = grpcOut.filter((o) => o.sentAt > up + 1_000);
    expect(afterRecovery.length).toBeGreaterThan(0);
    expect(afterRecovery.filter((o) => !ok(o)).length).toBe(0);
    for (const o of outcomes.filter(ok)) {
      const run = (await (await fetch(`${rec.url}/v1/runs/${o.traceId}`, { headers: { authorization: `Bearer ${DEV_KEY}` } })).json()) as {
        span_count?: number;
      };
      expect(run.span_count, `${o.via} export of ${o.traceId}, acknowledged`).toBe(4);
    }
    expect((await fetch(`${rec.url}/health`)).status).toBe(200);
    expect(rec.output()).not.toMatch(/uncaught|unhandled/i);
    await Promise.all(exporters.map(([, e]) => e.shutdown()));
  }, 120_000);
});
