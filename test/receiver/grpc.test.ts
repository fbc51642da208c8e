import { gzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { OTLPTraceExporter as OTLPGrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { otlpProtoTypes } from '../../src/otlp/index.js';
import { Admission } from '../../src/pipeline/index.js';
import { createReceiver, type Receiver } from '../../src/receiver/app.js';
import { emitAgentRun } from '../helpers/agent-run.js';
import { agentExport, grpcCall as call } from '../helpers/grpc-call.js';
import { DEV_KEY, startReceiver, testConfig, waitForClosedRun, type Running } from '../helpers/receiver.js';

describe('OTLP/gRPC receiver', () => {
  let r: Running;
  let port: number;
  const admission = new Admission(2, 0);
  beforeAll(async () => {
    r = await startReceiver({ DUNETRACE_MAX_BODY_BYTES: String(256 * 1024) }, { admission });
    port = await r.receiver.listenGrpc('127.0.0.1', 0);
  });
  afterAll(() => r.close());
  const auth = { authorization: `Bearer ${DEV_KEY}` };

  for (const compression of ['none', 'gzip'] as const) {
    it(`the real @opentelemetry/exporter-trace-otlp-grpc (${compression}) → a run, judged as over HTTP`, async () => {
      const metadata = new grpc.Metadata();
      metadata.set('authorization', `Bearer ${DEV_KEY}`);
      const provider = new BasicTracerProvider({
        resource: resourceFromAttributes({ 'service.name': 'support-bot', 'service.version': '2.1.0' }),
        spanProcessors: [new BatchSpanProcessor(new OTLPGrpcExporter({ url: `http://127.0.0.1:${port}`, metadata, compression: compression as never }))],
      });
      const traceId = emitAgentRun(provider.getTracer('test'));
      await provider.forceFlush();
      const run = await waitForClosedRun(r.url, traceId);
      expect(run).toMatchObject({ agent_id: 'support-bot', agent_version: '2.1.0', status: 'completed', exit_reason: 'final_answer', span_count: 4 });
      expect(run.events.map((e: any) => e.event_type)).toEqual([
        'run.started',
        'llm.called',
        'llm.responded',
        'tool.called',
        'tool.responded',
        'llm.called',
        'llm.responded',
        'run.completed',
      ]);
      await provider.shutdown();
    });
  }

  it('answers an ExportTraceServiceResponse; x-dunetrace-api-key works too', async () => {
    const { body, traceId } = agentExport();
    const a = await call(port, body, { 'x-dunetrace-api-key': DEV_KEY });
    expect(a.code).toBe(grpc.status.OK);
    expect(otlpProtoTypes().exportResponse.toObject(otlpProtoTypes().exportResponse.decode(a.response!))).toEqual({});
    expect((await waitForClosedRun(r.url, traceId)).span_count).toBe(4);
  });

  it('no key → UNAUTHENTICATED; an unknown key → UNAUTHENTICATED', async () => {
    const { body } = agentExport();
    expect(await call(port, body)).toMatchObject({ code: grpc.status.UNAUTHENTICATED, details: expect.stringMatching(/missing API key/) });
    expect((await call(port, body, { authorization: 'Bearer dt_live_nope' })).code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it('malformed protobuf → INVALID_ARGUMENT naming the problem', async () => {
    const a = await call(port, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]), auth);
    expect(a.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(a.details.length).toBeGreaterThan(0);
  });

  it('invalid spans among valid ones → OK with partial_success', async () => {
    const types = otlpProtoTypes();
    const good = agentExport();
    const req = types.exportRequest.decode(good.body) as unknown as { resourceSpans: { scopeSpans: { spans: { traceId: Uint8Array }[] }[] }[] };
    req.resourceSpans[0].scopeSpans[0].spans[0].traceId = new Uint8Array(3); // not 16 bytes
    const a = await call(port, Buffer.from(types.exportRequest.encode(req).finish()), auth);
    expect(a.code).toBe(grpc.status.OK);
    const resp = types.exportResponse.toObject(types.exportResponse.decode(a.response!), { longs: Number }) as { partialSuccess?: { rejectedSpans?: number } };
    expect(resp.partialSuccess?.rejectedSpans).toBe(1);
  });

  it('an oversized message, also one that is only oversized once gunzipped → RESOURCE_EXHAUSTED', async () => {
    expect((await call(port, Buffer.alloc(300 * 1024, 0x0a), auth)).code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    // A gzip bomb: 64 MiB of zeros, ~64 KiB on the wire with gRPC's own gzip message compression.
    expect(gzipSync(Buffer.alloc(64 * 1024 * 1024)).length).toBeLessThan(256 * 1024);
    const heapBefore = process.memoryUsage().heapUsed;
    const a = await call(port, Buffer.alloc(64 * 1024 * 1024), auth, { 'grpc.default_compression_algorithm': 2, 'grpc.max_send_message_length': -1 });
    expect(a.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(200 * 1024 * 1024);
  });

  it('saturated → UNAVAILABLE with a 1 s RetryInfo, then accepted once a slot frees', async () => {
    const holds = [await admission.acquire(), await admission.acquire()];
    const { body } = agentExport();
    expect(await call(port, body, auth)).toMatchObject({ code: grpc.status.UNAVAILABLE, retryDelayMs: 1000 });
    holds.forEach((release) => release());
    expect((await call(port, body, auth)).code).toBe(grpc.status.OK);
  });
});

describe('OTLP/gRPC while storage is unavailable', () => {
  let rec: Receiver;
  let port: number;
  beforeAll(async () => {
    rec = await createReceiver(testConfig({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' }));
    port = await rec.listenGrpc('127.0.0.1', 0);
  });
  afterAll(() => rec.close());

  it('UNAVAILABLE with a 5 s RetryInfo and no internal text, so exporters retry', async () => {
    const a = await call(port, agentExport().body, { authorization: `Bearer ${DEV_KEY}` });
    expect(a).toMatchObject({ code: grpc.status.UNAVAILABLE, details: 'database unavailable, retry later', retryDelayMs: 5000 });
  });
});
