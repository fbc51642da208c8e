import { spawnSync } from 'node:child_process';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as api from '@opentelemetry/api';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DunetraceSpanProcessor } from '../../src/index.js';
import { captureDiag, closedPort, InMemorySpanExporter, providerWith, SlowExporter, SyncContextManager } from './helpers.js';

/** Ends `n` LLM spans (agent spans: never filtered) synchronously. */
function endSpans(p: DunetraceSpanProcessor, n: number): void {
  const tracer = providerWith(p).getTracer('t');
  for (let i = 0; i < n; i++) tracer.startSpan('chat gpt-4o', { attributes: { 'gen_ai.operation.name': 'chat', i } }, ROOT_CONTEXT).end();
}

// The processor's schedule (scheduledDelayMillis, exportTimeoutMillis) is checked on fake time, at exact instants.
const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms);
/** Shuts down on fake time, letting every timer run (InMemorySpanExporter answers through a setTimeout). */
async function shutdownOnFakeTime(p: DunetraceSpanProcessor): Promise<void> {
  const done = p.shutdown();
  await vi.runAllTimersAsync();
  await done;
}
/** A promise's state, read without waiting for it, and the (fake) time it settled at. */
function tracked<T>(p: Promise<T>): { readonly settled: boolean; readonly at: number; promise: Promise<T> } {
  const t = { settled: false, at: NaN, promise: p };
  void p.finally(() => {
    t.settled = true;
    t.at = Date.now();
  });
  return t;
}

let restoreDiag: (() => void) | null = null;
afterEach(() => {
  restoreDiag?.();
  restoreDiag = null;
  vi.useRealTimers();
});

describe('queue: bounded, O(1) onEnd, drops counted', () => {
  it('a full queue drops and counts instead of growing; onEnd never exports synchronously', async () => {
    vi.useFakeTimers();
    const slow = new SlowExporter(Infinity);
    const p = new DunetraceSpanProcessor({
      exporter: slow,
      maxQueueSize: 10,
      maxExportBatchSize: 5,
      scheduledDelayMillis: 0,
      exportTimeoutMillis: 200,
      env: {},
    });
    endSpans(p, 30);
    expect(slow.batches).toHaveLength(0); // nothing happened inside span.end()
    expect(p.droppedSpans).toBe(20);
    expect(p.stats).toMatchObject({ queuedSpans: 10, droppedSpans: 20, exportedSpans: 0 });
    await advance(1); // a full batch goes at once
    expect(slow.batches).toHaveLength(1);
    expect(slow.batches[0]).toHaveLength(5);
    expect(p.stats.queuedSpans).toBe(5);
    endSpans(p, 8); // 5 free slots
    expect(p.droppedSpans).toBe(23);
    // One export in flight: the next batch waits until the first settles or hits exportTimeoutMillis (200 ms).
    // The first export went at 0 ms; it times out at 200 ms and the next one goes at once.
    await advance(198);
    expect(slow.batches).toHaveLength(1);
    await advance(1);
    expect(slow.batches).toHaveLength(2);
    await shutdownOnFakeTime(p); // nothing answers: shutdown gives up at its deadline
  });

  it('exports in batches of maxExportBatchSize, one export in flight at a time', async () => {
    const ex = new SlowExporter(5);
    const p = new DunetraceSpanProcessor({ exporter: ex, scheduledDelayMillis: 10_000, env: {} });
    endSpans(p, 1200);
    await p.forceFlush();
    expect(ex.batches.map((b) => b.length)).toEqual([512, 512, 176]);
    expect(ex.maxConcurrent).toBe(1);
    expect(p.stats).toMatchObject({ exportedSpans: 1200, droppedSpans: 0, queuedSpans: 0 });
    await p.shutdown();
  });

  it('a partial batch goes out after scheduledDelayMillis, a full one at once', async () => {
    const mem = new InMemorySpanExporter();
    vi.useFakeTimers();
    const p = new DunetraceSpanProcessor({ exporter: mem, scheduledDelayMillis: 300, maxExportBatchSize: 4, env: {} });
    endSpans(p, 2);
    await advance(299);
    expect(mem.getFinishedSpans()).toHaveLength(0);
    await advance(1);
    expect(mem.getFinishedSpans()).toHaveLength(2);
    endSpans(p, 4);
    await advance(1); // a full batch does not wait for the delay (setTimeout 0 is 1 ms in Node)
    expect(mem.getFinishedSpans()).toHaveLength(6);
    await shutdownOnFakeTime(p);
  });

  it('the default delay is short (200 ms): a span reaches the exporter well within a second', async () => {
    vi.useFakeTimers();
    const mem = new InMemorySpanExporter();
    const p = new DunetraceSpanProcessor({ exporter: mem, env: {} });
    endSpans(p, 1);
    await advance(199);
    expect(mem.getFinishedSpans()).toHaveLength(0);
    await advance(1);
    expect(mem.getFinishedSpans()).toHaveLength(1);
    await shutdownOnFakeTime(p);
  });
});

