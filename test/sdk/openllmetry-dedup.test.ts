import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import * as traceloop from '@traceloop/node-server-sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLlmStub, type LlmStub } from '../../examples/llm-stub.js';
import { openaiToolAgent } from '../../examples/tool-agent.js';
import { createHasher, mapSpan } from '../../src/mapping/index.js';
import { Dunetrace } from '../../src/sdk/index.js';
import { throughWire } from '../processor/helpers.js';

/**
 * The application runs OpenLLMetry (the real @traceloop/node-server-sdk, instrumenting the real `openai` client) and
 * also uses the Dunetrace SDK. The SDK joins Traceloop's global provider; when a call goes through `dt.wrapOpenAI`
 * as well, Traceloop's LLM span is a child of the wrapper's and is not exported to Dunetrace (`duplicateSpans`):
 * each model call counts once. Without the wrapper, Traceloop's spans inside `dt.run` are the run's LLM calls.
 * traceloop.initialize registers a global provider: this file runs alone in its worker.
 */
let stub: LlmStub;
const traceloopOut = new InMemorySpanExporter();
const ours = new InMemorySpanExporter();
let dt: Dunetrace;

beforeAll(async () => {
  stub = await startLlmStub({ loops: 2 });
  traceloop.initialize({
    appName: 'dedup-app',
    baseUrl: 'http://127.0.0.1:9', // never used: the exporter below takes the spans
    exporter: traceloopOut,
    disableBatch: true,
    traceloopSyncEnabled: false,
    silenceInitializationMessage: true,
    instrumentModules: { openAI: OpenAI as never },
  });
  dt = new Dunetrace({ spanExporter: ours, flushOnExit: false, logger: null, env: {}, flushIntervalMs: 0 });
});

afterAll(async () => {
  await dt?.shutdown();
  await stub?.close();
});

const hasher = createHasher();
const llmCalls = (runId: string) =>
  throughWire(ours.getFinishedSpans().filter((s) => s.spanContext().traceId === runId))
    .map((s) => mapSpan(s, { hasher }))
    .flatMap((m) => m.events)
    .filter((e) => e.event_type === 'llm.called');

describe('OpenLLMetry instrumenting openai + the Dunetrace SDK in the same process', () => {
  it('dt.wrapOpenAI on an instrumented client: every model call is counted once (the wrapper span)', async () => {
    const client = dt.wrapOpenAI(new OpenAI({ apiKey: 'sk-stub', baseURL: stub.baseURL, maxRetries: 0 }));
    const runId = await dt.run('dedup-agent', { userInput: 'q' }, async (run) => {
      const out = await openaiToolAgent(client, 'q', { search_docs: () => ({ hits: [] }) });
      expect(out.llmCalls).toBe(3);
      return run.runId;
    });
    await dt.flush();
    expect(dt.mode).toBe('global');
    // Traceloop did record each call (its own exporter has them), nested under the wrapper's span…
    const tl = traceloopOut.getFinishedSpans().filter((s) => s.spanContext().traceId === runId && s.instrumentationScope.name.includes('openai'));
    expect(tl).toHaveLength(3);
    // …and Dunetrace counted each call once.
    expect(llmCalls(runId)).toHaveLength(3);
    expect(dt.stats.duplicateSpans).toBe(3);
  });

  it('without the wrapper, the instrumentation spans inside dt.run are the run’s LLM calls', async () => {
    const plain = new OpenAI({ apiKey: 'sk-stub', baseURL: stub.baseURL, maxRetries: 0 });
    const before = dt.stats.duplicateSpans;
    const runId = await dt.run('instrumented-agent', { userInput: 'q' }, async (run) => {
      await openaiToolAgent(plain, 'q', { search_docs: () => ({ hits: [] }) });
      return run.runId;
    });
    await dt.flush();
    const calls = llmCalls(runId);
    expect(calls).toHaveLength(3);
    expect(calls[0].payload).toMatchObject({ model: 'gpt-4o-mini', provider: 'openai' });
    expect(dt.stats.duplicateSpans).toBe(before);
  });
});
