import { context, diag, TraceFlags, type Context, type DiagLogger } from '@opentelemetry/api';
import { ExportResultCode, suppressTracing, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createHasher } from '../mapping/index.js';
import { resolveProcessorConfig, type DunetraceSpanProcessorOptions, type ProcessorConfig } from './config.js';
import { serializeTraceRequest } from './otlp-proto.js';
import { BoundedQueue } from './queue.js';
import { createSpanRedactor, withBatchFacts } from './redact-span.js';
import { isAgentSpan } from './relevance.js';

/** Counters since construction. */
export interface DunetraceProcessorStats {
  /** Spans waiting in the queue now. */
  queuedSpans: number;
  /** Spans the exporter accepted. */
  exportedSpans: number;
  /**
   * Spans never handed to the exporter: the queue was full, they ended after shutdown began, they were still queued
   * when shutdown's deadline passed, or (a bug) they could not be redacted — a span is dropped, never sent raw.
   */
  droppedSpans: number;
  /** Spans handed to the exporter whose export failed or timed out. */
  failedSpans: number;
  /** Failed or timed-out exports. */
  failedExports: number;
  /** Spans not exported by design: not part of the agent's behaviour (see `passThroughOtherSpans`). */
  filteredSpans: number;
}

/** Process-wide environment variables of the OTel OTLP exporters; they configure the user's own exporter, not ours. */
const OTLP_ENV_PREFIX = 'OTEL_EXPORTER_OTLP_';

/**
 * Our default exporter must not inherit `OTEL_EXPORTER_OTLP_*` (headers, client certificates, endpoint) meant for
 * the application's primary exporter: that would hand another vendor's API key to the Dunetrace receiver. The
 * exporter reads them once, in its constructor, so it is built with them hidden (synchronously, then restored).
 */
function createDefaultExporter(config: ProcessorConfig): SpanExporter {
  const hidden: Record<string, string> = {};
  for (const key of Object.keys(process.env)) {
    if (!key.startsWith(OTLP_ENV_PREFIX)) continue;
    hidden[key] = process.env[key] as string;
    delete process.env[key];
  }
  try {
    return withOwnSerializer(new OTLPTraceExporter({ url: config.url, headers: { ...config.headers }, timeoutMillis: config.exportTimeoutMillis }));
  } finally {
    Object.assign(process.env, hidden);
  }
}

/**
 * Our exporter's request body written by otlp-proto.ts (the same bytes, ~half the CPU: serialization was a quarter
 * of the processor's). The OTel exporter takes no serializer option, so the one its delegate holds is swapped —
 * on our own exporter instance only, for the pinned @opentelemetry/exporter-trace-otlp-proto; if that shape ever
 * changes the exporter keeps its own serializer (test/processor/otlp-proto.test.ts fails on it).
 */
export function withOwnSerializer(exporter: OTLPTraceExporter): OTLPTraceExporter {
  const delegate = (exporter as unknown as { _delegate?: { _serializer?: unknown } })._delegate;
  const theirs = delegate?._serializer as { serializeRequest?: unknown; deserializeResponse?: (data: Uint8Array) => unknown } | undefined;
  if (delegate !== undefined && typeof theirs?.serializeRequest === 'function' && typeof theirs.deserializeResponse === 'function') {
    const deserializeResponse = theirs.deserializeResponse.bind(theirs);
    delegate._serializer = { serializeRequest: serializeTraceRequest, deserializeResponse };
  }
  return exporter;
}

const SUCCESS = ExportResultCode.SUCCESS;

/** Resolves after `ms` (unref'd: a pending bound never keeps the process alive). */
function delay(ms: number): { promise: Promise<void>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, ms));
    timer.unref();
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

/** Waits for `work`, but no longer than until `deadline` (epoch ms). Never rejects. */
async function until(work: Promise<unknown>, deadline: number): Promise<void> {
  const d = delay(deadline - Date.now());
  try {
    await Promise.race([work.catch(() => {}), d.promise]);
  } finally {
    d.cancel();
  }
}

/**
 * A SpanProcessor that keeps the spans of an agent run, replaces every prompt, completion, tool argument/result and
 * retrieval text by its SHA-256 (or HMAC-SHA256) digest with the mapping core the receiver runs, and exports them
 * over OTLP/HTTP to a Dunetrace receiver. Raw content never leaves the process.
 *
 * Modelled on the SDK's BatchSpanProcessorBase:
 *  - `onEnd` is synchronous and cheap: sampled check, relevance check (attribute lookups, never content), O(1) push
 *    into a bounded ring buffer; when it is full the span is dropped and counted. No I/O, no hashing.
 *  - Redaction happens at export time, in a timer callback off the agent's call path, one batch at a time; dropped
 *    spans are never hashed, so overload does not add CPU.
 *  - One export in flight; a single unref'd timer (`scheduledDelayMillis`, or immediately once a batch is full);
 *    each export is bounded by `exportTimeoutMillis` and runs under `suppressTracing` so the exporter's own HTTP
 *    request is not traced.
 *  - Exporter failures never reach user code. The first failure (or queue overflow, reported by the next export,
 *    never from onEnd) is logged once through `diag`; then nothing until an export succeeds with no span dropped,
 *    which logs the recovery at info level and re-arms the warning.
 *  - `forceFlush()` exports what is queued, `shutdown()` everything, each within `exportTimeoutMillis` overall.
 *    `shutdown()` is idempotent (repeat calls share one promise).
 */
