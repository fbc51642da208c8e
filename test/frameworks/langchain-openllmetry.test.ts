import { trace, type Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import * as traceloop from '@traceloop/node-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRun, removeHarness, startHarness, type Harness } from './harness.js';
import { langGraphAgent, toolDefinitions } from './langchain-agent.js';
import { startProviderStub, type ProviderStub } from './provider-stub.js';
import { newCanary, scenarios } from './scenarios.js';
import { closingChecks, inProcess, SENT_IN } from './suite.js';

/**
 * LangChain.js + LangGraph through OpenLLMetry (`@traceloop/node-server-sdk` 0.27, its LangChain instrumentation),
 * real packages end to end: LangGraph's prebuilt ReAct agent with `tool()` tools and ChatOpenAI against a local
 * OpenAI stub, Traceloop's own OTLP/protobuf exporter into a real receiver process, DunetraceSpanProcessor beside it.
 * Own file: traceloop.initialize registers the global tracer provider.
 *
 * What OpenLLMetry sends and how it is read (mapping/dialects/openllmetry-langchain.ts): tool spans are named after
 * the tool's class, the real name comes from the ToolMessage result, or for a tool that threw from the LangGraph
 * tools node around it; tool definitions are on no span, so the agent span carries them (one line, below); without
 * withWorkflow every step is its own trace (runs/split-traces.ts).
 */
let h: Harness;
let stub: ProviderStub;
const { processor, redacted } = inProcess();
const runs = new Map<string, any>();
const canary = newCanary();
const SCENARIOS = scenarios(canary);

/** Root spans as they end (name and trace), beside the processor: Traceloop takes one extra processor. */
const roots: { name: string; traceId: string }[] = [];
const both: SpanProcessor = {
  onStart: (span: Span, ctx: Context) => processor.onStart(span, ctx),
  onEnd(span: ReadableSpan) {
    if (span.parentSpanContext === undefined) roots.push({ name: span.name, traceId: span.spanContext().traceId });
    processor.onEnd(span);
  },
  forceFlush: () => processor.forceFlush(),
  shutdown: () => processor.shutdown(),
};

beforeAll(async () => {
  h = await startHarness();
  stub = await startProviderStub(SCENARIOS);
  // Exports only on forceFlush: what arrives together is decided by the test, not by a 5 s timer.
  process.env.OTEL_BSP_SCHEDULE_DELAY = '600000';
  traceloop.initialize({
    appName: 'langchain-support-app',
    baseUrl: h.exportUrl,
    headers: { Authorization: h.authorization },
    processor: both,
    traceloopSyncEnabled: false,
    silenceInitializationMessage: true,
  });
});

afterAll(async () => {
  delete process.env.OTEL_BSP_SCHEDULE_DELAY;
  await processor.shutdown();
  await stub?.close();
  await h?.stop();
  removeHarness(h);
});

describe('LangChain.js + LangGraph through OpenLLMetry (withWorkflow)', () => {
  for (const s of SCENARIOS) {
    it(`${s.id}: the run shows exactly the agent's calls and the right signals`, async () => {
      const agent = langGraphAgent(s, canary, stub);
      let traceId = '';
      await traceloop.withWorkflow({ name: 'support-agent' }, async () => {
        const span = trace.getActiveSpan();
        traceId = span?.spanContext().traceId ?? '';
        // OpenLLMetry records no tool definitions: say which tools the agent has (TOOL_AVOIDANCE needs them).
        span?.setAttribute('gen_ai.tool.definitions', toolDefinitions(agent.tools));
        await agent.invoke();
      });
      await traceloop.forceFlush();
      const run = await h.run(traceId);
      runs.set(traceId, run);
      checkRun(run, s, agent.observed(traceId), { tokens: true });
      expect(run.agent_id).toBe('langchain-support-app');
      // Never the class name: every call carries the tool's own name (checkRun compared them with the tools run).
      expect(JSON.stringify(run.events)).not.toContain('DynamicStructuredTool');
    });
  }
});

describe('without withWorkflow (every LangChain step its own trace)', () => {
  it('the one-span traces of one invocation become one run, and the receiver says which wrapper to add', async () => {
    const s = SCENARIOS.find((x) => x.id === 'clean')!;
    const agent = langGraphAgent(s, canary, stub);
    const from = roots.length;
    await agent.invoke();
    await traceloop.forceFlush();
    const mine = roots.slice(from);
    // As emitted: LLM, tool and chain spans each a root of its own trace.
    expect(mine.length).toBeGreaterThan(5);
    expect(new Set(mine.map((r) => r.traceId)).size).toBe(mine.length);
    const graph = mine.find((r) => r.name === 'workflow CompiledStateGraph');
    expect(graph).toBeDefined();

    const run = await h.run(graph!.traceId);
    const of = (t: string) => run.events.filter((e: any) => e.event_type === t);
    expect([run.status, run.exit_reason]).toEqual(['completed', 'final_answer']);
    expect(run.span_count, `adopted of ${JSON.stringify(mine.map((r) => r.name))}`).toBe(mine.length);
    expect(of('llm.called')).toHaveLength(2);
    expect(of('tool.called').map((e: any) => e.payload.tool_name)).toEqual(['lookup_order']);
    // The other traces were adopted: no one-span runs.
    for (const r of mine.filter((x) => x !== graph)) {
      const res = await fetch(`${h.apiUrl}/v1/runs/${r.traceId}`, { headers: { authorization: h.authorization } });
      expect(res.status, r.name).toBe(404);
    }
  });
});

closingChecks({
  harness: () => h,
  processor,
  redacted,
  runs,
  canary,
  sentIn: SENT_IN(canary, { descriptions: false }),
  // The split-trace diagnosis names the wrapper to add.
  logs: (logs) => expect(logs).toContain('traceloop.withWorkflow'),
});
