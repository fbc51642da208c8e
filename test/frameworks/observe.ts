import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Turn } from './scenarios.js';

/**
 * What a framework test sees its agent do, counted by the scripted model and the tools themselves (never read back
 * from telemetry), and the trace ids of its runs. No vitest import: capture.ts runs the agents outside the runner.
 */

/** What the agent did. */
export interface Observed {
  traceId: string;
  /** Model calls the scripted model served. */
  llmCalls: number;
  /** Tool executions in call order; ok = returned, not thrown. */
  tools: { name: string; ok: boolean }[];
}

/**
 * How long a scripted model call takes. A real model call takes far longer than a millisecond; a mock that answers
 * in microseconds is not just unrealistic, it makes span order ambiguous: the OTel JS SDK takes a span's start time
 * from Date.now() (whole milliseconds) and its end as start + a precise duration, so two calls in one millisecond can
 * come out in either order.
 */
export const MODEL_LATENCY_MS = 3;
export const modelLatency = () => new Promise<void>((r) => setTimeout(r, MODEL_LATENCY_MS));

/** A cursor over a scenario's turns for a framework's mock model: one turn per model call, counted. */
export class Script {
  calls = 0;
  constructor(readonly turns: readonly Turn[]) {}
  next(): Turn {
    const t = this.turns[this.calls];
    if (t === undefined) throw new Error(`the model was called ${this.calls + 1} times, the script has ${this.turns.length} turns`);
    this.calls++;
    return t;
  }
}

/** Records tool executions in order. */
export class ToolLog {
  readonly calls: { name: string; ok: boolean }[] = [];
  record(name: string, ok: boolean): void {
    this.calls.push({ name, ok });
  }
}

/** Records the trace id of every root span that ends (the run ids), in order. Observation only. */
export class RootRecorder implements SpanProcessor {
  readonly traceIds: string[] = [];
  onStart(_span: Span, _ctx: Context): void {}
  onEnd(span: ReadableSpan): void {
    if (span.parentSpanContext === undefined) this.traceIds.push(span.spanContext().traceId);
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }

  /** The one trace started by `run` (some frameworks end their root span just after returning: waits up to 1 s). */
  async traceOf(run: () => Promise<unknown>): Promise<string> {
    const before = this.traceIds.length;
    await run();
    for (let i = 0; i < 100 && this.traceIds.length === before; i++) await new Promise((r) => setTimeout(r, 10));
    const ids = this.traceIds.slice(before);
    if (ids.length !== 1) throw new Error(`expected one trace, got ${ids.length}`);
    return ids[0];
  }
}
