import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DunetraceSpanProcessor } from '../../src/index.js';
import { checkNoCanary, checkProcessorPath, checkRun, removeHarness, startHarness, type Harness } from './harness.js';
import { newCanary, scenarios } from './scenarios.js';
import { RootRecorder } from './observe.js';
import { functionIdOf, runVercelScenario, type Major } from './vercel-ai-agent.js';

/**
 * Vercel AI SDK 6 and 5, real packages end to end: the SDK's own spans (`experimental_telemetry`), the real OTel SDK
 * and OTLP/HTTP (JSON) exporter, a real receiver process. Own file: it registers the global tracer provider.
 */
let h: Harness;
let provider: BasicTracerProvider;
const roots = new RootRecorder();
/** The in-process path beside the exporter: DunetraceSpanProcessor's redacted output, kept in memory. */
const redacted = new InMemorySpanExporter();
const processor = new DunetraceSpanProcessor({ exporter: redacted, env: {} });
const runs = new Map<string, any>();
const canary = newCanary();
const SCENARIOS = scenarios(canary);

beforeAll(async () => {
  h = await startHarness();
  const exporter = new OTLPTraceExporter({ url: `${h.exportUrl}/v1/traces`, headers: { authorization: h.authorization } });
  provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'vercel-support-app' }),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 50 }), roots, processor],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
});

afterAll(async () => {
  await provider?.shutdown();
  await h?.stop();
  removeHarness(h);
});

describe.each([6, 5] as Major[])('Vercel AI SDK %i (experimental_telemetry)', (major) => {
  for (const s of SCENARIOS) {
    it(`${s.id}: the run shows exactly the agent's calls and the right signals`, async () => {
      const seen = await runVercelScenario(major, s, canary, roots);
      await provider.forceFlush();
      const run = await h.run(seen.traceId);
      runs.set(seen.traceId, run);
      checkRun(run, s, seen, { tokens: true, toolRequests: true });
      // functionId names the agent, unless the app's own span is the root (then service.name does).
      expect(run.agent_id).toBe(s.id === 'avoidance' ? 'vercel-support-app' : functionIdOf(major));
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