export class DunetraceSpanProcessor implements SpanProcessor {
  private readonly config: ProcessorConfig;
  private readonly exporter: SpanExporter;
  /** Whether the exporter is our default one (posting to config.url). */
  private readonly ownExporter: boolean;
  private readonly redact: (span: ReadableSpan) => ReadableSpan;
  private readonly queue: BoundedQueue<ReadableSpan>;
  private readonly log: DiagLogger;
  private timer: NodeJS.Timeout | null = null;
  private timerImmediate = false;
  private inFlight: Promise<void> | null = null;
  private stopping = false;
  private shutdownPromise: Promise<void> | null = null;
  /**
   * Set when a problem is logged (an export failed, or the queue overflowed): further problems are only counted.
   * Cleared, with an info line, by the first export that succeeds with no span dropped since the previous export.
   */
  private troubled = false;
  /** Spans lost (failed or dropped) since `troubled` was set. */
  private lostWhileTroubled = 0;
  /** Spans dropped because the queue was full since the last export completed. */
  private droppedSinceExport = 0;
  private redactionWarned = false;
  private readonly counts = { exported: 0, dropped: 0, failed: 0, failedExports: 0, filtered: 0 };

  constructor(options: DunetraceSpanProcessorOptions = {}) {
    this.config = resolveProcessorConfig(options, options.env ?? process.env);
    this.log = options.logger ?? diag.createComponentLogger({ namespace: 'dunetrace' });
    if (this.config.clampedBatchSize) {
      this.log.warn(`maxExportBatchSize is larger than maxQueueSize; using ${this.config.maxExportBatchSize}`);
    }
    this.ownExporter = options.exporter === undefined;
    this.exporter = options.exporter ?? createDefaultExporter(this.config);
    this.redact = createSpanRedactor({
      hasher: createHasher(this.config.hashKey !== null ? { key: this.config.hashKey } : {}),
      agentId: this.config.agentId,
    });
    this.queue = new BoundedQueue(this.config.maxQueueSize);
  }

  /** Spans dropped without being sent (see `stats.droppedSpans`). */
  get droppedSpans(): number {
    return this.counts.dropped;
  }

  get stats(): DunetraceProcessorStats {
    return {
      queuedSpans: this.queue.length,
      exportedSpans: this.counts.exported,
      droppedSpans: this.counts.dropped,
      failedSpans: this.counts.failed,
      failedExports: this.counts.failedExports,
      filteredSpans: this.counts.filtered,
    };
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    try {
      if (this.stopping) {
        this.counts.dropped++;
        return;
      }
      if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
      if (!this.config.passThroughOtherSpans && !isAgentSpan(span)) {
        this.counts.filtered++;
        return;
      }
      if (!this.queue.push(span)) {
        // Counted only: the next export outcome reports it (no logging on the agent's path).
        this.counts.dropped++;
        this.droppedSinceExport++;
        return;
      }
      this.schedule();
    } catch {
      // Never throw into the code that ended the span.
    }
  }

  forceFlush(): Promise<void> {
    if (this.shutdownPromise !== null) return this.shutdownPromise;
    const batches = Math.ceil(this.queue.length / this.config.maxExportBatchSize);
    return until(this.drain(batches), Date.now() + this.config.exportTimeoutMillis);
  }

  shutdown(): Promise<void> {
    return (this.shutdownPromise ??= this.doShutdown());
  }

  private async doShutdown(): Promise<void> {
    this.stopping = true;
    this.clearTimer();
    const deadline = Date.now() + this.config.exportTimeoutMillis;
    await until(this.drain(Infinity), deadline);
    // Whatever the deadline left behind is lost: count it, and let go of the spans.
    this.counts.dropped += this.queue.clear();
    let exporterShutdown: Promise<void>;
    try {
      exporterShutdown = Promise.resolve(this.exporter.shutdown());
    } catch {
      exporterShutdown = Promise.resolve();
    }
    await until(exporterShutdown, deadline);
  }