describe('forceFlush / shutdown', () => {
  it('forceFlush waits for the export in flight and exports what is queued', async () => {
    vi.useFakeTimers();
    const ex = new SlowExporter(50);
    const p = new DunetraceSpanProcessor({ exporter: ex, maxExportBatchSize: 3, scheduledDelayMillis: 0, env: {} });
    endSpans(p, 3);
    await advance(10); // first batch in flight until 50 ms
    expect(ex.batches).toHaveLength(1);
    endSpans(p, 4);
    const flush = tracked(p.forceFlush());
    await advance(39);
    expect(flush.settled).toBe(false);
    await advance(1 + 50 + 50); // the first export answers; then the batches of 3 and 1, 50 ms each
    await flush.promise;
    expect(ex.batches.map((b) => b.length)).toEqual([3, 3, 1]);
    expect(p.stats).toMatchObject({ exportedSpans: 7, queuedSpans: 0 });
    await p.shutdown();
  });

  it('with an exporter that never answers, forceFlush and shutdown return within exportTimeoutMillis', async () => {
    vi.useFakeTimers();
    const ex = new SlowExporter(Infinity);
    const p = new DunetraceSpanProcessor({ exporter: ex, exportTimeoutMillis: 300, maxExportBatchSize: 2, env: {} });
    endSpans(p, 6);
    // Each waits for the export in flight up to exportTimeoutMillis (300 ms), then returns (+1: a setTimeout(0)).
    let t0 = Date.now();
    const flush = tracked(p.forceFlush());
    await advance(299);
    expect(flush.settled).toBe(false);
    await advance(2);
    await flush.promise;
    expect(flush.at - t0).toBeGreaterThanOrEqual(300);
    expect(flush.at - t0).toBeLessThanOrEqual(301);
    endSpans(p, 2);
    t0 = Date.now();
    const shutdown = tracked(p.shutdown());
    await advance(299);
    expect(shutdown.settled).toBe(false);
    await advance(2);
    await shutdown.promise;
    expect(shutdown.at - t0).toBeGreaterThanOrEqual(300);
    expect(shutdown.at - t0).toBeLessThanOrEqual(301);
    expect(ex.shutdownCalls).toBe(1);
    expect(p.stats.failedExports).toBeGreaterThanOrEqual(1);
    // Every span ends up counted once: a batch still in flight at the deadline counts as failed when it times out.
    await vi.runAllTimersAsync();
    const s = p.stats;
    expect(s.exportedSpans + s.failedSpans + s.droppedSpans + s.queuedSpans).toBe(8);
  });

  it('shutdown flushes, is idempotent (one promise), and later spans are dropped and counted', async () => {
    const mem = new InMemorySpanExporter();
    const p = new DunetraceSpanProcessor({ exporter: mem, scheduledDelayMillis: 60_000, env: {} });
    endSpans(p, 3);
    const a = p.shutdown();
    const b = p.shutdown();
    expect(a).toBe(b);
    await a;
    expect(p.stats.exportedSpans).toBe(3); // (InMemorySpanExporter.shutdown() empties its list)
    endSpans(p, 2);
    expect(p.droppedSpans).toBe(2);
    await p.forceFlush(); // after shutdown: resolves, does nothing
    await p.shutdown();
  });

  it("the timer is unref'd: a process with queued spans and no shutdown exits at once", () => {
    const code = `
      const { DunetraceSpanProcessor } = await import('./src/index.ts');
      const { BasicTracerProvider } = await import('@opentelemetry/sdk-trace-base');
      const p = new DunetraceSpanProcessor({ endpoint: 'http://127.0.0.1:9', scheduledDelayMillis: 60000, env: {} });
      new BasicTracerProvider({ spanProcessors: [p] }).getTracer('t').startSpan('chat x', { attributes: { 'gen_ai.operation.name': 'chat' } }).end();
      console.log('queued', p.stats.queuedSpans);`;
    const t0 = Date.now();
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: process.cwd(), encoding: 'utf8', timeout: 20_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('queued 1');
    expect(r.status).toBe(0);
    expect(Date.now() - t0).toBeLessThan(15_000); // not 60 s
  });
});

