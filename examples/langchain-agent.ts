/**
 * `npm run example -- langchain`: a LangGraph ReAct agent (real @langchain/langgraph, ChatOpenAI against the local
 * stub) with `DunetraceCallbackHandler` from `dunetrace-otel/langchain` in its callbacks. The graph is one run; its
 * model calls, tool calls (under the tool's real name) and retrievals are the run's steps; the loop is a TOOL_LOOP.
 */
import { HumanMessage } from '@langchain/core/messages';
import { DunetraceCallbackHandler } from '../src/langchain/index.js';
import { Dunetrace } from '../src/sdk/index.js';
import { DEV_KEY, log, reportAndStop, runExample, startEmbeddedReceiver } from './example-kit.js';
import { reactAgent } from './langchain-agents.js';
import { startLlmStub } from './llm-stub.js';

async function main(): Promise<number> {
  const { endpoint, close } = await startEmbeddedReceiver();
  const llm = await startLlmStub({ loops: 5 });
  const dt = new Dunetrace({ endpoint, apiKey: DEV_KEY });

  const agent = reactAgent(llm.baseURL, async (query) => JSON.stringify({ hits: [], query }));
  const handler = new DunetraceCallbackHandler(dt, { agentId: 'langgraph-support-agent' });
  const out = await agent.invoke({ messages: [new HumanMessage('How do I rotate my API key?')] }, { callbacks: [handler] });
  log(`agent finished after ${out.messages.length} messages: ${JSON.stringify(out.messages.at(-1)?.text)}`);

  await dt.flush();
  // The handler opened the run; find it through the API (GET /v1/agents/{id}/runs).
  const res = await fetch(`${endpoint}/v1/agents/langgraph-support-agent/runs`, { headers: { authorization: `Bearer ${DEV_KEY}` } });
  const runId = ((await res.json()) as { runs: { run_id: string }[] }).runs[0]?.run_id ?? '';
  return reportAndStop({ flush: () => dt.flush(), endpoint, runId, stop: [() => dt.shutdown(), () => llm.close(), close] });
}

runExample(main);
