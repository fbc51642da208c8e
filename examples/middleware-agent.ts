/**
 * `npm run example -- express|fastify|hono|fetch`: an agent service behind the Dunetrace middleware of that framework
 * (`expressMiddleware`, `fastifyPlugin`, `honoMiddleware`, `withRun` for `(req) => Response` handlers such as Next.js
 * route handlers). One request = one run; the agent on a plain `openai` client loops on a tool, and the receiver
 * flags the TOOL_LOOP.
 */
import OpenAI from 'openai';
import { Dunetrace, getCurrentRun } from '../src/sdk/index.js';
import { DEV_KEY, log, reportAndStop, runExample, startEmbeddedReceiver } from './example-kit.js';
import { startLlmStub } from './llm-stub.js';
import { FRAMEWORKS, startApp, type Framework } from './middleware-apps.js';
import { openaiToolAgent } from './tool-agent.js';

async function main(): Promise<number> {
  const framework = (process.argv[2] ?? 'express') as Framework;
  if (!FRAMEWORKS.includes(framework)) throw new Error(`unknown framework ${framework}`);
  const { endpoint, close } = await startEmbeddedReceiver();
  const llm = await startLlmStub({ loops: 5 });
  const dt = new Dunetrace({ endpoint, apiKey: DEV_KEY });
  const openai = dt.wrapOpenAI(new OpenAI({ apiKey: 'sk-stub', baseURL: llm.baseURL }));
  const searchDocs = dt.tool(async function search_docs({ query }: { query?: string }) {
    return { hits: [], query };
  });

  const app = await startApp(
    framework,
    dt,
    {
      ask: async (question) => {
        const out = await openaiToolAgent(openai, question, { search_docs: searchDocs });
        return { answer: out.answer, runId: getCurrentRun()?.runId };
      },
      stream: async (write) => void write('streamed\n'),
      fail: () => new Error('failed'),
    },
    { model: 'gpt-4o-mini', tools: ['search_docs'] },
  );
  log(`${framework} service on ${app.url}`);

  const res = await fetch(`${app.url}/ask/support`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ question: 'How do I rotate my API key?' }),
  });
  const { answer, runId } = (await res.json()) as { answer: string; runId: string };
  log(`POST /ask/support → ${res.status}: ${JSON.stringify(answer)}`);

  return reportAndStop({ flush: () => dt.flush(), endpoint, runId, stop: [() => app.close(), () => dt.shutdown(), () => llm.close(), close] });
}

runExample(main);