describe('failures never reach user code and are logged once', () => {
  it('receiver down (closed port): no throw, exactly one log line, failures counted', async () => {
    const diag = captureDiag(api);
    restoreDiag = diag.restore;
    const port = await closedPort();
    const p = new DunetraceSpanProcessor({
      endpoint: `http://127.0.0.1:${port}`,
      apiKey: 'dt_dev_x',
      maxQueueSize: 4,
      maxExportBatchSize: 4,
      exportTimeoutMillis: 300,
      scheduledDelayMillis: 10,
      env: {},
    });
    for (let i = 0; i < 3; i++) {
      expect(() => endSpans(p, 6)).not.toThrow(); // 4 fit the queue, 2 are dropped
      await p.forceFlush();
    }
    await p.shutdown();
    const s = p.stats;
    expect(s.failedExports).toBe(3);
    expect(s.failedSpans).toBe(12);
    expect(s.droppedSpans).toBe(6);
    expect(s.exportedSpans).toBe(0);
    expect(diag.lines).toHaveLength(1);
    expect(diag.lines[0]).toMatch(/^error dunetrace export to http:\/\/127\.0\.0\.1:\d+\/v1\/traces failed/);
  });

  it('silent while failing; a success resets it, so the next failure logs again', async () => {
    const diag = captureDiag(api);
    restoreDiag = diag.restore;
    const outcomes = [false, false, true, false];
    const exporter: SpanExporter = {
      export: (_s: ReadableSpan[], done) => setTimeout(() => done({ code: outcomes.shift() ? 0 : 1, error: new Error('503') }), 1),
      shutdown: async () => {},
    };
    const p = new DunetraceSpanProcessor({ exporter, env: {} });
    for (let i = 0; i < 4; i++) {
      endSpans(p, 1);
      await p.forceFlush();
    }
    expect(p.stats).toMatchObject({ failedExports: 3, failedSpans: 3, exportedSpans: 1 });
    expect(diag.lines.filter((l) => l.startsWith('error'))).toHaveLength(2);
    await p.shutdown();
  });

  it('an exporter that throws synchronously, or a full queue, is counted and logged once', async () => {
    const diag = captureDiag(api);
    restoreDiag = diag.restore;
    const exporter: SpanExporter = {
      export: () => {
        throw new Error('kaboom');
      },
      shutdown: () => {
        throw new Error('shutdown kaboom');
      },
    };
    const p = new DunetraceSpanProcessor({ exporter, maxQueueSize: 2, maxExportBatchSize: 2, env: {} });
    expect(() => endSpans(p, 5)).not.toThrow();
    await p.forceFlush();
    await expect(p.shutdown()).resolves.toBeUndefined();
    expect(p.stats).toMatchObject({ droppedSpans: 3, failedSpans: 2, failedExports: 1 });
    expect(diag.lines, diag.lines.join('\n')).toHaveLength(1);
  });

  it('a full queue with a healthy exporter is reported once, by the next export, never from onEnd', async () => {
    const diag = captureDiag(api);
    restoreDiag = diag.restore;
    const ex = new SlowExporter(1);
    const p = new DunetraceSpanProcessor({ exporter: ex, maxQueueSize: 3, maxExportBatchSize: 3, env: {} });
    endSpans(p, 10);
    expect(diag.lines).toEqual([]); // onEnd only counts
    await p.forceFlush();
    endSpans(p, 10);
    await p.forceFlush();
    expect(p.stats).toMatchObject({ droppedSpans: 14, exportedSpans: 6 });
    expect(diag.lines).toHaveLength(1);
    expect(diag.lines[0]).toMatch(/^warn dunetrace the span queue was full \(maxQueueSize 3\): 7 spans were dropped/);
    await p.shutdown();
  });

  it("exports run under suppressTracing (the exporter's own HTTP calls are not traced)", async () => {
    const cm = new SyncContextManager();
    api.context.setGlobalContextManager(cm);
    try {
      let suppressed: boolean | null = null;
      const exporter: SpanExporter = {
        export: (_s, done) => {
          suppressed = isTracingSuppressed(api.context.active());
          done({ code: 0 });
        },
        shutdown: async () => {},
      };
      const p = new DunetraceSpanProcessor({ exporter, env: {} });
      endSpans(p, 1);
      await p.shutdown();
      expect(suppressed).toBe(true);
    } finally {
      api.context.disable();
    }
  });
});

