import { traceAgent, traceTool } from '@arizeai/openinference-core';
import { OpenAIInstrumentation } from '@arizeai/openinference-instrumentation-openai';
import type { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRun, removeHarness, startHarness, type Harness } from './harness.js';
import { RootRecorder } from './observe.js';
import { runOpenAIAgent } from './openai-agent.js';
import { startProviderStub, type ProviderStub } from './provider-stub.js';
import { newCanary, scenarios } from './scenarios.js';
import { closingChecks, inProcess, registerProvider, SENT_IN } from './suite.js';

/**
 * The `openai` client through OpenInference (`@arizeai/openinference-instrumentation-openai` 4.2.7), real packages
 * end to end: a plain tool-calling agent on chat.completions against a local OpenAI stub, its run and tool calls
 * wrapped with OpenInference's own `traceAgent` / `traceTool` (`@arizeai/openinference-core`), the real OTel SDK and
 * OTLP/HTTP (JSON) exporter into a real receiver process, DunetraceSpanProcessor beside it. The LLM spans carry the
 * tools offered (`llm.tools`), the requested calls and `llm.finish_reason`; a `traceTool` span is named after the tool.
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
  provider = registerProvider(h, 'openai-support-app', 'http', [roots, processor]);
  // ESM: OpenInference's documented manual step (require hooks do not see an ESM import).
  const instrumentation = new OpenAIInstrumentation();
  instrumentation.setTracerProvider(provider);
  instrumentation.manuallyInstrument(OpenAI);
});

afterAll(async () => {
  await provider?.shutdown();
  await stub?.close();
  await h?.stop();
  removeHarness(h);
});

describe('openai through OpenInference (traceAgent / traceTool)', () => {
  for (const s of SCENARIOS) {
    it(`${s.id}: the run shows exactly the agent's calls and the right signals`, async () => {
      const client = new OpenAI({ apiKey: 'sk-stub', baseURL: stub.openaiURL, maxRetries: 0 });
      const before = stub.calls.get(s.id) ?? 0;
      let tools: { name: string; ok: boolean }[] = [];
      const traceId = await roots.traceOf(async () => {
        const out = await runOpenAIAgent(client, s, canary, {
          agent: (fn) => traceAgent(fn, { name: 'support-agent' })(),
          tool: (name, _id, args, fn) => traceTool((_args: string) => fn(), { name })(args),
        });
        tools = out.tools;
      });
      await provider.forceFlush();
      const run = await h.run(traceId);
      runs.set(traceId, run);
      checkRun(run, s, { traceId, llmCalls: (stub.calls.get(s.id) ?? 0) - before, tools }, { tokens: true, toolRequests: true });
      expect(run.agent_id).toBe('openai-support-app');
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
