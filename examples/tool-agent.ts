import type Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';

/**
 * A small tool-using agent loop, as application code writes it with the plain `openai` or `@anthropic-ai/sdk`
 * client: call the model, run the tools it asks for, feed the results back, until it answers. A tool that throws
 * is reported to the model as an error result (so a model that keeps retrying produces a retry storm). Nothing
 * here knows about Dunetrace: the examples and tests wrap the client (`dt.wrapOpenAI`) and the tools (`dt.tool`).
 */
export type ToolImpl = (args: { query?: string }) => unknown;

export interface ToolAgentResult {
  answer: string | null;
  llmCalls: number;
  toolCalls: number;
  toolErrors: number;
}

export interface ToolAgentOptions {
  model?: string;
  maxTurns?: number;
  /** Stream the model's replies (through the SDK's own stream helper). */
  stream?: boolean;
}

const describeTool = (name: string) => ({
  name,
  description: `The ${name} tool.`,
  schema: { type: 'object' as const, properties: { query: { type: 'string' } } },
});

async function runTool(tools: Record<string, ToolImpl>, name: string, args: unknown): Promise<{ content: string; failed: boolean }> {
  try {
    const impl = tools[name];
    if (impl === undefined) throw new Error(`unknown tool ${name}`);
    return { content: JSON.stringify((await impl(args as { query?: string })) ?? null), failed: false };
  } catch (err) {
    return { content: JSON.stringify({ error: err instanceof Error ? err.message : String(err) }), failed: true };
  }
}

export async function openaiToolAgent(
  client: OpenAI,
  question: string,
  tools: Record<string, ToolImpl>,
  opts: ToolAgentOptions = {},
): Promise<ToolAgentResult> {
  const model = opts.model ?? 'gpt-4o-mini';
  const defs: OpenAI.Chat.Completions.ChatCompletionTool[] = Object.keys(tools).map((n) => {
    const d = describeTool(n);
    return { type: 'function', function: { name: d.name, description: d.description, parameters: d.schema } };
  });
  const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [
    { role: 'system', content: 'You are a support agent. Use the tools to answer from the documentation.' },
    { role: 'user', content: question },
  ];
  const result: ToolAgentResult = { answer: null, llmCalls: 0, toolCalls: 0, toolErrors: 0 };
  for (let turn = 0; turn < (opts.maxTurns ?? 12); turn++) {
    const params = { model, messages, tools: defs };
    const res = opts.stream ? await client.chat.completions.stream(params).finalChatCompletion() : await client.chat.completions.create(params);
    result.llmCalls++;
    const msg = res.choices[0].message;
    messages.push({ role: 'assistant', content: msg.content, tool_calls: msg.tool_calls });
    if (!msg.tool_calls || msg.tool_calls.length === 0) {
      result.answer = msg.content;
      return result;
    }
    for (const call of msg.tool_calls) {
      if (call.type !== 'function') continue;
      const out = await runTool(tools, call.function.name, JSON.parse(call.function.arguments || '{}'));
      result.toolCalls++;
      if (out.failed) result.toolErrors++;
      messages.push({ role: 'tool', tool_call_id: call.id, content: out.content });
    }
  }
  return result;
}

export async function anthropicToolAgent(
  client: Anthropic,
  question: string,
  tools: Record<string, ToolImpl>,
  opts: ToolAgentOptions = {},
): Promise<ToolAgentResult> {
  const model = opts.model ?? 'claude-sonnet-4-5';
  const defs: Anthropic.Tool[] = Object.keys(tools).map((n) => {
    const d = describeTool(n);
    return { name: d.name, description: d.description, input_schema: d.schema };
  });
  const messages: Anthropic.MessageParam[] = [{ role: 'user', content: question }];
  const result: ToolAgentResult = { answer: null, llmCalls: 0, toolCalls: 0, toolErrors: 0 };
  for (let turn = 0; turn < (opts.maxTurns ?? 12); turn++) {
    const params = { model, max_tokens: 1024, system: 'You are a support agent. Use the tools.', messages, tools: defs };
    const res = opts.stream ? await client.messages.stream(params).finalMessage() : await client.messages.create(params);
    result.llmCalls++;
    messages.push({ role: 'assistant', content: res.content });
    const uses = res.content.filter((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');
    if (uses.length === 0) {
      result.answer = res.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
      return result;
    }
    const results: Anthropic.ToolResultBlockParam[] = [];
    for (const use of uses) {
      const out = await runTool(tools, use.name, use.input);
      result.toolCalls++;
      if (out.failed) result.toolErrors++;
      results.push({ type: 'tool_result', tool_use_id: use.id, content: out.content, is_error: out.failed });
    }
    messages.push({ role: 'user', content: results });
  }
  return result;
}
