import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { ROOT_CONTEXT, type SpanKind, trace, type Tracer } from '@opentelemetry/api';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { decodeExport } from '../../src/otlp/index.js';
import type { OtlpSpan } from '../../src/otlp/model.js';

/** Nanoseconds since the epoch → SDK HrTime. */
const hr = (ns: bigint): [number, number] => [Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)];

/**
 * Re-creates a decoded OtlpSpan fixture as a real SDK span (same trace id, parent, name, kind, times, attributes,
 * events, status) through `tracer`, and ends it. A fixture with a parent gets a (non-recording) parent context.
 */
export function emitFixture(tracer: Tracer, f: OtlpSpan): void {
  const ctx =
    f.parentSpanId === '' ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, { traceId: f.traceId, spanId: f.parentSpanId, traceFlags: 1, isRemote: false });
  const s = tracer.startSpan(f.name, { kind: Math.max(0, f.kind - 1) as SpanKind, startTime: hr(f.startTimeUnixNano), attributes: f.attributes as never }, ctx);
  for (const e of f.events) s.addEvent(e.name, e.attributes as never, hr(e.timeUnixNano));
  if (f.status.code !== 0) s.setStatus({ code: f.status.code, message: f.status.message || undefined });
  s.end(hr(f.endTimeUnixNano));
}

/** A provider with the given processors (resource service.name = test-agent). */
export function providerWith(...spanProcessors: SpanProcessor[]): BasicTracerProvider {
  return new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'test-agent' }), spanProcessors });
}

/** Exported SDK spans → OTLP/JSON bytes (the real serializer) → the receiver's own decoder. */
export function throughWire(spans: ReadableSpan[]): OtlpSpan[] {
  const body = JsonTraceSerializer.serializeRequest(spans);
  if (!body) throw new Error('serializer returned nothing');
  const decoded = decodeExport(Buffer.from(body), 'json');
  if (decoded.rejectedSpans !== 0) throw new Error(decoded.rejectedReasons.join('; '));
  return decoded.spans;
}

/** An exporter that answers after `ms` (or never, with Infinity), recording what it was given. */
export class SlowExporter implements SpanExporter {
  readonly batches: ReadableSpan[][] = [];
  shutdownCalls = 0;
  concurrent = 0;
  maxConcurrent = 0;
  constructor(
    private readonly ms: number,
    private readonly ok = true,
  ) {}
  export(spans: ReadableSpan[], done: (r: { code: number; error?: Error }) => void): void {
    this.batches.push(spans);
    this.concurrent++;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.concurrent);
    if (this.ms === Infinity) return;
    setTimeout(() => {
      this.concurrent--;
      done(this.ok ? { code: 0 } : { code: 1, error: new Error('nope') });
    }, this.ms);
  }
  async shutdown(): Promise<void> {
    this.shutdownCalls++;
    if (this.ms === Infinity) await new Promise(() => {});
  }
}

export { InMemorySpanExporter };

export interface Hit {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** Decompressed request body. */
  body: Buffer;
}

/**
 * A tiny HTTP forwarder that records every request (body decompressed) before passing it on to `target`: what the
 * agent process put on the wire.
 */
export async function startProxy(target: string): Promise<{ url: string; hits: Hit[]; close(): Promise<void> }> {
  const hits: Hit[] = [];
  const t = new URL(target);
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
      hits.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const fwd = request({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers: { ...req.headers, host: t.host } }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      fwd.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      fwd.end(raw);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A minimal synchronous context manager (the API's default one does not propagate `context.with`). */
export class SyncContextManager {
  private stack: import('@opentelemetry/api').Context[] = [];
  active() {
    return this.stack[this.stack.length - 1] ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: import('@opentelemetry/api').Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    this.stack.push(ctx);
    try {
      return fn.call(thisArg, ...args);
    } finally {
      this.stack.pop();
    }
  }
  bind<T>(_ctx: import('@opentelemetry/api').Context, target: T): T {
    return target;
  }
  enable() {
    return this;
  }
  disable() {
    this.stack = [];
    return this;
  }
}

/** diag messages at WARN and above, captured. */
export function captureDiag(api: typeof import('@opentelemetry/api')): { lines: string[]; restore(): void } {
  const lines: string[] = [];
  const push =
    (level: string) =>
    (msg: string, ...args: unknown[]) =>
      lines.push(`${level} ${msg} ${args.map(String).join(' ')}`.trim());
  api.diag.setLogger(
    { error: push('error'), warn: push('warn'), info: () => {}, debug: () => {}, verbose: () => {} },
    { logLevel: api.DiagLogLevel.WARN, suppressOverrideMessage: true },
  );
  return { lines, restore: () => api.diag.disable() };
}

type StoredSignal = Record<string, unknown> & { failure_type: string; detected_live: boolean };

/**
 * Asserts two runs' signals are the same findings. A signal found at completion must be equal in everything but
 * `detected_at`. A signal found live (on the open run) was judged on whatever spans had arrived by then, which depends
 * on how each path batched its exports: for those, what was found (type, severity, confidence, shadow) must match,
 * not the step numbers the partial run had.
 */
export function expectSameSignals(a: StoredSignal[], b: StoredSignal[], expectFn: (v: unknown, m?: string) => { toEqual(x: unknown): void }): void {
  const key = (s: StoredSignal) => s.failure_type;
  const sa = [...a].sort((x, y) => key(x).localeCompare(key(y)));
  const sb = [...b].sort((x, y) => key(x).localeCompare(key(y)));
  expectFn(sa.map(key)).toEqual(sb.map(key));
  sa.forEach((x, i) => {
    const y = sb[i];
    const pick = (s: StoredSignal) => {
      if (x.detected_live || y.detected_live) return { failure_type: s.failure_type, severity: s.severity, confidence: s.confidence, shadow: s.shadow };
      const { detected_at: _at, ...rest } = s;
      return rest;
    };
    expectFn(pick(x), `${x.failure_type}: ${JSON.stringify(x)} vs ${JSON.stringify(y)}`).toEqual(pick(y));
  });
}
