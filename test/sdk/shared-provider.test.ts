import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { AlwaysOffSampler, BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dunetrace } from '../../src/sdk/index.js';
import { throughWire } from '../processor/helpers.js';

/**
 * The application already has an OpenTelemetry SDK provider (registered globally, with its own exporter): the SDK
 * joins it, so runs appear in the application's traces as standard GenAI spans, while content reaches only the
 * Dunetrace processor (hashed). The application's other traces are not exported to Dunetrace. This file registers
 * global OTel state: it runs alone in its worker (vitest forks pool isolates files).
 */
const CANARY = 'CANARY-shared-51c2';
const appExporter = new InMemorySpanExporter();
const appProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(appExporter)] });
const ours = new InMemorySpanExporter();
let dt: Dunetrace;

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(appProvider);
  dt = new Dunetrace({ spanExporter: ours, flushOnExit: false, logger: null, env: {}, flushIntervalMs: 0 });
});

afterAll(async () => {
  await dt.shutdown();
  await appProvider.shutdown();
});

const allText = (spans: { attributes: object; status: object; events: object[]; links: object[] }[]) =>
  JSON.stringify(spans.map((s) => [s.attributes, s.status, s.events, s.links]));

describe('an application with its own TracerProvider', () => {
  it("joins the global provider: the run is in the app's traces (no content there), hashed facts go to Dunetrace", async () => {
    const app = trace.getTracer('app');
    const { runId, requestTrace } = await app.startActiveSpan('POST /ask', async (request) => {
      const out = await dt.run('shared-agent', { userInput: `${CANARY} question`, tools: ['search'] }, async (run) => {
        // An instrumentation's span inside the run (OpenLLMetry, say) joins the run's trace.
        app.startSpan('chat gpt-4o', { attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o' } }).end();
        run.toolCalled('search', { q: `${CANARY} args` });
        run.toolResponded('search', false, 0, 3, `${CANARY} error`, `${CANARY} result`);
        run.finalAnswer(`${CANARY} answer`);
        return run.runId;
      });
      request.end();
      return { runId: out, requestTrace: request.spanContext().traceId };
    });
    app.startSpan('GET /health').end(); // another trace of the application
    await dt.flush();
    expect(dt.mode).toBe('global');

    // The application's exporter: our spans, structure only.
    const appSpans = appExporter.getFinishedSpans();
    const runSpans = appSpans.filter((s) => s.spanContext().traceId === runId);
    expect(runSpans.map((s) => s.name).sort()).toEqual(['chat gpt-4o', 'execute_tool search', 'invoke_agent shared-agent']);
    const tool = runSpans.find((s) => s.name === 'execute_tool search');
    expect(tool?.attributes).toMatchObject({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'search', 'error.type': '_OTHER' });
    expect(allText(appSpans)).not.toContain(CANARY);
    // The run is a trace of its own (one run on the receiver), linked to the request that started it.
    const root = runSpans.find((s) => s.name === 'invoke_agent shared-agent');
    expect(root?.parentSpanContext).toBeUndefined();
    expect(root?.links.map((l) => l.context.traceId)).toEqual([requestTrace]);

    // Dunetrace's exporter: the run's spans only, content as digests and facts.
    const exported = ours.getFinishedSpans();
    expect(new Set(exported.map((s) => s.spanContext().traceId))).toEqual(new Set([runId]));
    expect(exported).toHaveLength(3);
    expect(allText(exported)).not.toContain(CANARY);
    const wire = throughWire(exported);
    const exportedTool = wire.find((s) => s.name === 'execute_tool search');
    expect(exportedTool?.attributes['dunetrace.content.args.hash']).toMatch(/^[0-9a-f]{32}$/);
    expect(exportedTool?.status.message).toMatch(/^[0-9a-f]{32}$/);
    expect(wire.find((s) => s.parentSpanId === '')?.resource.attributes['dunetrace.agent_id']).toBe('shared-agent');
    expect(dt.stats.foreignSpans).toBe(2); // POST /ask and GET /health
  });

  it('an application sampler that drops the run does not hide it from Dunetrace (traced privately instead)', async () => {
    const dropped = new InMemorySpanExporter();
    const sampled = new BasicTracerProvider({ sampler: new AlwaysOffSampler(), spanProcessors: [new SimpleSpanProcessor(dropped)] });
    const exporter = new InMemorySpanExporter();
    const dt2 = new Dunetrace({ tracerProvider: sampled, spanExporter: exporter, flushOnExit: false, logger: null, env: {}, flushIntervalMs: 0 });
    const runId = await dt2.run('sampled-out', {}, (run) => {
      run.toolCalled('t');
      run.toolResponded('t', true);
      return run.runId;
    });
    await dt2.flush();
    expect(dt2.mode).toBe('provided');
    expect(dropped.getFinishedSpans()).toHaveLength(0);
    expect(exporter.getFinishedSpans().map((s) => s.spanContext().traceId)).toEqual([runId, runId]);
    await dt2.shutdown();
  });

  it('shutdown leaves the application provider running without the Dunetrace processor', async () => {
    const processors = (appProvider as unknown as { _activeSpanProcessor: { _spanProcessors: unknown[] } })._activeSpanProcessor._spanProcessors;
    expect(processors).toContain(dt.spanProcessor);
    await dt.shutdown();
    expect(processors).not.toContain(dt.spanProcessor);
    trace.getTracer('app').startSpan('after').end();
    expect(appExporter.getFinishedSpans().at(-1)?.name).toBe('after');
  });
});
