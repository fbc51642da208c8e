import type { AttrValue, Attributes } from '../../otlp/model.js';
import { firstNumber, firstString, parseJson, str } from '../attributes.js';
import { normalizeFinishReason } from '../content/finish-reasons.js';
import type { SpanCategory } from '../events.js';
import { ROOT_ANSWERED, SPAN_AGENT_ID, SPAN_AGENT_VERSION, type Dialect } from './types.js';

/**
 * Vercel AI SDK 5 and 6 (`experimental_telemetry: { isEnabled: true }`). Every span carries `ai.operationId`:
 *  - `ai.generateText` / `ai.streamText` / `ai.generateObject` / `ai.streamObject`: one SDK call (the run when it is
 *    the root), with the call's own finish reason and answer;
 *  - `<call>.doGenerate` / `<call>.doStream`: one model call (→ chat);
 *  - `ai.toolCall`: one tool execution, `ai.toolCall.name` / `.id` / `.args` / `.result`, errors as span status and an
 *    exception event (→ execute_tool);
 *  - `ai.embed*` (→ embeddings) and `ai.rerank*` (→ rerank): not agent steps.
 * Usage: `ai.usage.inputTokens|outputTokens|totalTokens` (ai 5 also `promptTokens|completionTokens`), model
 * `ai.model.id` / `ai.model.provider` (`openai.chat` → provider `openai`), identity `ai.telemetry.functionId` and
 * `ai.telemetry.metadata.*`. Finish reasons are the SDK's (`tool-calls`, `content-filter`, …), normalised downstream.
 * Content (read for digests and facts only): `ai.prompt` (the call's own prompt), `ai.prompt.messages` (a model
 * call's messages, AI SDK ModelMessage format), `ai.prompt.tools`, `ai.response.text|object|toolCalls`,
 * `ai.toolCall.args|result`, translated to the GenAI semconv content keys.
 */

const MODEL_CALL = /^ai\.(?:generateText|streamText|generateObject|streamObject)\.(?:doGenerate|doStream)$/;
const SDK_CALL = new Set(['ai.generateText', 'ai.streamText', 'ai.generateObject', 'ai.streamObject']);

/** Provider ids of the SDK's provider packages → GenAI semconv `gen_ai.provider.name` values. */
const PROVIDERS: Record<string, string> = {
  'amazon-bedrock': 'aws.bedrock',
  azure: 'azure.ai.openai',
  'google.generative-ai': 'gcp.gemini',
  'google.vertex': 'gcp.vertex_ai',
  mistral: 'mistral_ai',
  xai: 'x_ai',
};

/** `openai.chat` / `anthropic.messages` / `google.vertex.chat` → `openai` / `anthropic` / `gcp.vertex_ai`. */
export function vercelProvider(provider: string): string {
  const p = provider.toLowerCase();
  for (const prefix of ['google.generative-ai', 'google.vertex']) if (p.startsWith(prefix)) return PROVIDERS[prefix];
  const dot = p.indexOf('.');
  const head = dot === -1 ? p : p.slice(0, dot);
  return Object.hasOwn(PROVIDERS, head) ? PROVIDERS[head] : head;
}

const metadata = (a: Attributes, keys: readonly string[]) =>
  firstString(
    a,
    keys.map((k) => `ai.telemetry.metadata.${k}`),
  );

export const vercelAi: Dialect = {
  name: 'vercel-ai',
  matches: (attrs) => typeof attrs['ai.operationId'] === 'string',
  category: (attrs) => categoryOf(str(attrs, 'ai.operationId') ?? ''),
  read(_name, a) {
    const op = str(a, 'ai.operationId') ?? '';
    return { structural: structure(a, op), content: content(a, op) };
  },
};

/**
 * Model calls are LLM calls; an SDK call is structure (its model and usage sum its steps: never counted as an LLM call
 * itself); embeddings and rerankings are not agent steps. Image, speech, transcription and video calls are not
 * understood (undefined: reported as such, and nothing is derived that would make them look like LLM calls).
 */
function categoryOf(op: string): SpanCategory | undefined {
  if (MODEL_CALL.test(op)) return 'llm';
  if (SDK_CALL.has(op)) return 'workflow';
  if (op === 'ai.toolCall') return 'tool';
  if (op.startsWith('ai.embed') || op.startsWith('ai.rerank')) return 'other';
  return undefined;
}

