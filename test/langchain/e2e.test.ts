import { HumanMessage } from '@langchain/core/messages';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DocsRetriever, ragChain, reactAgent } from '../../examples/langchain-agents.js';
import { startLlmStub, type LlmStub } from '../../examples/llm-stub.js';
import { DunetraceCallbackHandler } from '../../src/langchain/index.js';
import { Dunetrace } from '../../src/sdk/index.js';
import { recordingLogger } from '../sdk/helpers.js';
import { CLEAN_RUN_EVENTS, failureTypes, startPrivateReceiver, type ApiRun, type PrivateReceiver } from '../sdk/receiver-harness.js';

/**
 * LangGraph ReAct agents (real @langchain/langgraph, @langchain/openai ChatOpenAI against the local stub) with the
 * DunetraceCallbackHandler, through a real receiver process: a looping agent → TOOL_LOOP, a tool failing three times
 * → RETRY_STORM, a clean agent → no signal, a retrieval chain; a canary in the question, the model's messages, the
 * tool arguments, results and errors and the retrieved documents never reaches the wire, the API, logs or database.
 */
const CANARY = 'CANARY-lc-6e0d';
let rx: PrivateReceiver;
let dt: Dunetrace;
const log = recordingLogger();
const stubs = {} as Record<'loop' | 'retry' | 'clean' | 'answer', LlmStub>;

beforeAll(async () => {
  rx = await startPrivateReceiver();
  [stubs.loop, stubs.retry, stubs.clean, stubs.answer] = await Promise.all([
    startLlmStub({ loops: 5 }),
    startLlmStub({ loops: 3 }),
    startLlmStub({ loops: 1 }),
    startLlmStub({ loops: 0 }),
  ]);
  dt = new Dunetrace({ endpoint: rx.endpoint, apiKey: rx.key, tracerProvider: 'own', flushOnExit: false, logger: log.logger, env: {}, flushIntervalMs: 50 });
}, 120_000);

afterAll(async () => {
  await dt?.shutdown();
  await Promise.all(Object.values(stubs).map((s) => s.close()));
});

/** Runs the agent with the handler; the receiver's run of that agent id is the one the handler opened. */
async function invoke(baseURL: string, agentId: string, search: (q: string) => Promise<string>): Promise<ApiRun> {
  const handler = new DunetraceCallbackHandler(dt, { agentId, tools: ['search_docs'] });
  await reactAgent(baseURL, search).invoke({ messages: [new HumanMessage(`Where is my parcel? ${CANARY}-input`)] }, { callbacks: [handler] });
  await dt.flush();
  return rx.runOf(agentId);
}

describe('LangGraph agents through a real receiver', () => {
  it('a looping agent → TOOL_LOOP', async () => {
    const run = await invoke(stubs.loop.baseURL, 'lc-loop-agent', async (q) => `${CANARY}-result for ${q}`);
    expect(run).toMatchObject({ agent_id: 'lc-loop-agent', status: 'completed', exit_reason: 'final_answer' });
    expect(failureTypes(run)).toContain('TOOL_LOOP');
    expect(run.signals.find((s) => s.failure_type === 'TOOL_LOOP')?.evidence).toMatchObject({ tool: 'search_docs', count: 5 });
  });

  it('a tool failing three times in a row → RETRY_STORM', async () => {
    const run = await invoke(stubs.retry.baseURL, 'lc-retry-agent', async () => {
      throw new Error(`carrier API down ${CANARY}-error`);
    });
    expect(failureTypes(run)).toContain('RETRY_STORM');
    expect(run.signals.find((s) => s.failure_type === 'RETRY_STORM')?.evidence).toMatchObject({ tool: 'search_docs', consecutive_fails: 3 });
  });

  it('a clean agent → no signal', async () => {
    const run = await invoke(stubs.clean.baseURL, 'lc-clean-agent', async (q) => `${CANARY}-result for ${q}`);
    expect(run).toMatchObject({ status: 'completed', exit_reason: 'final_answer' });
    expect(run.events.map((e) => e.event_type)).toEqual(CLEAN_RUN_EVENTS);
    expect(failureTypes(run)).toEqual([]);
  });

  it('a retrieval chain → retrieval events with count and score', async () => {
    const retriever = new DocsRetriever([
      { text: `${CANARY}-doc parcels ship daily`, score: 0.8 },
      { text: `${CANARY}-doc returns take a week`, score: 0.3 },
    ]);
    await ragChain(stubs.answer.baseURL, retriever).invoke(
      { input: `Where is my parcel? ${CANARY}-input` },
      { callbacks: [new DunetraceCallbackHandler(dt, { agentId: 'lc-rag' })] },
    );
    await dt.flush();
    const run = await rx.runOf('lc-rag');
    expect(run.events.find((e) => e.event_type === 'retrieval.responded')?.payload).toMatchObject({ result_count: 2, top_score: 0.8 });
    expect(run.exit_reason).toBe('final_answer');
  });

  it('no canary reached the wire, the API, the logs, the tables or the data files', async () => {
    await dt.flush();
    await rx.finish(new RegExp(CANARY));
    expect(log.lines).toEqual([]);
  }, 120_000);
});
