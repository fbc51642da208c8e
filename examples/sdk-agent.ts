/**
 * `npm run example -- sdk`: the Dunetrace SDK (`dunetrace-otel/sdk`, API-compatible with the original npm client)
 * on a plain `openai` agent that gets stuck in a tool loop.
 *
 *   dt.run(…) ─ dt.wrapOpenAI(client) ──▶ local OpenAI-compatible stub
 *             └ dt.tool(searchDocs)
 *   GenAI spans ──▶ DunetraceSpanProcessor (hashes in this process) ──▶ OTLP/HTTP ──▶ embedded receiver
 *
 * For an original-SDK user the only change is the import: `import { Dunetrace } from 'dunetrace-otel/sdk'`.
 */
import OpenAI from 'openai';
import { Dunetrace } from '../src/sdk/index.js';
import { DEV_KEY, log, reportAndStop, runExample, startEmbeddedReceiver } from './example-kit.js';
import { startLlmStub } from './llm-stub.js';
import { openaiToolAgent } from './tool-agent.js';

async function main(): Promise<number> {
  const { endpoint, close } = await startEmbeddedReceiver();
  const llm = await startLlmStub({ loops: 5 });

  // In an application: new Dunetrace() with DUNETRACE_ENDPOINT / DUNETRACE_API_KEY set.
  const dt = new Dunetrace({ endpoint, apiKey: DEV_KEY });
  const openai = dt.wrapOpenAI(new OpenAI({ apiKey: 'sk-stub', baseURL: llm.baseURL }));
  const searchDocs = dt.tool(async function search_docs({ query }: { query?: string }) {
    await new Promise((r) => setTimeout(r, 5));
    return { hits: [], query };
  });

  const question = 'How do I rotate my API key?';
  const { runId, result } = await dt.run('support-agent', { model: 'gpt-4o-mini', tools: ['search_docs'], userInput: question }, async (run) => {
    const result = await openaiToolAgent(openai, question, { search_docs: searchDocs });
    if (result.answer !== null) run.finalAnswer(result.answer);
    return { runId: run.runId, result };
  });
  log(`agent finished: ${result.llmCalls} LLM calls, ${result.toolCalls} tool calls`);

  console.log(`sdk stats: ${JSON.stringify(dt.stats)}`);
  return reportAndStop({ flush: () => dt.flush(), endpoint, runId, stop: [() => dt.shutdown(), () => llm.close(), close] });
}

runExample(main);
