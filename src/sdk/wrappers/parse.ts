import { finiteOrNull, textOf, type ChatMessage, type LlmRequest, type LlmResponse, type Part, type ToolCall } from '../genai.js';

/**
 * OpenAI chat.completions and Anthropic messages, request and response (whole or streamed), read into the SDK's
 * neutral LlmRequest / LlmResponse. Defensive: any field may be missing or of another type; nothing here throws on
 * odd input (callers still guard).
 */

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Text of an OpenAI / Anthropic content field: a string, or the text of its text parts. */
function contentText(content: unknown): string | null {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return null;
  let out = '';
  for (const p of content) {
    if (typeof p === 'string') out += p;
    else if (isObj(p) && (p.type === 'text' || p.type === 'input_text' || p.type === 'output_text')) out += str(p.text) ?? '';
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// OpenAI

export function openaiRequest(params: unknown): LlmRequest {
  const p = isObj(params) ? params : {};
  const messages: ChatMessage[] = [];
  for (const m of arr(p.messages)) {
    if (!isObj(m)) continue;
    const role = str(m.role) ?? 'user';
    const parts: Part[] = [];
    const text = contentText(m.content);
    if (role === 'tool') {
      parts.push({ type: 'tool_call_response', ...(str(m.tool_call_id) ? { id: str(m.tool_call_id) as string } : {}), result: text ?? '' });
    } else if (text !== null) {
      parts.push({ type: 'text', content: text });
    }
    for (const tc of arr(m.tool_calls)) {
      if (!isObj(tc) || !isObj(tc.function)) continue;
      parts.push({
        type: 'tool_call',
        ...(str(tc.id) ? { id: str(tc.id) as string } : {}),
        name: str(tc.function.name) ?? '',
        arguments: tc.function.arguments ?? null,
      });
    }
    messages.push({ role: role === 'developer' ? 'system' : role, parts });
  }
  const tools: string[] = [];
  for (const t of arr(p.tools)) {
    const name = isObj(t) ? (isObj(t.function) ? str(t.function.name) : str(t.name)) : null;
    if (name) tools.push(name);
  }
  return {
    model: str(p.model),
    provider: 'openai',
    maxTokens: finiteOrNull(p.max_completion_tokens) ?? finiteOrNull(p.max_tokens),
    messages,
    tools,
  };
}

export function openaiResponse(resp: unknown): LlmResponse {
  const r = isObj(resp) ? resp : {};
  const choices = arr(r.choices).filter(isObj);
  const first = choices[0];
  const message = first !== undefined && isObj(first.message) ? first.message : {};
  const toolCalls: ToolCall[] = [];
  for (const tc of arr(message.tool_calls)) {
    if (isObj(tc) && isObj(tc.function)) toolCalls.push({ id: str(tc.id), name: str(tc.function.name) ?? '', arguments: tc.function.arguments ?? null });
  }
  const usage = isObj(r.usage) ? r.usage : {};
  const details = isObj(usage.completion_tokens_details) ? usage.completion_tokens_details : {};
  return {
    model: str(r.model),
    id: str(r.id),
    promptTokens: finiteOrNull(usage.prompt_tokens),
    completionTokens: finiteOrNull(usage.completion_tokens),
    reasoningTokens: finiteOrNull(details.reasoning_tokens),
    finishReasons: choices.map((c) => str(c.finish_reason)).filter((f): f is string => f !== null),
    text: contentText(message.content) ?? (toolCalls.length > 0 ? null : (str(message.refusal) ?? '')),
    toolCalls,
  };
}

/** Folds streamed chat.completion.chunk objects into one response (choice 0; usage when include_usage is on). */
export class OpenAIStreamAccumulator {
  private text: string | null = null;
  private readonly calls: { id: string | null; name: string; args: string }[] = [];
  private readonly out: LlmResponse = {};

  add(chunk: unknown): void {
    if (!isObj(chunk)) return;
    this.out.model ??= str(chunk.model);
    this.out.id ??= str(chunk.id);
    if (isObj(chunk.usage)) {
      const u = chunk.usage;
      this.out.promptTokens = finiteOrNull(u.prompt_tokens);
      this.out.completionTokens = finiteOrNull(u.completion_tokens);
      this.out.reasoningTokens = isObj(u.completion_tokens_details) ? finiteOrNull(u.completion_tokens_details.reasoning_tokens) : null;
    }
    for (const c of arr(chunk.choices)) {
      if (!isObj(c) || (c.index !== undefined && c.index !== 0)) continue;
      const finish = str(c.finish_reason);
      if (finish !== null) this.out.finishReasons = [finish];
      const delta = isObj(c.delta) ? c.delta : {};
      const t = str(delta.content);
      if (t !== null) this.text = (this.text ?? '') + t;
      for (const tc of arr(delta.tool_calls)) {
        if (!isObj(tc)) continue;
        const i = typeof tc.index === 'number' ? tc.index : this.calls.length;
        const call = (this.calls[i] ??= { id: null, name: '', args: '' });
        const fn = isObj(tc.function) ? tc.function : {};
        call.id ??= str(tc.id);
        if (str(fn.name)) call.name = fn.name as string;
        call.args += str(fn.arguments) ?? '';
      }
    }
  }

  result(): LlmResponse {
    const toolCalls = this.calls.filter(Boolean).map((c) => ({ id: c.id, name: c.name, arguments: c.args }));
    return { ...this.out, text: this.text ?? (toolCalls.length > 0 ? null : ''), toolCalls };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Anthropic

function anthropicBlocks(content: unknown, role: string): Part[] {
  if (typeof content === 'string') return [{ type: 'text', content }];
  const parts: Part[] = [];
  for (const b of arr(content)) {
    if (!isObj(b)) continue;
    if (b.type === 'text') parts.push({ type: 'text', content: str(b.text) ?? '' });
    else if (b.type === 'tool_use')
      parts.push({ type: 'tool_call', ...(str(b.id) ? { id: str(b.id) as string } : {}), name: str(b.name) ?? '', arguments: b.input ?? null });
    else if (b.type === 'tool_result' && role === 'user') {
      parts.push({ type: 'tool_call_response', ...(str(b.tool_use_id) ? { id: str(b.tool_use_id) as string } : {}), result: contentText(b.content) ?? '' });
    }
  }
  return parts;
}

export function anthropicRequest(params: unknown): LlmRequest {
  const p = isObj(params) ? params : {};
  const messages: ChatMessage[] = [];
  for (const m of arr(p.messages)) {
    if (!isObj(m)) continue;
    const role = str(m.role) ?? 'user';
    messages.push({ role, parts: anthropicBlocks(m.content, role) });
  }
  const tools = arr(p.tools)
    .map((t) => (isObj(t) ? str(t.name) : null))
    .filter((n): n is string => n !== null && n.length > 0);
  return { model: str(p.model), provider: 'anthropic', maxTokens: finiteOrNull(p.max_tokens), messages, system: contentText(p.system), tools };
}

/** input_tokens excludes cached prompt tokens; the GenAI convention (and the detectors) want the whole prompt. */
function anthropicPromptTokens(usage: Obj): number | null {
  const base = finiteOrNull(usage.input_tokens);
  if (base === null) return null;
  return base + (finiteOrNull(usage.cache_creation_input_tokens) ?? 0) + (finiteOrNull(usage.cache_read_input_tokens) ?? 0);
}

export function anthropicResponse(resp: unknown): LlmResponse {
  const r = isObj(resp) ? resp : {};
  let text: string | null = null;
  const toolCalls: ToolCall[] = [];
  for (const b of arr(r.content)) {
    if (!isObj(b)) continue;
    if (b.type === 'text') text = (text ?? '') + (str(b.text) ?? '');
    else if (b.type === 'tool_use') toolCalls.push({ id: str(b.id), name: str(b.name) ?? '', arguments: b.input ?? null });
  }
  const usage = isObj(r.usage) ? r.usage : {};
  const stop = str(r.stop_reason);
  return {
    model: str(r.model),
    id: str(r.id),
    promptTokens: anthropicPromptTokens(usage),
    completionTokens: finiteOrNull(usage.output_tokens),
    finishReasons: stop !== null ? [stop] : [],
    text: text ?? (toolCalls.length > 0 ? null : ''),
    toolCalls,
  };
}

/** Folds Anthropic message stream events into one response. */
export class AnthropicStreamAccumulator {
  private text: string | null = null;
  private readonly blocks = new Map<number, { id: string | null; name: string; json: string; input: unknown }>();
  private readonly out: LlmResponse = {};

  add(event: unknown): void {
    if (!isObj(event)) return;
    switch (event.type) {
      case 'message_start': {
        const m = isObj(event.message) ? event.message : {};
        this.out.model = str(m.model);
        this.out.id = str(m.id);
        if (isObj(m.usage)) {
          this.out.promptTokens = anthropicPromptTokens(m.usage);
          this.out.completionTokens = finiteOrNull(m.usage.output_tokens);
        }
        break;
      }
      case 'content_block_start': {
        const b = isObj(event.content_block) ? event.content_block : {};
        const i = finiteOrNull(event.index) ?? this.blocks.size;
        if (b.type === 'tool_use') this.blocks.set(i, { id: str(b.id), name: str(b.name) ?? '', json: '', input: b.input ?? null });
        else if (b.type === 'text') this.text = (this.text ?? '') + (str(b.text) ?? '');
        break;
      }
      case 'content_block_delta': {
        const d = isObj(event.delta) ? event.delta : {};
        if (d.type === 'text_delta') this.text = (this.text ?? '') + (str(d.text) ?? '');
        else if (d.type === 'input_json_delta') {
          const block = this.blocks.get(finiteOrNull(event.index) ?? -1);
          if (block !== undefined) block.json += str(d.partial_json) ?? '';
        }
        break;
      }
      case 'message_delta': {
        const d = isObj(event.delta) ? event.delta : {};
        const stop = str(d.stop_reason);
        if (stop !== null) this.out.finishReasons = [stop];
        if (isObj(event.usage)) {
          const out = finiteOrNull(event.usage.output_tokens);
          if (out !== null) this.out.completionTokens = out;
          const prompt = anthropicPromptTokens(event.usage);
          if (prompt !== null) this.out.promptTokens = prompt;
        }
        break;
      }
      default:
        break;
    }
  }

  result(): LlmResponse {
    const toolCalls: ToolCall[] = [...this.blocks.values()].map((b) => ({ id: b.id, name: b.name, arguments: b.json.length > 0 ? b.json : b.input }));
    return { ...this.out, text: this.text ?? (toolCalls.length > 0 ? null : ''), toolCalls };
  }
}

/** A whole response of either API (for `run.llm(model, promise)`), by its shape. */
export function parseLlmResult(resp: unknown): LlmResponse {
  if (isObj(resp) && Array.isArray(resp.choices)) return openaiResponse(resp);
  if (isObj(resp) && Array.isArray(resp.content)) return anthropicResponse(resp);
  return { text: textOf(resp) };
}
