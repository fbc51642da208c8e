import { LangChainInstrumentation } from '@arizeai/openinference-instrumentation-langchain';
import * as CallbackManagerModule from '@langchain/core/callbacks/manager';
import type { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRun, removeHarness, startHarness, type Harness } from './harness.js';
import { langGraphAgent } from './langchain-agent.js';
import { RootRecorder } from './observe.js';
import { startProviderStub, type ProviderStub } from './provider-stub.js';
import { newCanary, scenarios } from './scenarios.js';
import { closingChecks, inProcess, registerProvider, SENT_IN } from './suite.js';

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
const { processor, redacted } = inProcess();
const runs = new Map<string, any>();
const canary = newCanary();
const SCENARIOS = scenarios(canary);

beforeAll(async () => {
  h = await startHarness();
  stub = await startProviderStub(SCENARIOS);
  provider = registerProvider(h, 'langgraph-support-app', 'proto', [roots, processor]);
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

closingChecks({
  harness: () => h,
  processor,
  redacted,
  runs,
  canary,
  sentIn: SENT_IN(canary, { descriptions: true }),
});
