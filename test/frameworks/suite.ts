import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter as HttpExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, InMemorySpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { DunetraceSpanProcessor } from '../../src/index.js';
import { checkNoCanary, checkProcessorPath, type Harness } from './harness.js';

/**
 * What the LangChain / openai / Anthropic framework tests share beyond harness.ts: the global OTel 2.x provider an app
 * registers (real OTLP exporter to the harness, the processor beside it), and the closing checks every file makes
 * (the in-process path on the same agents, then the privacy sweep).
 */

/** The in-process path beside the exporter: DunetraceSpanProcessor's redacted output, kept in memory. */
export function inProcess(): { processor: DunetraceSpanProcessor; redacted: InMemorySpanExporter } {
  const redacted = new InMemorySpanExporter();
  return { processor: new DunetraceSpanProcessor({ exporter: redacted, env: {} }), redacted };
}

/** A global provider exporting OTLP (`proto` or `http` JSON) to the harness, with the AsyncLocalStorage context manager. */
export function registerProvider(h: Harness, service: string, wire: 'proto' | 'http', extra: SpanProcessor[]): BasicTracerProvider {
  const Exporter = wire === 'proto' ? ProtoExporter : HttpExporter;
  const exporter = new Exporter({ url: `${h.exportUrl}/v1/traces`, headers: { authorization: h.authorization } });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 50 }), ...extra],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  return provider;
}

export interface ClosingChecks {
  harness: () => Harness;
  processor: DunetraceSpanProcessor;
  redacted: InMemorySpanExporter;
  /** The runs the scenario tests saw, by trace id. */
  runs: Map<string, any>;
  canary: string;
  /** Kinds of content the agents sent the canary in (each must be seen on the wire). */
  sentIn: string[];
  /** More checks on the receiver's log, after it stopped. */
  logs?: (logs: string) => void;
}

/** The in-process path and the privacy sweep, last in a file (the sweep stops the receiver). */
export function closingChecks(c: ClosingChecks): void {
  describe('in-process path', () => {
    it('DunetraceSpanProcessor on the same agents: every span kept, no content exported, the same runs', async () => {
      await c.processor.forceFlush();
      checkProcessorPath(c.redacted.getFinishedSpans(), c.runs, c.canary);
    });
  });

  describe('privacy', () => {
    it('no canary from a prompt, tool argument, tool result, error or answer reaches the logs, the API or the database', async () => {
      const h = c.harness();
      await h.api('/v1/agents');
      await h.api('/v1/signals');
      const logs = await h.stop();
      c.logs?.(logs);
      expect(c.sentIn.length).toBeGreaterThan(0);
      await checkNoCanary(h, c.canary, logs, c.sentIn);
    });
  });
}

/** The content the scenario agents send, each carrying the canary (tools' descriptions only where recorded). */
export const SENT_IN = (canary: string, o: { descriptions: boolean }) => [
  `help me please ${canary}`,
  `You are a support agent. ${canary}`,
  ...(o.descriptions ? [`(${canary})`] : []),
  `${canary} where is my invoice`,
  `result of lookup_order`,
  `card declined ${canary}`,
  `Your order ships today. ${canary}`,
];
