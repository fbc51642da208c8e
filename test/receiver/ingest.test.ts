import { gzipSync } from 'node:zlib';
import protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonSpan, otlpJson } from '../helpers/otlp-json.js';
import { createReceiver } from '../../src/receiver/app.js';
import {
  capture,
  devHeaders,
  getRun,
  injectFetch,
  inProcessReceiver,
  testConfig,
  startReceiver,
  waitForClosedRun,
  type InProcess,
  type Running,
} from '../helpers/receiver.js';

const TRACELOOP_RUN = '4e20a57ff03c65eb75a036945a5f6401';
const OPENLIT_RUN = '4e1b3e35451dcbcc4b3585797164a7a3';

// The route's behaviour needs no socket: requests go through inject(). Body limits below use real HTTP.
describe('POST /v1/traces', () => {
  let r: InProcess;
  beforeAll(async () => {
    r = await inProcessReceiver();
  });
  afterAll(async () => r?.close());

  const post = (body: string | Buffer, headers: Record<string, string> = devHeaders(), path = '/v1/traces') => r.fetch(path, { method: 'POST', headers, body });

  it('accepts a golden capture, answers {} and the run appears with hashed events', async () => {
    const res = await post(capture('traceloop-python'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({});
    const run = await waitForClosedRun(r.fetch, TRACELOOP_RUN);
    expect(run).toMatchObject({ run_id: TRACELOOP_RUN, agent_id: 'traceloop-agent', status: 'completed', exit_reason: 'final_answer', step_count: 1 });
    expect(run.events.map((e: any) => e.event_type)).toEqual(['run.started', 'llm.called', 'llm.responded', 'run.completed']);
    const responded = run.events.find((e: any) => e.event_type === 'llm.responded');
    expect(responded.payload.output_hash).toMatch(/^[0-9a-f]{32}$/);
    expect(responded.payload.output_length).toBeGreaterThan(0);
    expect(JSON.stringify(run)).not.toContain('capital of France');
  });

  it('serves the run under its UUID form too, 404 for an unknown id, 400 for an overlong one, 401 without a key', async () => {
    const uuid = `${TRACELOOP_RUN.slice(0, 8)}-${TRACELOOP_RUN.slice(8, 12)}-${TRACELOOP_RUN.slice(12, 16)}-${TRACELOOP_RUN.slice(16, 20)}-${TRACELOOP_RUN.slice(20)}`;
    expect((await getRun(r.fetch, uuid)).body.run_id).toBe(TRACELOOP_RUN);
    expect((await getRun(r.fetch, 'not-a-run')).status).toBe(404);
    expect((await getRun(r.fetch, 'x'.repeat(513))).status).toBe(400);
    expect((await r.fetch(`/v1/runs/${TRACELOOP_RUN}`)).status).toBe(401);
    expect((await getRun(r.fetch, 'f'.repeat(32))).status).toBe(404);
  });

  it('an errored capture (OpenLIT) becomes an errored run; the alias path works; gzip works', async () => {
    const res = await post(gzipSync(capture('openlit-python')), { ...devHeaders(), 'content-encoding': 'gzip' }, '/v1/otlp/traces');
    expect(res.status).toBe(200);
    const run = await waitForClosedRun(r.fetch, OPENLIT_RUN);
    expect(run).toMatchObject({ status: 'errored', exit_reason: 'error' });
    expect(run.events.at(-1)).toMatchObject({ event_type: 'run.errored', payload: { error_type: 'AttributeError' } });
  });

  it('assembles a run from spans sent out of order over several requests and judges it once on all of them', async () => {
    const traceId = '1'.repeat(32);
    const t0 = Date.now() - 10_000;
    const root = jsonSpan({ traceId, spanId: 'a'.repeat(16), name: 'agent.workflow', start: t0, end: t0 + 900, attrs: { 'traceloop.span.kind': 'workflow' } });
    const llm = (id: string, s: number) =>
      jsonSpan({
        traceId,
        spanId: id,
        parent: 'a'.repeat(16),
        name: 'chat gpt-4o',
        start: t0 + s,
        end: t0 + s + 50,
        attrs: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.output_tokens': 7 },
      });
    const tool = jsonSpan({
      traceId,
      spanId: 'c'.repeat(16),
      parent: 'a'.repeat(16),
      name: 'execute_tool search',
      start: t0 + 200,
      end: t0 + 300,
      attrs: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'search' },
    });
    expect((await post(otlpJson([llm('d'.repeat(16), 400)]))).status).toBe(200);
    expect((await post(otlpJson([tool]))).status).toBe(200);
    expect((await post(otlpJson([root, llm('b'.repeat(16), 100)]))).status).toBe(200);
    const run = await waitForClosedRun(r.fetch, traceId);
    expect(run.events.map((e: any) => `${e.step_index}:${e.event_type}`)).toEqual([
      '0:run.started',
      '1:llm.called',
      '1:llm.responded',
      '2:tool.called',
      '2:tool.responded',
      '3:llm.called',
      '3:llm.responded',
      '3:run.completed',
    ]);
    expect(run.span_count).toBe(4);

    // A span arriving after completion is stored and flagged, never dropped.
    const late = jsonSpan({
      traceId,
      spanId: 'e'.repeat(16),
      parent: 'a'.repeat(16),
      name: 'execute_tool late',
      start: t0 + 950,
      end: t0 + 960,
      attrs: { 'gen_ai.tool.name': 'late' },
    });
    expect((await post(otlpJson([late]))).status).toBe(200);
    const after = (await getRun(r.fetch, traceId)).body;
    expect(after.status).toBe('completed');
    expect(after.step_count).toBe(3);
    expect(after.events.filter((e: any) => e.late).map((e: any) => e.event_type)).toEqual(['tool.called', 'tool.responded']);
  });

  it('a retried export (same spans twice) is stored once', async () => {
    const traceId = '2'.repeat(32);
    const body = otlpJson([
      jsonSpan({ traceId, spanId: '1'.repeat(16), name: 'chat gpt-4o', start: Date.now() - 100, end: Date.now(), attrs: { 'gen_ai.request.model': 'gpt-4o' } }),
    ]);
    expect((await post(body)).status).toBe(200);
    expect((await post(body)).status).toBe(200);
    const run = await waitForClosedRun(r.fetch, traceId);
    expect(run.span_count).toBe(1);
    expect(run.events.filter((e: any) => e.event_type === 'llm.called')).toHaveLength(1);
  });

  it('rejects invalid spans with partial_success while keeping the valid ones', async () => {
    const traceId = '3'.repeat(32);
    const good = jsonSpan({
      traceId,
      spanId: '1'.repeat(16),
      name: 'chat gpt-4o',
      start: Date.now() - 100,
      end: Date.now(),
      attrs: { 'gen_ai.request.model': 'gpt-4o' },
    });
    const bad = { ...good, spanId: 'xyz' };
    const res = await post(otlpJson([good, bad]));
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.partialSuccess.rejectedSpans).toBe('1');
    expect(body.partialSuccess.errorMessage).toMatch(/spanId/);
    expect((await waitForClosedRun(r.fetch, traceId)).span_count).toBe(1);
  });

  it('415 for other content types, with a google.rpc.Status naming the accepted ones', async () => {
    const res = await post('hello', { ...devHeaders(), 'content-type': 'text/plain' });
    expect(res.status).toBe(415);
    expect(((await res.json()) as any).message).toMatch(/application\/x-protobuf/);
    const enc = await post(Buffer.from('x'), { ...devHeaders(), 'content-encoding': 'br' });
    expect(enc.status).toBe(415);
  });

  it('400 with an actionable message for malformed JSON and protobuf; the protobuf error is a protobuf Status', async () => {
    const res = await post('{"resourceSpans": [ {"scopeSpans": "nope"} ]}');
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).message).toMatch(/scopeSpans/);
    const pb = await post(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]), devHeaders('application/x-protobuf'));
    expect(pb.status).toBe(400);
    expect(pb.headers.get('content-type')).toBe('application/x-protobuf');
    const Status = new protobuf.Type('Status').add(new protobuf.Field('code', 1, 'int32')).add(new protobuf.Field('message', 2, 'string'));
    const decoded = Status.decode(new Uint8Array(await pb.arrayBuffer())) as unknown as { code: number; message: string };
    expect(decoded.code).toBe(3);
    expect(decoded.message).toMatch(/protobuf/i);
  });

  it('401 without a key, with a revoked-looking key, and for spans whose resource carries no key', async () => {
    const body = capture('otel-contrib-python');
    expect((await post(body, { 'content-type': 'application/json' })).status).toBe(401);
    expect((await post(body, { 'content-type': 'application/json', authorization: 'Bearer dt_live_' + '0'.repeat(32) })).status).toBe(401);
    const viaResource = otlpJson([jsonSpan({ traceId: '4'.repeat(32), spanId: '1'.repeat(16), name: 'x', start: 1, end: 2 })], {
      'service.name': 's',
      'dunetrace.api_key': 'dt_dev_resource',
    });
    expect((await post(viaResource, { 'content-type': 'application/json' })).status).toBe(200);
  });

  it('still answers after a burst of garbage (no input crashes the process)', async () => {
    const junk = [
      Buffer.alloc(0),
      Buffer.from('\u0000\u0001'),
      Buffer.from('[]'),
      Buffer.from('null'),
      Buffer.from('{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":5}]}]}]}'),
    ];
    for (const j of junk) {
      for (const ct of ['application/json', 'application/x-protobuf']) {
        const res = await post(j, devHeaders(ct));
        expect([200, 400]).toContain(res.status);
      }
    }
    expect((await r.fetch('/health')).status).toBe(200);
  });
});