  /** Exports up to `batches` batches one after the other, then waits for the export in flight, if any. */
  private async drain(batches: number): Promise<void> {
    for (let i = 0; i < batches && this.queue.length > 0; i++) await this.exportNext();
    while (this.inFlight !== null) await this.inFlight;
  }

  /** Arms the timer: at once when a batch is full, else after scheduledDelayMillis. Never exports synchronously. */
  private schedule(): void {
    if (this.stopping || this.queue.length === 0) return;
    const full = this.queue.length >= this.config.maxExportBatchSize;
    if (this.timer !== null) {
      if (!full || this.timerImmediate) return;
      clearTimeout(this.timer);
    }
    this.timerImmediate = full;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        void this.exportNext();
      },
      full ? 0 : this.config.scheduledDelayMillis,
    );
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Exports the next batch once no export is in flight (one at a time), then re-arms the timer. Never rejects. */
  private async exportNext(): Promise<void> {
    while (this.inFlight !== null) await this.inFlight;
    if (this.queue.length === 0) return;
    const p = this.exportBatch(this.queue.take(this.config.maxExportBatchSize));
    this.inFlight = p;
    try {
      await p;
    } finally {
      if (this.inFlight === p) this.inFlight = null;
      this.schedule();
    }
  }

  private async exportBatch(sources: ReadableSpan[]): Promise<void> {
    try {
      await this.waitForResources(sources);
      const spans: ReadableSpan[] = [];
      for (const s of withBatchFacts(sources)) {
        try {
          spans.push(this.redact(s));
        } catch (err) {
          // A span that cannot be redacted is dropped: it is never exported raw.
          this.counts.dropped++;
          if (!this.redactionWarned) {
            this.redactionWarned = true;
            this.log.error('a span could not be redacted and was dropped (further cases are only counted)', (err as Error)?.message);
          }
        }
      }
      if (spans.length === 0) return;
      const result = await this.send(spans);
      if (result.code === SUCCESS) {
        this.counts.exported += spans.length;
        const dropped = this.takeDropped();
        if (dropped > 0) {
          this.trouble(
            `the span queue was full (maxQueueSize ${this.config.maxQueueSize}): ${dropped} spans were dropped while exports to ${this.target()} caught up`,
            dropped,
            'warn',
          );
        } else if (this.troubled) {
          this.troubled = false;
          this.log.info(`exports to ${this.target()} succeed again (${this.lostWhileTroubled} spans were lost meanwhile)`);
          this.lostWhileTroubled = 0;
        }
      } else {
        this.counts.failed += spans.length;
        this.counts.failedExports++;
        this.trouble(`export to ${this.target()} failed (${describe(result.error)}); spans are lost while it fails`, spans.length + this.takeDropped());
      }
    } catch (err) {
      // Defensive: nothing above should throw, and nothing may escape into the timer callback.
      this.counts.failed += sources.length;
      this.counts.failedExports++;
      this.trouble(`export failed (${describe(err)})`, sources.length + this.takeDropped());
    }
  }

  /** One export, bounded by exportTimeoutMillis, under suppressed tracing. */
  private send(spans: ReadableSpan[]): Promise<ExportResult> {
    return new Promise<ExportResult>((resolve) => {
      let settled = false;
      const settle = (r: ExportResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(r);
      };
      const timer = setTimeout(
        () => settle({ code: ExportResultCode.FAILED, error: new Error(`export timed out after ${this.config.exportTimeoutMillis} ms`) }),
        this.config.exportTimeoutMillis,
      );
      timer.unref();
      try {
        context.with(suppressTracing(context.active()), () => this.exporter.export(spans, settle));
      } catch (err) {
        settle({ code: ExportResultCode.FAILED, error: err instanceof Error ? err : new Error(String(err)) });
      }
    });
  }

  /** Like the SDK: spans whose resource still has async attributes pending wait for them before export. */
  private async waitForResources(spans: ReadableSpan[]): Promise<void> {
    let pending: Promise<void>[] | null = null;
    for (const s of spans) {
      const r = s.resource;
      if (r.asyncAttributesPending && typeof r.waitForAsyncAttributes === 'function') (pending ??= []).push(r.waitForAsyncAttributes());
    }
    if (pending !== null) await Promise.all(pending);
  }

  private takeDropped(): number {
    const n = this.droppedSinceExport;
    this.droppedSinceExport = 0;
    return n;
  }

  private trouble(message: string, lost: number, level: 'error' | 'warn' = 'error'): void {
    this.lostWhileTroubled += lost;
    if (this.troubled) return;
    this.troubled = true;
    this.log[level](`${message}. Further losses are counted (processor.stats), not logged, until an export succeeds with none.`);
  }

  private target(): string {
    return this.ownExporter ? this.config.url : 'the configured exporter';
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return err === undefined ? 'unknown error' : typeof err === 'string' ? err : (JSON.stringify(err) ?? typeof err);
}
