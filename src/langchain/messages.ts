import type { ChatMessage, LlmResponse, Part, RetrievedDocument, ToolCall } from '../sdk/genai.js';
import { textOf } from '../sdk/genai.js';

/**
 * LangChain.js values (messages, LLM results, documents, chain inputs/outputs) read into the SDK's neutral shapes.
 * Structural: nothing here imports @langchain/core, and nothing throws on a shape it does not know.
 */

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** A message's type: `getType()` of a BaseMessage, a serialised `type`/`role`, or a `[role, text]` tuple. */
function typeOf(m: unknown): string {
  if (Array.isArray(m)) return String(m[0]);
  if (!isObj(m)) return 'human';
  const getType = m.getType ?? m._getType;
  if (typeof getType === 'function') {
    try {
      return String((getType as () => unknown).call(m));
    } catch {
      // fall through to the fields
    }
  }
  return str(m.type) ?? str(m.role) ?? 'human';
}

const ROLES: Record<string, string> = {
  human: 'user',
  user: 'user',
  ai: 'assistant',
  assistant: 'assistant',
  system: 'system',
  developer: 'system',
  tool: 'tool',
};

/** Text of a message's content: a string, or the text of its text parts. */
export function contentText(content: unknown): string | null {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return null;
  let out = '';
  for (const p of content) {
    if (typeof p === 'string') out += p;
    else if (isObj(p) && (p.type === 'text' || p.type === undefined)) out += str(p.text) ?? '';
  }
  return out;
}

function toolCallsOf(m: Obj): ToolCall[] {
  const out: ToolCall[] = [];
  for (const tc of Array.isArray(m.tool_calls) ? m.tool_calls : []) {
    if (isObj(tc) && str(tc.name)) out.push({ id: str(tc.id), name: tc.name as string, arguments: tc.args ?? null });
  }
  return out;
}

/** One LangChain message in the GenAI parts format. */
export function toChatMessage(m: unknown): ChatMessage {
  const role = ROLES[typeOf(m).toLowerCase()] ?? 'user';
  if (Array.isArray(m)) return { role, parts: [{ type: 'text', content: textOf(m[1]) ?? '' }] };
  if (!isObj(m)) return { role, parts: [{ type: 'text', content: textOf(m) ?? '' }] };
  const text = contentText(m.content) ?? '';
  const parts: Part[] = [];
  if (role === 'tool') parts.push({ type: 'tool_call_response', ...(str(m.tool_call_id) ? { id: m.tool_call_id as string } : {}), result: text });
  else parts.push({ type: 'text', content: text });
  for (const tc of toolCallsOf(m)) parts.push({ type: 'tool_call', ...(tc.id ? { id: tc.id } : {}), name: tc.name, arguments: tc.arguments });
  return { role, parts };
}

/** The user's input of a chain: `input`, else the last human message of `messages`, else `question`/`query`. */
export function chainInput(inputs: unknown): string | null {
  if (typeof inputs === 'string') return inputs;
  if (!isObj(inputs)) return null;
  if (typeof inputs.input === 'string') return inputs.input;
  if (Array.isArray(inputs.messages)) {
    for (let i = inputs.messages.length - 1; i >= 0; i--) {
      const m: unknown = inputs.messages[i];
      if (ROLES[typeOf(m).toLowerCase()] === 'user') return Array.isArray(m) ? textOf(m[1]) : isObj(m) ? contentText(m.content) : textOf(m);
    }
  }
  return str(inputs.question) ?? str(inputs.query);
}

/** The answer of a chain: `output`, else the last message's text (LangGraph state), else a plain string. */
export function chainOutput(outputs: unknown): string | null {
  if (typeof outputs === 'string') return outputs;
  if (!isObj(outputs)) return null;
  if (typeof outputs.output === 'string') return outputs.output;
  if (Array.isArray(outputs.messages) && outputs.messages.length > 0) {
    const last: unknown = outputs.messages[outputs.messages.length - 1];
    return isObj(last) ? contentText(last.content) : null;
  }
  if (isObj(outputs.content) || typeof outputs.content === 'string') return contentText(outputs.content);
  return null;
}

/** An LLMResult (first generation) as the SDK's response: text, tool calls, tokens, finish reason, model. */
export function llmResult(output: unknown): LlmResponse {
  const o = isObj(output) ? output : {};
  const gens = Array.isArray(o.generations) ? o.generations : [];
  const first: unknown = Array.isArray(gens[0]) ? gens[0][0] : undefined;
  const gen = isObj(first) ? first : {};
  const message = isObj(gen.message) ? gen.message : {};
  const info = isObj(gen.generationInfo) ? gen.generationInfo : {};
  const meta = isObj(message.response_metadata) ? message.response_metadata : {};
  const usage = isObj(message.usage_metadata) ? message.usage_metadata : null;
  const llmOutput = isObj(o.llmOutput) ? o.llmOutput : {};
  const tokenUsage = isObj(llmOutput.tokenUsage) ? llmOutput.tokenUsage : isObj(llmOutput.token_usage) ? llmOutput.token_usage : {};
  const details = usage !== null && isObj(usage.output_token_details) ? usage.output_token_details : {};
  const toolCalls = toolCallsOf(message);
  const finish = str(info.finish_reason) ?? str(meta.finish_reason) ?? str(meta.stop_reason) ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop');
  return {
    model: str(meta.model_name) ?? str(meta.model),
    id: str(message.id),
    promptTokens: (usage !== null ? num(usage.input_tokens) : null) ?? num(tokenUsage.promptTokens) ?? num(tokenUsage.prompt_tokens),
    completionTokens: (usage !== null ? num(usage.output_tokens) : null) ?? num(tokenUsage.completionTokens) ?? num(tokenUsage.completion_tokens),
    reasoningTokens: num(details.reasoning),
    finishReasons: [finish],
    text: str(gen.text) ?? contentText(message.content) ?? '',
    toolCalls,
  };
}

/** Retrieved documents: count, best score (metadata score / relevance_score / similarity), and their content. */
export function retrieved(documents: unknown): { count: number; topScore: number | null; docs: RetrievedDocument[] } {
  const list = Array.isArray(documents) ? documents : [];
  let top: number | null = null;
  const docs: RetrievedDocument[] = list.map((d: unknown) => {
    const o = isObj(d) ? d : {};
    const meta = isObj(o.metadata) ? o.metadata : {};
    const score = num(meta.score) ?? num(meta.relevance_score) ?? num(meta.similarity);
    if (score !== null && (top === null || score > top)) top = score;
    return { id: str(o.id) ?? str(meta.id), score, content: o.pageContent ?? d };
  });
  return { count: list.length, topScore: top, docs };
}

/** The text of a tool's output: a ToolMessage's content, a string, or JSON. */
export function toolOutput(output: unknown): { text: string | null; failed: boolean } {
  if (isObj(output) && 'content' in output && (typeOf(output) === 'tool' || 'tool_call_id' in output)) {
    return { text: contentText(output.content) ?? textOf(output.content), failed: output.status === 'error' };
  }
  return { text: textOf(output), failed: false };
}