describe('body limits', () => {
  let r: Running;
  beforeAll(async () => {
    r = await startReceiver({ DUNETRACE_MAX_BODY_BYTES: '4096' });
  });
  afterAll(async () => r?.close());

  it('413 for a body over DUNETRACE_MAX_BODY_BYTES, and for a small gzip that inflates past it', async () => {
    const big = otlpJson([jsonSpan({ traceId: '5'.repeat(32), spanId: '1'.repeat(16), name: 'x'.repeat(5000), start: 1, end: 2 })]);
    const res = await fetch(`${r.url}/v1/traces`, { method: 'POST', headers: devHeaders(), body: big });
    expect(res.status).toBe(413);
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(4096 * 20);
    const res2 = await fetch(`${r.url}/v1/traces`, { method: 'POST', headers: { ...devHeaders(), 'content-encoding': 'gzip' }, body: bomb });
    expect(res2.status).toBe(413);
    expect((await fetch(`${r.url}/health`)).status).toBe(200);
  });
});

describe('database unavailable', () => {
  it('answers 503 with Retry-After on ingest and /health while the server cannot be reached', async () => {
    const r = await createReceiver(testConfig({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' })); // never ready
    try {
      const res = await injectFetch(r)('/v1/traces', { method: 'POST', headers: devHeaders(), body: capture('traceloop-python') });
      expect(res.status).toBe(503);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await injectFetch(r)('/health')).status).toBe(503);
    } finally {
      await r.close();
    }
  });
});