function structure(a: Attributes, op: string): Attributes {
  const out: Attributes = {};
  const sdkCall = SDK_CALL.has(op);
  const category = categoryOf(op);
  if (category === undefined) return identity(a, out);
  if (category === 'llm') {
    out['gen_ai.operation.name'] = 'chat';
  } else if (category === 'tool') {
    out['gen_ai.operation.name'] = 'execute_tool';
    const tool = str(a, 'ai.toolCall.name');
    if (tool !== null) out['gen_ai.tool.name'] = tool;
    const id = str(a, 'ai.toolCall.id');
    if (id !== null) out['gen_ai.tool.call.id'] = id;
  } else if (op.startsWith('ai.embed')) {
    out['gen_ai.operation.name'] = 'embeddings';
  } else if (op.startsWith('ai.rerank')) {
    out['gen_ai.operation.name'] = 'rerank';
  }

  const model = str(a, 'ai.model.id');
  if (model !== null) out['gen_ai.request.model'] = model;
  const responseModel = str(a, 'ai.response.model');
  if (responseModel !== null) out['gen_ai.response.model'] = responseModel;
  const provider = str(a, 'ai.model.provider');
  if (provider !== null) out['gen_ai.provider.name'] = vercelProvider(provider);

  const input = firstNumber(a, ['ai.usage.inputTokens', 'ai.usage.promptTokens']);
  if (input !== null) out['gen_ai.usage.input_tokens'] = input;
  const output = firstNumber(a, ['ai.usage.outputTokens', 'ai.usage.completionTokens']);
  if (output !== null) out['gen_ai.usage.output_tokens'] = output;
  const total = firstNumber(a, ['ai.usage.totalTokens']);
  if (total !== null) out['gen_ai.usage.total_tokens'] = total;
  const reasoning = firstNumber(a, ['ai.usage.reasoningTokens', 'ai.usage.outputTokenDetails.reasoningTokens']);
  if (reasoning !== null) out['gen_ai.usage.reasoning.output_tokens'] = reasoning;
  const maxTokens = firstNumber(a, ['ai.settings.maxOutputTokens', 'ai.settings.maxTokens']);
  if (maxTokens !== null) out['gen_ai.request.max_tokens'] = maxTokens;

  const finish = str(a, 'ai.response.finishReason');
  if (finish !== null) {
    out['gen_ai.response.finish_reasons'] = [finish];
    // The SDK call's own finish reason is the run's: it answered when its last step stopped (not on tool calls,
    // a length cut or a step limit).
    if (sdkCall) out[ROOT_ANSWERED] = normalizeFinishReason(finish) === 'stop';
  }
  return identity(a, out);
}