describe('options and environment', () => {
  it('bad options fail fast, every problem at once', () => {
    expect(
      () => new DunetraceSpanProcessor({ endpoint: 'ftp://x', maxQueueSize: 0, scheduledDelayMillis: -1, env: { DUNETRACE_EXPORT_TIMEOUT_MILLIS: 'soon' } }),
    ).toThrow(/endpoint "ftp:\/\/x" is not an http\(s\) URL[\s\S]*maxQueueSize[\s\S]*scheduledDelayMillis[\s\S]*DUNETRACE_EXPORT_TIMEOUT_MILLIS="soon"/);
    expect(() => new DunetraceSpanProcessor({ hashKey: '', env: {} })).toThrow(/hashKey must not be empty/);
  });

  it('a batch larger than the queue is clamped with a warning', async () => {
    const diag = captureDiag(api);
    restoreDiag = diag.restore;
    const ex = new SlowExporter(1);
    const p = new DunetraceSpanProcessor({ exporter: ex, maxQueueSize: 4, maxExportBatchSize: 100, env: {} });
    endSpans(p, 4);
    await p.forceFlush();
    expect(ex.batches.map((b) => b.length)).toEqual([4]);
    expect(diag.lines[0]).toMatch(/maxExportBatchSize is larger than maxQueueSize; using 4/);
    await p.shutdown();
  });

  it('the default exporter posts to ${DUNETRACE_ENDPOINT}/v1/traces with the Bearer key, and ignores OTEL_EXPORTER_OTLP_* meant for another exporter', async () => {
    const seen: { url: string; headers: IncomingHttpHeaders }[] = [];
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        seen.push({ url: req.url ?? '', headers: req.headers });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    process.env.OTEL_EXPORTER_OTLP_HEADERS = 'x-other-vendor=secret';
    process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = 'http://127.0.0.1:9/elsewhere';
    try {
      const p = new DunetraceSpanProcessor({ env: { DUNETRACE_ENDPOINT: `http://127.0.0.1:${port}/base/`, DUNETRACE_API_KEY: 'dt_live_abc' } });
      expect(process.env.OTEL_EXPORTER_OTLP_HEADERS).toBe('x-other-vendor=secret'); // restored
      endSpans(p, 1);
      await p.shutdown();
      expect(p.stats.exportedSpans).toBe(1);
      expect(seen).toHaveLength(1);
      expect(seen[0].url).toBe('/base/v1/traces');
      expect(seen[0].headers.authorization).toBe('Bearer dt_live_abc');
      expect(seen[0].headers['x-other-vendor']).toBeUndefined();
    } finally {
      delete process.env.OTEL_EXPORTER_OTLP_HEADERS;
      delete process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
