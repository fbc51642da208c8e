/**
 * LangChain.js agents as applications write them, for the LangChain example and tests: a LangGraph ReAct agent
 * (`createReactAgent`) on the real `ChatOpenAI` model pointed at the local OpenAI-compatible stub, with one tool;
 * and a retrieval chain (retriever → prompt → model). Nothing here knows about Dunetrace: the callback handler is
 * passed in `callbacks` at invocation.
 */
import { Document } from '@langchain/core/documents';
import type { BaseMessage } from '@langchain/core/messages';
import { ChatPromptTemplate } from '@langchain/core/prompts';
import { BaseRetriever } from '@langchain/core/retrievers';
import { RunnableLambda, RunnableSequence, type RunnableConfig } from '@langchain/core/runnables';
import { tool } from '@langchain/core/tools';
import { createReactAgent } from '@langchain/langgraph/prebuilt';
import { ChatOpenAI } from '@langchain/openai';
import { z } from 'zod';

export const chatModel = (baseURL: string) => new ChatOpenAI({ model: 'gpt-4o-mini', apiKey: 'sk-stub', configuration: { baseURL }, maxRetries: 0 });

/** What the examples use of a compiled LangGraph agent. */
export interface Agent {
  invoke(input: { messages: BaseMessage[] }, config?: RunnableConfig): Promise<{ messages: BaseMessage[] }>;
}

/** A ReAct agent with a `search_docs` tool whose implementation is passed in (it may throw). */
export function reactAgent(baseURL: string, search: (query: string) => Promise<string>): Agent {
  const searchDocs = tool(async ({ query }: { query: string }) => search(query), {
    name: 'search_docs',
    description: 'Search the product documentation.',
    schema: z.object({ query: z.string() }),
  });
  return createReactAgent({ llm: chatModel(baseURL), tools: [searchDocs] });
}

/** A retriever over a fixed corpus, with relevance scores in the documents' metadata. */
export class DocsRetriever extends BaseRetriever {
  override lc_namespace = ['examples', 'retrievers'];
  constructor(private readonly docs: { text: string; score: number }[]) {
    super();
  }
  override async _getRelevantDocuments(_query: string): Promise<Document[]> {
    return this.docs.map((d, i) => new Document({ id: `doc-${i}`, pageContent: d.text, metadata: { score: d.score } }));
  }
}

/** retriever → prompt → model: a RAG chain (`input` is the question). */
export function ragChain(baseURL: string, retriever: BaseRetriever) {
  const prompt = ChatPromptTemplate.fromMessages([
    ['system', 'Answer from the context:\n{context}'],
    ['human', '{input}'],
  ]);
  return RunnableSequence.from([
    {
      context: RunnableLambda.from((x: { input: string }) => x.input)
        .pipe(retriever)
        .pipe((docs: Document[]) => docs.map((d) => d.pageContent).join('\n')),
      input: (x: { input: string }) => x.input,
    },
    prompt,
    chatModel(baseURL),
  ]).withConfig({ runName: 'rag_chain' });
}
