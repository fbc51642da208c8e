import { createRequire } from 'node:module';
import { OpenAIInstrumentation } from '@opentelemetry/instrumentation-openai';
import type { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import type OpenAIType from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRun, removeHarness, startHarness, type Harness } from './harness.js';
import { RootRecorder } from './observe.js';
import { runOpenAIAgent } from './openai-agent.js';
import { startProviderStub, type ProviderStub } from './provider-stub.js';
import { newCanary, scenarios } from './scenarios.js';
import { semconvHooks } from './semconv-hooks.js';
import { closingChecks, inProcess, registerProvider } from './suite.js';

/**
 * The `openai` client through the OpenTelemetry contrib instrumentation (`@opentelemetry/instrumentation-openai`
 * 0.21.0, the last on the 0.2xx line that runs on Node 20), GenAI semantic conventions end to end: its `chat <model>`
 * spans (gen_ai.* usage, finish reasons; content only as log events, which a trace receiver never sees) under the
 * agent's own `invoke_agent` and `execute_tool` spans written as the conventions say (gen_ai.operation.name,
 * gen_ai.tool.name, gen_ai.tool.call.id, status ERROR + error.type; gen_ai.tool.definitions on the agent span), the
 * real OTel SDK and OTLP/protobuf exporter into a real receiver process, DunetraceSpanProcessor beside it.
 * The instrumentation patches `openai` through require hooks: the client is loaded with require (CommonJS), as an
 * app would after registering it (an ESM app registers `@opentelemetry/instrumentation/hook.mjs` with --import).
 * Own file: it registers the global tracer provider.
 */
let h: Harness;
let stub: ProviderStub;
let provider: BasicTracerProvider;
let OpenAI: typeof OpenAIType;
const roots = new RootRecorder();
const { processor, redacted } = inProcess();
const runs = new Map<string, any>();
const canary = newCanary();
const SCENARIOS = scenarios(canary);

beforeAll(async () => {
  h = await startHarness();
  stub = await startProviderStub(SCENARIOS);
  provider = registerProvider(h, 'genai-support-app', 'proto', [roots, processor]);
  const instrumentation = new OpenAIInstrumentation();
  instrumentation.setTracerProvider(provider);
  instrumentation.enable();
  OpenAI = (createRequire(import.meta.url)('openai') as { OpenAI: typeof OpenAIType }).OpenAI;
});

afterAll(async () => {
  await provider?.shutdown();
  await stub?.close();
  await h?.stop();
  removeHarness(h);
});

describe('openai through @opentelemetry/instrumentation-openai (GenAI semconv, execute_tool spans)', () => {
  for (const s of SCENARIOS) {
    it(`${s.id}: the run shows exactly the agent's calls and the right signals`, async () => {
      const client = new OpenAI({ apiKey: 'sk-stub', baseURL: stub.openaiURL, maxRetries: 0 });
      const before = stub.calls.get(s.id) ?? 0;
      let tools: { name: string; ok: boolean }[] = [];
      const traceId = await roots.traceOf(async () => {
        tools = (await runOpenAIAgent(client, s, canary, semconvHooks(s))).tools;
      });
      await provider.forceFlush();
      const run = await h.run(traceId);
      runs.set(traceId, run);
      checkRun(run, s, { traceId, llmCalls: (stub.calls.get(s.id) ?? 0) - before, tools }, { tokens: true });
      expect(run.agent_id).toBe('genai-support-app');
      // The instrumentation's own spans are the LLM calls: its scope, the GenAI names.
      expect(run.events.find((e: any) => e.event_type === 'llm.called').payload).toMatchObject({ model: 'gpt-4o-mini', provider: 'openai', operation: 'chat' });
    });
  }
});

closingChecks({
  harness: () => h,
  processor,
  redacted,
  runs,
  canary,
  // The contrib instrumentation puts prompts in log events, not on spans: on the wire are the agent's own tool
  // arguments, results and errors.
  sentIn: [`${canary} where is my invoice`, `result of lookup_order`, `card declined ${canary}`],
});
