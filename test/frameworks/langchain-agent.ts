import { SystemMessage, type BaseMessage } from '@langchain/core/messages';
import { tool, type StructuredToolInterface } from '@langchain/core/tools';
import { END, MessagesAnnotation, START, StateGraph } from '@langchain/langgraph';
import { createReactAgent } from '@langchain/langgraph/prebuilt';
import { ChatOpenAI } from '@langchain/openai';
import { z } from 'zod';
import { ToolLog, type Observed } from './observe.js';
import type { ProviderStub } from './provider-stub.js';
import { runTool, type Scenario } from './scenarios.js';

/**
 * The scenarios as LangGraph.js agents, the way the LangChain docs build them: `tool()` tools and `ChatOpenAI`
 * (pointed at the local provider stub) in the prebuilt ReAct agent; the avoidance scenario is a two-node graph
 * (draft, then answer) whose model has the tools bound on both calls and uses none. Real packages throughout; the
 * instrumentation under test is whatever the test file registered.
 */
export interface LangGraphRun {
  tools: StructuredToolInterface[];
  invoke(): Promise<unknown>;
  /** What the agent did, once invoke() settled: model calls counted by the stub, tool runs by the tools. */
  observed(traceId: string): Observed;
}

export function langGraphAgent(s: Scenario, canary: string, stub: ProviderStub): LangGraphRun {
  const log = new ToolLog();
  const tools = s.tools.map((t) =>
    tool(
      async (args) => {
        try {
          const out = runTool(s, t.name, args, canary);
          log.record(t.name, true);
          return out;
        } catch (err) {
          log.record(t.name, false);
          throw err;
        }
      },
      { name: t.name, description: t.description, schema: z.object({ query: z.string() }) },
    ),
  );
  const model = new ChatOpenAI({ model: 'gpt-4o-mini', apiKey: 'sk-stub', configuration: { baseURL: stub.openaiURL }, maxRetries: 0 });
  const before = stub.calls.get(s.id) ?? 0;
  const input = { messages: [{ role: 'user', content: s.prompt }] };

  const invoke = (): Promise<unknown> => {
    if (s.id !== 'avoidance') return createReactAgent({ llm: model, tools, prompt: s.system }).invoke(input);
    const bound = model.bindTools(tools);
    const step = async (state: { messages: BaseMessage[] }) => ({ messages: [await bound.invoke([new SystemMessage(s.system), ...state.messages])] });
    return new StateGraph(MessagesAnnotation)
      .addNode('draft', step)
      .addNode('answer', step)
      .addEdge(START, 'draft')
      .addEdge('draft', 'answer')
      .addEdge('answer', END)
      .compile()
      .invoke(input);
  };
  return {
    tools,
    invoke,
    observed: (traceId) => ({ traceId, llmCalls: (stub.calls.get(s.id) ?? 0) - before, tools: log.calls }),
  };
}

/** `gen_ai.tool.definitions` for an agent span: the tools the agent has, by name (what TOOL_AVOIDANCE needs to know). */
export function toolDefinitions(tools: readonly { name: string }[]): string {
  return JSON.stringify(tools.map((t) => ({ type: 'function', name: t.name })));
}
