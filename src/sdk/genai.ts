/**
 * The OTel GenAI shapes the SDK writes: attribute names, and the message / tool-definition JSON of the content
 * attributes (the formats the mapping core reads, see src/mapping/content.ts). Pure: no OTel objects here.
 */

export const ATTR = {
  operation: 'gen_ai.operation.name',
  provider: 'gen_ai.provider.name',
  agentName: 'gen_ai.agent.name',
  conversationId: 'gen_ai.conversation.id',
  requestModel: 'gen_ai.request.model',
  responseModel: 'gen_ai.response.model',
  responseId: 'gen_ai.response.id',
  maxTokens: 'gen_ai.request.max_tokens',
  inputTokens: 'gen_ai.usage.input_tokens',
  outputTokens: 'gen_ai.usage.output_tokens',
  reasoningTokens: 'gen_ai.usage.reasoning.output_tokens',
  finishReasons: 'gen_ai.response.finish_reasons',
  toolName: 'gen_ai.tool.name',
  toolType: 'gen_ai.tool.type',
  toolCallId: 'gen_ai.tool.call.id',
  dataSource: 'gen_ai.data_source.id',
  resultCount: 'retrieval.result_count',
  topScore: 'retrieval.top_score',
  errorType: 'error.type',
  parentRunId: 'dunetrace.parent_run_id',
} as const;

/** Content attributes: only ever in the side channel to the Dunetrace processor (see span-processor.ts). */
export const CONTENT = {
  inputMessages: 'gen_ai.input.messages',
  outputMessages: 'gen_ai.output.messages',
  systemInstructions: 'gen_ai.system_instructions',
  toolDefinitions: 'gen_ai.tool.definitions',
  toolArguments: 'gen_ai.tool.call.arguments',
  toolResult: 'gen_ai.tool.call.result',
  query: 'gen_ai.retrieval.query.text',
  documents: 'gen_ai.retrieval.documents',
} as const;

export type Part =
  | { type: 'text'; content: string }
  | { type: 'tool_call'; id?: string; name: string; arguments: unknown }
  | { type: 'tool_call_response'; id?: string; result: unknown };

export interface ChatMessage {
  role: string;
  parts: Part[];
  finish_reason?: string;
}

export interface ToolCall {
  id?: string | null;
  name: string;
  /** As the provider gives them: a JSON string (OpenAI) or an object (Anthropic, LangChain). */
  arguments: unknown;
}

/** What is known when a model call starts. */
export interface LlmRequest {
  model?: string | null;
  provider?: string | null;
  promptTokens?: number | null;
  maxTokens?: number | null;
  messages?: ChatMessage[] | null;
  system?: string | null;
  /** Names of the tools offered to the model. */
  tools?: readonly string[] | null;
}

/** What is known when it answered. */
export interface LlmResponse {
  model?: string | null;
  id?: string | null;
  promptTokens?: number | null;
  completionTokens?: number | null;
  reasoningTokens?: number | null;
  /** Raw provider values (`stop`, `tool_calls`, `end_turn`, `tool_use`…); the mapping normalises them. */
  finishReasons?: readonly string[] | null;
  /** The reply text; undefined/null = not known (the mapping then measures the reply by its output tokens). */
  text?: string | null;
  toolCalls?: readonly ToolCall[] | null;
}

export interface RetrievedDocument {
  id?: string | null;
  score?: number | null;
  content?: unknown;
}

/** The text of any value: strings as they are, anything else as JSON (String() when it cannot be serialised). */
export function textOf(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  try {
    // undefined for functions and symbols: their type is all there is to say.
    return JSON.stringify(v) ?? `[${typeof v}]`;
  } catch {
    return '[unserialisable]'; // cyclic, or a throwing toJSON
  }
}

export const userMessage = (text: string): ChatMessage => ({ role: 'user', parts: [{ type: 'text', content: text }] });

/** The assistant's reply as one output message (text and requested tool calls). */
export function replyMessage(r: LlmResponse): ChatMessage | null {
  const parts: Part[] = [];
  if (typeof r.text === 'string') parts.push({ type: 'text', content: r.text });
  for (const tc of r.toolCalls ?? []) {
    const part: Part = { type: 'tool_call', name: tc.name, arguments: tc.arguments };
    if (tc.id) part.id = tc.id;
    parts.push(part);
  }
  if (parts.length === 0) return null;
  const msg: ChatMessage = { role: 'assistant', parts };
  const finish = r.finishReasons?.[0];
  if (finish !== undefined) msg.finish_reason = finish;
  return msg;
}

export const toolDefinitions = (names: readonly string[]): string => JSON.stringify(names.map((name) => ({ type: 'function', name })));

export function finiteOrNull(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
