import { HumanMessage } from '@langchain/core/messages';
import { RunnableLambda } from '@langchain/core/runnables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DocsRetriever, ragChain, reactAgent } from '../../examples/langchain-agents.js';
import { startLlmStub, type LlmStub } from '../../examples/llm-stub.js';
import { DunetraceCallbackHandler } from '../../src/langchain/index.js';
import { closedPort } from '../processor/helpers.js';
import { capturingSdk, eventsOf, sha } from '../sdk/helpers.js';

/**
 * DunetraceCallbackHandler with real LangChain.js packages (@langchain/core, @langchain/langgraph's ReAct agent,
 * @langchain/openai's ChatOpenAI against the local stub): what the receiver's mapping makes of the spans it emits.
 */
let stub: LlmStub;
let answerStub: LlmStub;
beforeAll(async () => {
  [stub, answerStub] = await Promise.all([startLlmStub({ loops: 2 }), startLlmStub({ loops: 0 })]);
});
afterAll(async () => {
  await Promise.all([stub?.close(), answerStub?.close()]);
});

const Q = 'How do I reset my password?';

describe('LangGraph ReAct agent', () => {
  it('the graph is one run: model calls with tokens and finish reasons, tool calls under the real tool name', async () => {
    const { dt, runs } = capturingSdk();
    const agent = reactAgent(stub.baseURL, async (q) => `results for ${q}`);
    const out = await agent.invoke({ messages: [new HumanMessage(Q)] }, { callbacks: [new DunetraceCallbackHandler(dt, { agentId: 'lg-agent' })] });
    expect(out.messages.at(-1)?.text).toContain(Q);
    const all = [...(await runs()).values()];
    expect(all).toHaveLength(1);
    const run = all[0];
    expect(run).toMatchObject({ agent_id: 'lg-agent', exit_reason: 'final_answer', step_count: 5 });
    expect(
      eventsOf(run, {
        'run.started': ['input_hash'],
        'llm.called': ['model', 'tools_offered'],
        'llm.responded': ['finish_reason', 'completion_tokens', 'tool_calls'],
        'tool.called': ['tool_name', 'args_hash'],
        'tool.responded': ['tool_name', 'success', 'output_hash', 'output_length'],
        'run.completed': ['exit_reason', 'tool_call_count'],
      }),
    ).toEqual([
      ['run.started', { input_hash: sha(Q) }],
      ['llm.called', { model: 'gpt-4o-mini', tools_offered: ['search_docs'] }],
      [
        'llm.responded',
        { finish_reason: 'tool_calls', completion_tokens: 18, tool_calls: [{ name: 'search_docs', args_hash: sha(JSON.stringify({ query: Q })) }] },
      ],
      ['tool.called', { tool_name: 'search_docs', args_hash: sha(JSON.stringify({ query: Q })) }],
      ['tool.responded', { tool_name: 'search_docs', success: true, output_hash: sha(`results for ${Q}`), output_length: `results for ${Q}`.length }],
      ['llm.called', { model: 'gpt-4o-mini', tools_offered: ['search_docs'] }],
      [
        'llm.responded',
        { finish_reason: 'tool_calls', completion_tokens: 18, tool_calls: [{ name: 'search_docs', args_hash: sha(JSON.stringify({ query: Q })) }] },
      ],
      ['tool.called', { tool_name: 'search_docs', args_hash: sha(JSON.stringify({ query: Q })) }],
      ['tool.responded', { tool_name: 'search_docs', success: true, output_hash: sha(`results for ${Q}`), output_length: `results for ${Q}`.length }],
      ['llm.called', { model: 'gpt-4o-mini', tools_offered: ['search_docs'] }],
      ['llm.responded', { finish_reason: 'stop', completion_tokens: 12, tool_calls: [] }],
      ['run.completed', { exit_reason: 'final_answer', tool_call_count: 2 }],
    ]);
    expect(run.events.find((e) => e.event_type === 'llm.called')?.payload).toMatchObject({
      prompt_tokens: expect.any(Number),
      input_hash: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    expect((run.events.find((e) => e.event_type === 'llm.responded')?.payload as { model: string }).model).toBe('gpt-4o-mini-2024-07-18');
  });

  it('a failing tool is a failed call with its error class (the agent goes on: ToolNode reports it to the model)', async () => {
    const { dt, runs } = capturingSdk();
    const agent = reactAgent(stub.baseURL, async () => {
      throw new RangeError('quota exhausted');
    });
    await agent.invoke({ messages: [new HumanMessage(Q)] }, { callbacks: [new DunetraceCallbackHandler(dt)] });
    const run = [...(await runs()).values()][0];
    expect(run.agent_id).toBe('LangGraph');
    const responded = run.events.filter((e) => e.event_type === 'tool.responded').map((e) => e.payload);
    expect(responded).toMatchObject([
      { tool_name: 'search_docs', success: false, error_type: 'RangeError', error_hash: sha('RangeError: quota exhausted') },
      { tool_name: 'search_docs', success: false },
    ]);
  });

  it('inside dt.run the graph attaches to the enclosing run instead of opening one', async () => {
    const { dt, runs } = capturingSdk();
    const agent = reactAgent(stub.baseURL, async (q) => q);
    const runId = await dt.run('outer-agent', { userInput: Q }, async (run) => {
      await agent.invoke({ messages: [new HumanMessage(Q)] }, { callbacks: [new DunetraceCallbackHandler(dt)] });
      run.toolCalled('after_graph');
      run.toolResponded('after_graph', true);
      return run.runId;
    });
    const all = await runs();
    expect([...all.keys()]).toEqual([runId]);
    const run = all.get(runId);
    expect(run?.agent_id).toBe('outer-agent');
    expect(run?.events.filter((e) => e.event_type === 'tool.called').map((e) => (e.payload as { tool_name: string }).tool_name)).toEqual([
      'search_docs',
      'search_docs',
      'after_graph',
    ]);
    expect(run?.events.filter((e) => e.event_type === 'llm.called')).toHaveLength(3);
  });

  it('a chain error ends the run as errored', async () => {
    const { dt, runs } = capturingSdk();
    const broken = RunnableLambda.from(async (_: { input: string }): Promise<string> => {
      throw new TypeError('bad state');
    }).withConfig({ runName: 'broken_chain' });
    await expect(broken.invoke({ input: Q }, { callbacks: [new DunetraceCallbackHandler(dt)] })).rejects.toThrow('bad state');
    const run = [...(await runs()).values()][0];
    expect(run).toMatchObject({ agent_id: 'broken_chain', exit_reason: 'error' });
    expect(run.events.at(-1)?.payload).toMatchObject({ error_type: 'TypeError', error_hash: sha('TypeError: bad state') });
    expect(run.events[0].payload).toMatchObject({ input_hash: sha(Q) });
  });
});

describe('model errors', () => {
  it('a chat model that fails is a failed LLM call, and the run errors with the graph', async () => {
    const { dt, runs } = capturingSdk();
    const agent = reactAgent(`http://127.0.0.1:${await closedPort()}/v1`, async (q) => q);
    await expect(agent.invoke({ messages: [new HumanMessage(Q)] }, { callbacks: [new DunetraceCallbackHandler(dt, { agentId: 'down' })] })).rejects.toThrow();
    const run = [...(await runs()).values()][0];
    expect(run.exit_reason).toBe('error');
    expect(run.events.find((e) => e.event_type === 'llm.responded')?.payload).toMatchObject({ success: false, error_type: 'APIConnectionError' });
  });
});

describe('retrieval chain', () => {
  it('retriever start/end → a retrieval with its query, result count and best score; then the answer', async () => {
    const { dt, runs } = capturingSdk();
    const retriever = new DocsRetriever([
      { text: 'Passwords are reset from Settings.', score: 0.91 },
      { text: 'Accounts are locked after five failures.', score: 0.42 },
      { text: 'Support answers within a day.', score: 0.1 },
    ]);
    const answer = await ragChain(answerStub.baseURL, retriever).invoke({ input: Q }, { callbacks: [new DunetraceCallbackHandler(dt, { agentId: 'rag' })] });
    expect(answer.text).toContain(Q);
    const run = [...(await runs()).values()][0];
    expect(
      eventsOf(run, {
        'retrieval.called': ['index_name', 'query_hash'],
        'retrieval.responded': ['index_name', 'result_count', 'top_score'],
        'llm.responded': ['finish_reason'],
        'run.completed': ['exit_reason'],
      }),
    ).toEqual([
      'run.started',
      ['retrieval.called', { index_name: 'DocsRetriever', query_hash: sha(Q) }],
      ['retrieval.responded', { index_name: 'DocsRetriever', result_count: 3, top_score: 0.91 }],
      'llm.called',
      ['llm.responded', { finish_reason: 'stop' }],
      ['run.completed', { exit_reason: 'final_answer' }],
    ]);
    expect(run.agent_id).toBe('rag');
  });
});
