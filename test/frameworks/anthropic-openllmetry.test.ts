import Anthropic from 'anthropic-sdk-v0';
import * as AnthropicModule from 'anthropic-sdk-v0';
import * as traceloop from '@traceloop/node-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAnthropicAgent } from './anthropic-agent.js';
import { checkRun, removeHarness, startHarness, type Harness } from './harness.js';
import { startProviderStub, type ProviderStub } from './provider-stub.js';
import { newCanary, scenarios } from './scenarios.js';
import { closingChecks, inProcess, SENT_IN } from './suite.js';

/**
 * `@anthropic-ai/sdk` through OpenLLMetry (`@traceloop/node-server-sdk` 0.27 with its Anthropic instrumentation),
 * real packages end to end: a tool-calling agent on messages.create against a local Anthropic stub, `withAgent` /
 * `withTool`, Traceloop's own OTLP/protobuf exporter into a real receiver process, DunetraceSpanProcessor beside it.
 * The SDK (0.137) also traces itself (`anthropic.messages.create` under OpenLLMetry's `chat <model>`): one call seen
 * twice, counted once (runs/nested-llm.ts). `@anthropic-ai/sdk` 1.x cannot be used: it dropped `Completions`, which
 * the instrumentation patches unconditionally (initialize throws); 0.137.0 is installed under the npm alias
 * `anthropic-sdk-v0` (the SDK tests use 1.x). Own file: traceloop.initialize registers the
 * global tracer provider.
 */
let h: Harness;
let stub: ProviderStub;
const { processor, redacted } = inProcess();
const runs = new Map<string, any>();
const canary = newCanary();
const SCENARIOS = scenarios(canary);

beforeAll(async () => {
  h = await startHarness();
  stub = await startProviderStub(SCENARIOS);
  traceloop.initialize({
    appName: 'anthropic-support-app',
    baseUrl: h.exportUrl,
    headers: { Authorization: h.authorization },
    processor,
    traceloopSyncEnabled: false,
    silenceInitializationMessage: true,
    // The module itself; the cast only bridges Traceloop's CommonJS typing of it and this file's ESM import of it.
    instrumentModules: { anthropic: AnthropicModule as never },
  });
});

afterAll(async () => {
  await processor.shutdown();
  await stub?.close();
  await h?.stop();
  removeHarness(h);
});

const client = () => new Anthropic({ apiKey: 'sk-stub', baseURL: stub.anthropicURL, maxRetries: 0 });

describe('@anthropic-ai/sdk through OpenLLMetry (withAgent, withTool with failures recorded)', () => {
  for (const s of SCENARIOS) {
    it(`${s.id}: the run shows exactly the agent's calls and the right signals`, async () => {
      const before = stub.calls.get(s.id) ?? 0;
      const { traceId, tools } = await runAnthropicAgent(client(), s, canary, { safeTools: true });
      await traceloop.forceFlush();
      const run = await h.run(traceId);
      runs.set(traceId, run);
      checkRun(run, s, { traceId, llmCalls: (stub.calls.get(s.id) ?? 0) - before, tools }, { tokens: true, toolRequests: true });
      expect(run.agent_id).toBe('anthropic-support-app');
      // Anthropic's own spelling (tool_use, end_turn) arrives normalised.
      expect(run.events.filter((e: any) => e.event_type === 'llm.responded').map((e: any) => e.payload.finish_reason)).toEqual(
        s.turns.map((t) => ('tools' in t ? 'tool_calls' : 'stop')),
      );
    });
  }
});

describe("OpenLLMetry's withTool defect, as it is", () => {
  it('a tool that throws inside plain withTool is never exported: the run shows the LLM calls and no tool call', async () => {
    const s = SCENARIOS.find((x) => x.id === 'failing')!;
    const before = stub.calls.get(s.id) ?? 0;
    const { traceId, tools } = await runAnthropicAgent(client(), s, canary, { safeTools: false });
    await traceloop.forceFlush();
    const run = await h.run(traceId);
    expect(tools).toEqual([1, 2, 3].map(() => ({ name: 'charge_card', ok: false })));
    const of = (t: string) => run.events.filter((e: any) => e.event_type === t);
    expect(of('llm.called')).toHaveLength((stub.calls.get(s.id) ?? 0) - before);
    // The three failed calls left no span: no tool call, so no RETRY_STORM — only the model's requests show them.
    expect(of('tool.called')).toEqual([]);
    expect(of('llm.responded').flatMap((e: any) => e.payload.tool_calls.map((c: any) => c.name))).toEqual(['charge_card', 'charge_card', 'charge_card']);
    expect(run.signals.map((x: any) => x.failure_type)).not.toContain('RETRY_STORM');
  });
});

closingChecks({
  harness: () => h,
  processor,
  redacted,
  runs,
  canary,
  sentIn: SENT_IN(canary, { descriptions: false }),
});
