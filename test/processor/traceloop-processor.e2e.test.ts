import * as traceloop from '@traceloop/node-server-sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLlmStub, type LlmStub } from '../../examples/llm-stub.js';
import { runSupportAgent } from '../../examples/support-agent.js';
import { DunetraceSpanProcessor } from '../../src/index.js';
import { DEV_KEY, startReceiver, waitForClosedRun, type Running } from '../helpers/receiver.js';
import { expectSameSignals, startProxy } from './helpers.js';

/**
 * Real packages end to end, path (a): the real @traceloop/node-server-sdk instruments the real `openai` client
 * talking to a local stub model; our processor is attached (`initialize({ processor })`) and exports through a
 * recording proxy to receiver A. Traceloop's own exporter sends the same spans raw to receiver B (the zero-change
 * path), so the two runs can be compared. traceloop.initialize registers a global provider: this file runs alone in
 * its worker (vitest forks pool isolates files).
 */
const CANARY = 'CANARY-tl-9e41';

/** A run closes 500 ms after its root span: long enough that a child exported concurrently is never late. */
const GRACE = { DUNETRACE_RUN_GRACE_MS: '500' };

let a: Running;
let b: Running;
let proxyA: Awaited<ReturnType<typeof startProxy>>;
let proxyB: Awaited<ReturnType<typeof startProxy>>;
let llm: LlmStub;
let processor: DunetraceSpanProcessor;

beforeAll(async () => {
  [a, b] = await Promise.all([startReceiver(GRACE), startReceiver(GRACE)]);
  [proxyA, proxyB] = await Promise.all([startProxy(a.url), startProxy(b.url)]);
  llm = await startLlmStub({ loops: 5 });
  processor = new DunetraceSpanProcessor({ endpoint: proxyA.url, apiKey: DEV_KEY, agentId: 'support-agent', scheduledDelayMillis: 50, env: {} });
  traceloop.initialize({
    appName: 'support-agent-svc',
    baseUrl: proxyB.url,
    headers: { Authorization: `Bearer ${DEV_KEY}` },
    disableBatch: true,
    processor,
    traceloopSyncEnabled: false,
    silenceInitializationMessage: true,
    instrumentModules: { openAI: OpenAI as never },
  });
});

afterAll(async () => {
  await processor?.shutdown();
  await Promise.all([llm?.close(), proxyA?.close(), proxyB?.close()]);
  await Promise.all([a?.close(), b?.close()]);
});

describe('Traceloop + openai with DunetraceSpanProcessor attached', () => {
  it('stores the run, flags TOOL_LOOP, equals the raw path, and no content crossed the wire', async () => {
    const client = new OpenAI({ apiKey: 'sk-stub', baseURL: llm.baseURL, maxRetries: 0 });
    const result = await runSupportAgent(client, `How do I rotate my API key? ${CANARY}`);
    expect(result).toMatchObject({ llmCalls: 6, toolCalls: 5 });
    expect(result.answer).toContain(CANARY);
    await Promise.all([processor.forceFlush(), traceloop.forceFlush()]);

    const [runA, runB] = await Promise.all([waitForClosedRun(a.url, result.traceId), waitForClosedRun(b.url, result.traceId)]);
    expect(runA).toMatchObject({ agent_id: 'support-agent', status: 'completed', exit_reason: 'final_answer', step_count: 11, span_count: 12 });
    const types = runA.events.map((e: { event_type: string }) => e.event_type);
    expect(types.filter((t: string) => t === 'llm.called')).toHaveLength(6);
    expect(types.filter((t: string) => t === 'tool.called')).toHaveLength(5);
    const llmCalled = runA.events.find((e: any) => e.event_type === 'llm.called');
    expect(llmCalled.payload).toMatchObject({ model: 'gpt-4o-mini', provider: 'openai' });
    expect(llmCalled.payload.input_hash).toMatch(/^[0-9a-f]{32}$/);

    // The receiver runs the detectors of detectors.yml: the loop is flagged.
    const loop = runA.signals.find((s: { failure_type: string }) => s.failure_type === 'TOOL_LOOP');
    expect(loop?.evidence).toMatchObject({ tool: 'search_docs', count: 5, args_identical: true });

    // Same run through the raw exporter (hashing in the receiver): equal events and signals.
    expect(runB.agent_id).toBe('support-agent-svc');
    expect(runA.events).toEqual(runB.events);
    expectSameSignals(runA.signals, runB.signals, expect);

    // The wire: digests only from the processor; the canary was really in the spans (it reached B raw).
    expect(proxyA.hits.length).toBeGreaterThan(0);
    for (const hit of proxyA.hits) {
      expect(hit.headers['content-type']).toMatch(/application\/x-protobuf/);
      expect(hit.body.toString('latin1')).not.toContain(CANARY);
    }
    expect(proxyB.hits.map((h) => h.body.toString('latin1')).join('')).toContain(CANARY);
    expect(processor.stats).toMatchObject({ exportedSpans: 12, droppedSpans: 0, failedSpans: 0 });
  });
});
