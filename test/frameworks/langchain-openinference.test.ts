import { LangChainInstrumentation } from '@arizeai/openinference-instrumentation-langchain';
import * as CallbackManagerModule from '@langchain/core/callbacks/manager';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DunetraceSpanProcessor } from '../../src/index.js';
import { checkNoCanary, checkProcessorPath, checkRun, removeHarness, startHarness, type Harness } from './harness.js';
import { langGraphAgent } from './langchain-agent.js';
import { RootRecorder } from './observe.js';
import { startProviderStub, type ProviderStub } from './provider-stub.js';
import { newCanary, scenarios } from './scenarios.js';

/**
 * LangChain.js + LangGraph through OpenInference (`@arizeai/openinference-instrumentation-langchain` 4.1.1), real
 * packages end to end: the same LangGraph agents as the OpenLLMetry test, the OpenInference callback handler, the
 * real OTel SDK and OTLP/protobuf exporter into a real receiver process, DunetraceSpanProcessor beside it. No agent
 * change: OpenInference parents every step under the graph's own span, names tools by their own name (`tool.name`),
 * records the tools offered (`llm.tools`) and each response's `llm.finish_reason` (so runs end in final_answer).
 * Own file: it registers the global tracer provider.
 */
let h: Harness;
let stub: ProviderStub;
let provider: BasicTracerProvider;
const roots = new RootRecorder();
const redacted = new InMemorySpanExporter();
const processor = new DunetraceSpanProcessor({ exporter: redacted, env: {} });
const runs = new Map<string, any>();
const canary = newCanary();
const SCENARIOS = scenarios(canary);

beforeAll(async () => {
  h = await startHarness();
  stub = await startProviderStub(SCENARIOS);
  const exporter = new OTLPTraceExporter({ url: `${h.exportUrl}/v1/traces`, headers: { authorization: h.authorization } });
  provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'langgraph-support-app' }),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 50 }), roots, processor],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  // @langchain/core's module layout defeats require hooks: OpenInference's documented manual step.
  new LangChainInstrumentation().manuallyInstrument(CallbackManagerModule);
});

afterAll(async () => {
  await provider?.shutdown();
  await stub?.close();
  await h?.stop();
  removeHarness(h);
});

describe('LangChain.js + LangGraph through OpenInference', () => {
  for (const s of SCENARIOS) {
    it(`${s.id}: the run shows exactly the agent's calls and the right signals`, async () => {
      const agent = langGraphAgent(s, canary, stub);
      const traceId = await roots.traceOf(() => agent.invoke());
      await provider.forceFlush();
      const run = await h.run(traceId);
      runs.set(traceId, run);
      checkRun(run, s, agent.observed(traceId), { tokens: true, toolRequests: true });
      expect(run.agent_id).toBe('langgraph-support-app');
    });
  }
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
    const logs = await h.stop();
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
