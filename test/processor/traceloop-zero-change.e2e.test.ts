import * as traceloop from '@traceloop/node-server-sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLlmStub, type LlmStub } from '../../examples/llm-stub.js';
import { runSupportAgent } from '../../examples/support-agent.js';
import { DEV_KEY, startReceiver, waitForClosedRun, type Running } from '../helpers/receiver.js';
import { startProxy } from './helpers.js';

/**
 * Real packages end to end, path (b), the zero-change path: an existing OpenLLMetry setup only points Traceloop's
 * exporter at the receiver (TRACELOOP_BASE_URL, key in TRACELOOP_API_KEY). Traceloop's default OTLP/protobuf
 * exporter sends raw spans; the receiver hashes them. Own file: traceloop.initialize registers a global provider.
 */
/** A run closes 500 ms after its root span: long enough that a child exported concurrently is never late. */
const GRACE = { DUNETRACE_RUN_GRACE_MS: '500' };

let receiver: Running;
let proxy: Awaited<ReturnType<typeof startProxy>>;
let llm: LlmStub;

beforeAll(async () => {
  receiver = await startReceiver(GRACE);
  proxy = await startProxy(receiver.url);
  llm = await startLlmStub({ loops: 5 });
  process.env.TRACELOOP_BASE_URL = proxy.url;
  process.env.TRACELOOP_API_KEY = DEV_KEY;
  traceloop.initialize({
    appName: 'zero-change-agent',
    disableBatch: true,
    silenceInitializationMessage: true,
    instrumentModules: { openAI: OpenAI as never },
  });
});

afterAll(async () => {
  delete process.env.TRACELOOP_BASE_URL;
  delete process.env.TRACELOOP_API_KEY;
  await Promise.all([llm?.close(), proxy?.close()]);
  await receiver?.close();
});

describe('zero-change path: Traceloop exporter → receiver', () => {
  it('protobuf from Traceloop becomes the same kind of run, TOOL_LOOP flagged, content hashed by the receiver', async () => {
    const client = new OpenAI({ apiKey: 'sk-stub', baseURL: llm.baseURL, maxRetries: 0 });
    const result = await runSupportAgent(client, 'Where is my invoice?');
    await traceloop.forceFlush();
    const run = await waitForClosedRun(receiver.url, result.traceId);

    expect(proxy.hits.length).toBeGreaterThan(0);
    expect(proxy.hits.every((h) => h.url === '/v1/traces' && h.headers['content-type'] === 'application/x-protobuf')).toBe(true);
    expect(proxy.hits[0].headers.authorization).toBe(`Bearer ${DEV_KEY}`);

    expect(run).toMatchObject({ agent_id: 'zero-change-agent', status: 'completed', exit_reason: 'final_answer', step_count: 11, span_count: 12 });
    const tools = run.events.filter((e: any) => e.event_type === 'tool.called');
    expect(tools).toHaveLength(5);
    expect(tools[0].payload.tool_name).toBe('search_docs');
    expect(tools[0].payload.args_hash).toMatch(/^[0-9a-f]{32}$/);
    expect(JSON.stringify(run)).not.toContain('Where is my invoice?');
    // The receiver runs the detectors of detectors.yml: the loop is flagged.
    expect(run.signals.map((s: { failure_type: string }) => s.failure_type)).toContain('TOOL_LOOP');
  });
});
