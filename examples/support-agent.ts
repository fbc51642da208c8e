import { trace } from '@opentelemetry/api';
import * as traceloop from '@traceloop/node-server-sdk';
import type OpenAI from 'openai';

/**
 * A small tool-using agent, written the way an OpenLLMetry user writes one: a Traceloop workflow around a loop of
 * chat.completions calls (instrumented by Traceloop's OpenAI instrumentation) and tool executions (`withTool`).
 * It trusts the model to stop calling tools, which is exactly how agents end up in a TOOL_LOOP.
 */
const TOOLS: OpenAI.Chat.Completions.ChatCompletionTool[] = [
  {
    type: 'function',
    function: {
      name: 'search_docs',
      description: 'Search the product documentation.',
      parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
    },
  },
];

/** The tool itself: pretends to search and finds nothing. */
async function searchDocs(args: { query?: string }): Promise<{ hits: string[]; query: string }> {
  await new Promise((r) => setTimeout(r, 5));
  return { hits: [], query: String(args.query ?? '') };
}

export interface AgentResult {
  /** The run id Dunetrace uses: the trace id of the workflow span. */
  traceId: string;
  answer: string | null;
  llmCalls: number;
  toolCalls: number;
}

export async function runSupportAgent(client: OpenAI, question: string, opts: { model?: string; maxTurns?: number } = {}): Promise<AgentResult> {
  const model = opts.model ?? 'gpt-4o-mini';
  const maxTurns = opts.maxTurns ?? 12;
  return (await traceloop.withWorkflow({ name: 'support_agent' }, async (): Promise<AgentResult> => {
    const traceId = trace.getActiveSpan()?.spanContext().traceId ?? '';
    const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [
      { role: 'system', content: 'You are a support agent. Use search_docs to answer from the documentation.' },
      { role: 'user', content: question },
    ];
    let llmCalls = 0;
    let toolCalls = 0;
    for (let turn = 0; turn < maxTurns; turn++) {
      const res = await client.chat.completions.create({ model, messages, tools: TOOLS });
      llmCalls++;
      const msg = res.choices[0].message;
      messages.push(msg);
      if (!msg.tool_calls || msg.tool_calls.length === 0) return { traceId, answer: msg.content, llmCalls, toolCalls };
      for (const call of msg.tool_calls) {
        if (call.type !== 'function') continue;
        const args = JSON.parse(call.function.arguments) as { query?: string };
        const result: unknown = await traceloop.withTool({ name: call.function.name }, () => searchDocs(args));
        toolCalls++;
        messages.push({ role: 'tool', tool_call_id: call.id, content: JSON.stringify(result) });
      }
    }
    return { traceId, answer: null, llmCalls, toolCalls };
  })) as AgentResult;
}
