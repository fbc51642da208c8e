/**
 * `npm run example -- decorator`: the `@dt.agent` method decorator (TypeScript 5 standard decorators) on a class-based
 * agent: each call of the decorated method is a run, its first argument the user input, its return value the answer.
 */
import OpenAI from 'openai';
import { Dunetrace, getCurrentRun } from '../src/sdk/index.js';
import { DEV_KEY, log, reportAndStop, runExample, startEmbeddedReceiver } from './example-kit.js';
import { startLlmStub } from './llm-stub.js';
import { openaiToolAgent } from './tool-agent.js';

async function main(): Promise<number> {
  const { endpoint, close } = await startEmbeddedReceiver();
  const llm = await startLlmStub({ loops: 5 });
  const dt = new Dunetrace({ endpoint, apiKey: DEV_KEY });

  class SupportAgent {
    private readonly openai = dt.wrapOpenAI(new OpenAI({ apiKey: 'sk-stub', baseURL: llm.baseURL }));
    private readonly searchDocs = dt.tool(async function search_docs({ query }: { query?: string }) {
      return { hits: [], query };
    });

    @dt.agent({ agentId: 'support-agent', model: 'gpt-4o-mini', tools: ['search_docs'] })
    async answer(question: string): Promise<{ answer: string | null; runId: string }> {
      const out = await openaiToolAgent(this.openai, question, { search_docs: this.searchDocs });
      return { answer: out.answer, runId: getCurrentRun()?.runId ?? '' };
    }
  }

  const { answer, runId } = await new SupportAgent().answer('How do I rotate my API key?');
  log(`agent answered: ${JSON.stringify(answer)}`);
  return reportAndStop({ flush: () => dt.flush(), endpoint, runId, stop: [() => dt.shutdown(), () => llm.close(), close] });
}

runExample(main);
