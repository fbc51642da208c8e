import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLlmStub, type LlmStub } from '../../examples/llm-stub.js';
import { anthropicToolAgent, openaiToolAgent } from '../../examples/tool-agent.js';
import { Dunetrace, getCurrentRun } from '../../src/sdk/index.js';
import { CLEAN_RUN_EVENTS, failureTypes, startPrivateReceiver, type PrivateReceiver } from './receiver-harness.js';
import { recordingLogger } from './helpers.js';

/**
 * The SDK end to end: real `openai` / `@anthropic-ai/sdk` clients against local stubs, the SDK's spans through the
 * real processor and OTLP exporter to a real receiver process. A looping agent is a TOOL_LOOP, a tool failing three
 * times a RETRY_STORM, a clean run has no signal; a canary in every content field (user input, system prompt,
 * messages, tool arguments and results, error messages, retrieval query and documents, memory values, the final
 * answer) reaches neither the wire nor the API, the logs, the tables or the data files.
 */
const CANARY = 'CANARY-sdk-7f3a';

let rx: PrivateReceiver;
const stubs: Record<'loop' | 'retry' | 'clean', LlmStub> = {} as never;
let dt: Dunetrace;
const log = recordingLogger();

beforeAll(async () => {
  rx = await startPrivateReceiver();
  [stubs.loop, stubs.retry, stubs.clean] = await Promise.all([startLlmStub({ loops: 5 }), startLlmStub({ loops: 3 }), startLlmStub({ loops: 1 })]);
  dt = new Dunetrace({ endpoint: rx.endpoint, apiKey: rx.key, tracerProvider: 'own', flushOnExit: false, logger: log.logger, env: {}, flushIntervalMs: 50 });
}, 120_000);

afterAll(async () => {
  await dt?.shutdown();
  await Promise.all(Object.values(stubs).map((s) => s?.close()));
});

const searchTool = () =>
  dt.tool(async function search_docs({ query }: { query?: string }) {
    return { hits: [`doc about ${query ?? ''}`] };
  });

