import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { disableGenkitOTelInitialization } from 'genkit/tracing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DunetraceSpanProcessor } from '../../src/index.js';
import { genkitAgents, type GenkitAgents } from './genkit-agent.js';
import { checkNoCanary, checkProcessorPath, checkRun, removeHarness, startHarness, type Harness } from './harness.js';
import { RootRecorder } from './observe.js';
import { newCanary, scenarios } from './scenarios.js';

/**
 * Genkit 1.x, real package end to end: Genkit's own `genkit:*` spans, the real OTel SDK and OTLP/HTTP (protobuf)
 * exporter, a real receiver process. Genkit bundles an OTel 1.x SDK whose spans a 2.x exporter cannot serialise, so
 * the app (here: this file, in a real app a preloaded `--import` module) registers the global 2.x tracer provider and
 * tells Genkit not to start its own (`disableGenkitOTelInitialization`); Genkit then traces through the OTel API into
 * that provider. The agent code is unchanged. Own file: it registers the global tracer provider.
 */
let h: Harness;
let provider: BasicTracerProvider;
let agents: GenkitAgents;
const roots = new RootRecorder();
/** The in-process path beside the exporter: DunetraceSpanProcessor's redacted output, kept in memory. */
const redacted = new InMemorySpanExporter();
const processor = new DunetraceSpanProcessor({ exporter: redacted, env: {} });
const runs = new Map<string, any>();
const canary = newCanary();
const SCENARIOS = scenarios(canary);

beforeAll(async () => {
  h = await startHarness();
  disableGenkitOTelInitialization();
  const exporter = new OTLPTraceExporter({ url: `${h.exportUrl}/v1/traces`, headers: { authorization: h.authorization } });
  provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'genkit-support-app' }),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 50 }), roots, processor],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  agents = genkitAgents(SCENARIOS, canary, roots);
});

afterAll(async () => {
  await provider?.shutdown();
  await h?.stop();
  removeHarness(h);
});

describe('Genkit 1.x (genkit:* spans)', () => {
  for (const s of SCENARIOS) {
    it(`${s.id}: the run shows exactly the agent's calls and the right signals`, async () => {
      const seen = await agents.run(s);
      await provider.forceFlush();
      const run = await h.run(seen.traceId);
      runs.set(seen.traceId, run);
      checkRun(run, s, seen, { tokens: true, toolRequests: true });
      // The flow names the agent.
      expect(run.agent_id).toBe(s.id === 'avoidance' ? 'draftAndRefine' : 'supportAgent');
    });
  }
});

describe('Genkit retrievers', () => {
  it('a retriever action is a retrieval: index, k, result count; empty before a final answer → RAG_EMPTY_RETRIEVAL', async () => {
    const found = await agents.runRag(
      `Where is my parcel? ${canary}`,
      [`Parcels ship in 2 days. ${canary}`, `Tracking is by email. ${canary}`],
      `In 2 days. ${canary}`,
    );
    const empty = await agents.runRag(`What is the refund policy? ${canary}`, [], `Refunds take 30 days. ${canary}`);
    await provider.forceFlush();
    for (const [seen, count, signals] of [
      [found, 2, []],
      [empty, 0, ['RAG_EMPTY_RETRIEVAL']],
    ] as const) {
      const run = await h.run(seen.traceId);
      runs.set(seen.traceId, run);
      expect(run).toMatchObject({ agent_id: 'answerFromDocs', status: 'completed', exit_reason: 'final_answer' });
      const types = run.events.map((e: any) => e.event_type);
      expect(types).toEqual(['run.started', 'retrieval.called', 'retrieval.responded', 'llm.called', 'llm.responded', 'run.completed']);
      expect(run.events[1].payload).toMatchObject({ index_name: 'knowledgeBase', top_k: 3, query_hash: expect.stringMatching(/^[0-9a-f]{32}$/) });
      expect(run.events[2].payload).toMatchObject({ index_name: 'knowledgeBase', result_count: count, success: true });
      expect(run.signals.map((x: any) => x.failure_type)).toEqual(signals);
    }
  });
});

describe('in-process path', () => {
  it('DunetraceSpanProcessor on the same agents: every span kept, no content exported, the same runs', async () => {
    await processor.forceFlush();
    checkProcessorPath(redacted.getFinishedSpans(), runs, canary);
  });
});

describe('privacy', () => {
  it('no canary from a prompt, tool argument, tool result, error or answer reaches the logs, the API or the database', async () => {
    await h.api('/v1/agents');
    await h.api('/v1/signals');
    await h.api('/v1/runs');
    const logs = await h.stop();
    // Prompt, system prompt, tool description, tool arguments, tool result, error message, answer.
    await checkNoCanary(h, canary, logs, [
      `help me please ${canary}`,
      `You are a support agent. ${canary}`,
      `(${canary})`,
      `${canary} where is my invoice`,
      `result of lookup_order`,
      `card declined ${canary}`,
      `Your order ships today. ${canary}`,
    ]);
  });
});