/** Agent identity: `ai.telemetry.metadata.agent_id|agentId`, else the functionId; name likewise; version from metadata. */
function identity(a: Attributes, out: Attributes): Attributes {
  const functionId = str(a, 'ai.telemetry.functionId');
  const agentId = metadata(a, ['agent_id', 'agentId']) ?? functionId;
  if (agentId !== null) out[SPAN_AGENT_ID] = agentId;
  const agentName = metadata(a, ['agent_name', 'agentName']) ?? functionId;
  if (agentName !== null) out['gen_ai.agent.name'] = agentName;
  const version = metadata(a, ['agent_version', 'agentVersion']);
  if (version !== null) out[SPAN_AGENT_VERSION] = version;
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Content, as GenAI semconv content (OTel parts format)

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const parsed = (v: AttrValue | undefined): unknown => (typeof v === 'string' ? parseJson(v) : v);

function content(a: Attributes, op: string): Attributes {
  const out: Attributes = {};
  if (op === 'ai.toolCall') {
    if (a['ai.toolCall.args'] !== undefined) out['gen_ai.tool.call.arguments'] = a['ai.toolCall.args'];
    if (a['ai.toolCall.result'] !== undefined) out['gen_ai.tool.call.result'] = a['ai.toolCall.result'];
    return out;
  }
  const modelCall = MODEL_CALL.test(op);
  if (!modelCall && !SDK_CALL.has(op)) return out;
  // A model call's messages; an SDK call's own prompt ({system, prompt} or {system, messages}).
  const input = modelCall ? a['ai.prompt.messages'] : a['ai.prompt'];
  if (input !== undefined && input !== null) {
    const v = parsed(input);
    const messages = modelCall ? (Array.isArray(v) ? v : null) : isObj(v) ? promptMessages(v) : null;
    // Unparseable (cut) values stay raw: extraction measures them as text.
    out['gen_ai.input.messages'] = messages === null ? input : messages.map(toOtelMessage);
  }
  const reply = replyMessage(a);
  if (reply !== null) out['gen_ai.output.messages'] = [reply];
  const tools = toolDefinitions(a['ai.prompt.tools']);
  if (tools !== null) out['gen_ai.tool.definitions'] = tools;
  return out;
}

/** `{ system?, prompt?: string | messages, messages? }` → one message list. */
function promptMessages(p: Obj): unknown[] {
  const list: unknown[] = [];
  if (typeof p.system === 'string') list.push({ role: 'system', content: p.system });
  if (typeof p.prompt === 'string') list.push({ role: 'user', content: p.prompt });
  else if (Array.isArray(p.prompt)) list.push(...(p.prompt as unknown[]));
  if (Array.isArray(p.messages)) list.push(...(p.messages as unknown[]));
  return list;
}

/** An AI SDK ModelMessage → `{role, parts}`: text, tool-call and tool-result parts kept; files/images/reasoning not. */
function toOtelMessage(m: unknown): AttrValue {
  if (!isObj(m)) return typeof m === 'string' ? { role: 'user', parts: [{ type: 'text', content: m }] } : {};
  const role = typeof m.role === 'string' ? m.role : '';
  const parts: AttrValue[] = [];
  if (typeof m.content === 'string') parts.push({ type: 'text', content: m.content });
  else if (Array.isArray(m.content)) {
    for (const p of m.content as unknown[]) {
      if (!isObj(p)) continue;
      if (p.type === 'text' && typeof p.text === 'string') parts.push({ type: 'text', content: p.text });
      else if (p.type === 'tool-call') parts.push({ type: 'tool_call', id: idOf(p), name: nameOf(p), arguments: (p.input ?? p.args ?? null) as AttrValue });
      else if (p.type === 'tool-result') parts.push({ type: 'tool_call_response', id: idOf(p), result: toolOutput(p) });
    }
  }
  return { role, parts };
}

const idOf = (p: Obj): string | null => (typeof p.toolCallId === 'string' ? p.toolCallId : null);
const nameOf = (p: Obj): string | null => (typeof p.toolName === 'string' ? p.toolName : null);

/** ai 5/6 `output: {type: 'text'|'json'|'error-text'|…, value}`; ai 4 `result`. */
function toolOutput(p: Obj): AttrValue {
  const o = p.output;
  if (isObj(o) && 'value' in o) return o.value as AttrValue;
  return (o ?? p.result ?? null) as AttrValue;
}

/** The call's reply as one assistant message: text (or the generated object), requested tool calls, finish reason. */
function replyMessage(a: Attributes): AttrValue | null {
  const text = a['ai.response.text'] ?? a['ai.response.object'];
  const calls = parsed(a['ai.response.toolCalls']);
  if (text === undefined && calls === undefined) return null;
  const parts: AttrValue[] = [];
  if (typeof text === 'string') parts.push({ type: 'text', content: text });
  if (Array.isArray(calls)) {
    for (const c of calls as unknown[]) {
      if (isObj(c)) parts.push({ type: 'tool_call', id: idOf(c), name: nameOf(c), arguments: (c.input ?? c.args ?? null) as AttrValue });
    }
  }
  const finish = str(a, 'ai.response.finishReason');
  return { role: 'assistant', parts, ...(finish !== null ? { finish_reason: finish } : {}) };
}

/** `ai.prompt.tools`: one JSON string per tool (`{type, name, description, inputSchema}`). */
function toolDefinitions(v: AttrValue | undefined): AttrValue | null {
  const list: unknown = typeof v === 'string' ? parseJson(v) : v;
  if (!Array.isArray(list)) return null;
  const defs: AttrValue[] = [];
  for (const item of list as unknown[]) {
    const d = typeof item === 'string' ? parseJson(item) : item;
    if (isObj(d) && typeof d.name === 'string') defs.push({ type: typeof d.type === 'string' ? d.type : 'function', name: d.name });
  }
  return defs;
}