describe('the SDK through a real receiver', () => {
  it('a looping agent (dt.run + dt.wrapOpenAI + dt.tool, every RunContext method) → TOOL_LOOP', async () => {
    const openai = dt.wrapOpenAI(new OpenAI({ apiKey: 'sk-stub', baseURL: stubs.loop.baseURL, maxRetries: 0 }));
    const question = `How do I rotate my API key? ${CANARY}-input`;
    const runId = await dt.run(
      'sdk-loop-agent',
      { model: 'gpt-4o-mini', tools: ['search_docs'], userInput: question, systemPrompt: `Be brief ${CANARY}-system` },
      async (run) => {
        run.retrievalCalled('kb', `${CANARY}-query`);
        run.retrievalResponded('kb', 2, 0.4, 5, [
          { id: 'd1', score: 0.4, content: `${CANARY}-doc1` },
          { id: 'd2', score: 0.3, content: `${CANARY}-doc2` },
        ]);
        run.memoryWritten('last_question', `${CANARY}-memory`);
        run.externalSignal('cache_miss', 'redis', { shard: 2 });
        const out = await openaiToolAgent(openai, question, { search_docs: searchTool() });
        expect(out).toMatchObject({ llmCalls: 6, toolCalls: 5 });
        run.finalAnswer(out.answer);
        return run.runId;
      },
    );
    await dt.flush();
    const run = await rx.run(runId);
    expect(run).toMatchObject({ agent_id: 'sdk-loop-agent', status: 'completed', exit_reason: 'final_answer' });
    expect(failureTypes(run)).toContain('TOOL_LOOP');
    expect(run.signals.find((s) => s.failure_type === 'TOOL_LOOP')?.evidence).toMatchObject({ tool: 'search_docs', count: 5, args_identical: true });
    const types = run.events.map((e) => e.event_type);
    expect(types.filter((t) => t === 'llm.called')).toHaveLength(6);
    expect(types.filter((t) => t === 'tool.called')).toHaveLength(5);
    expect(types).toEqual(expect.arrayContaining(['retrieval.called', 'retrieval.responded', 'external.signal']));
  });

  it('a tool failing three times in a row (@dt.agent + dt.wrapAnthropic, streamed + dt.tool) → RETRY_STORM', async () => {
    const anthropic = dt.wrapAnthropic(new Anthropic({ apiKey: 'sk-ant-stub', baseURL: stubs.retry.anthropicBaseURL, maxRetries: 0 }));
    const lookup = dt.tool(async function search_docs(_args: { query?: string }): Promise<never> {
      throw new Error(`index unavailable ${CANARY}-error`);
    });
    class Triage {
      @dt.agent({ agentId: 'sdk-retry-agent', model: 'claude-sonnet-4-5', tools: ['search_docs'] })
      async answer(question: string) {
        const out = await anthropicToolAgent(anthropic, question, { search_docs: lookup }, { stream: true });
        return { ...out, runId: getCurrentRun()?.runId ?? '' };
      }
    }
    const out = await new Triage().answer(`Is the index up? ${CANARY}-input`);
    expect(out).toMatchObject({ toolCalls: 3, toolErrors: 3 });
    await dt.flush();
    const run = await rx.run(out.runId);
    expect(run).toMatchObject({ agent_id: 'sdk-retry-agent', exit_reason: 'final_answer' });
    expect(failureTypes(run)).toContain('RETRY_STORM');
    expect(run.signals.find((s) => s.failure_type === 'RETRY_STORM')?.evidence).toMatchObject({ tool: 'search_docs', consecutive_fails: 3 });
  });

  it('a clean run (dt.trace + dt.wrapOpenAI, streamed) → no signal at all', async () => {
    const openai = dt.wrapOpenAI(new OpenAI({ apiKey: 'sk-stub', baseURL: stubs.clean.baseURL, maxRetries: 0 }));
    const agent = dt.trace(
      async (question: string) => {
        const out = await openaiToolAgent(openai, question, { search_docs: searchTool() }, { stream: true });
        return { answer: out.answer, runId: getCurrentRun()?.runId ?? '' };
      },
      'sdk-clean-agent',
      { model: 'gpt-4o-mini', tools: ['search_docs'] },
    );
    const out = await agent(`What is the refund policy? ${CANARY}-input`);
    expect(out.answer).toContain(CANARY); // the canary really went through the model and back
    await dt.flush();
    const run = await rx.run(out.runId);
    expect(run).toMatchObject({ agent_id: 'sdk-clean-agent', status: 'completed', exit_reason: 'final_answer' });
    expect(run.events.map((e) => e.event_type)).toEqual(CLEAN_RUN_EVENTS);
    expect(failureTypes(run)).toEqual([]);
  });

  it('a run that throws → run.errored (the error re-thrown to the caller)', async () => {
    const err = new Error(`payment service down ${CANARY}-error`);
    let runId = '';
    await expect(
      dt.run('sdk-error-agent', { userInput: `${CANARY}-input` }, async (run) => {
        runId = run.runId;
        throw err;
      }),
    ).rejects.toBe(err);
    await dt.flush();
    const run = await rx.run(runId);
    expect(run).toMatchObject({ status: 'errored', exit_reason: 'error' });
    expect(run.events.at(-1)).toMatchObject({
      event_type: 'run.errored',
      payload: { error_type: 'Error', error_hash: expect.stringMatching(/^[0-9a-f]{32}$/) },
    });
  });

  it('no canary reached the wire, the API, the logs, the tables or the data files; the SDK logged nothing', async () => {
    await dt.flush();
    await rx.finish(new RegExp(CANARY));
    expect(log.lines).toEqual([]);
    expect(dt.stats).toMatchObject({ droppedSpans: 0, failedSpans: 0, duplicateSpans: 0 });
  }, 120_000);
});
