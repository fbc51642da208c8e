import type { AttrValue } from '../../../otlp/model.js';
import { contentString, parseJson } from '../../attributes.js';
import { argsString, isObj, s, type MessageFormat, type Messages, type Msg, type RawToolCall } from '../messages.js';

/**
 * OTel GenAI semconv ≥ 1.37 `gen_ai.input.messages` / `gen_ai.output.messages`: a JSON list of messages in the OTel
 * parts format (`{role, parts: [{type: text|tool_call|tool_call_response|…}], finish_reason}`); OpenAI chat-shaped
 * messages (`content` string or part array, `tool_calls[].function`) are read too, as emitters mix them.
 * `parseMessageList` is shared with the flat format and with `gen_ai.system_instructions`.
 */

/** One message object in OTel parts format or OpenAI chat format. */
function normaliseMessage(m: unknown, forInput: boolean): Msg | null {
  if (typeof m === 'string') return { role: '', text: m, toolCalls: null, finish: null };
  if (!isObj(m)) return null;
  const role = s(m.role) ?? '';
  let text = '';
  let toolCalls: RawToolCall[] | null = null;
  const parts = m.parts;
  if (Array.isArray(parts)) {
    for (const p of parts) {
      if (typeof p === 'string') {
        text += p;
        continue;
      }
      if (!isObj(p)) continue;
      const type = s(p.type);
      if (type === 'tool_call') {
        (toolCalls ??= []).push({ name: s(p.name), args: argsString(p.arguments) });
      } else if (type === 'tool_call_response') {
        if (forInput) text += argsString(p.result ?? p.response) ?? '';
      } else if (type === 'text' || type === null || type === 'input_text' || type === 'output_text') {
        text += s(p.content) ?? s(p.text) ?? '';
      }
      // reasoning / blob / uri / file parts: not reply text, not counted.
    }
  } else if (typeof m.content === 'string') {
    text = m.content;
  } else if (Array.isArray(m.content)) {
    for (const c of m.content) {
      if (typeof c === 'string') text += c;
      else if (isObj(c) && (c.type === 'text' || c.type === undefined || c.type === 'input_text' || c.type === 'output_text')) {
        text += s(c.text) ?? s(c.content) ?? '';
      }
    }
  }
  if (Array.isArray(m.tool_calls)) {
    for (const tc of m.tool_calls) {
      if (!isObj(tc)) continue;
      const fn = isObj(tc.function) ? tc.function : tc;
      (toolCalls ??= []).push({ name: s(fn.name), args: argsString(fn.arguments) });
    }
  }
  return { role, text, toolCalls, finish: s(m.finish_reason) };
}

/** A string, or an object with a role, parts, content or tool calls: anything else is not a message list. */
function isMessageLike(m: unknown): boolean {
  return typeof m === 'string' || (isObj(m) && (m.role !== undefined || m.parts !== undefined || m.content !== undefined || m.tool_calls !== undefined));
}

/**
 * A message list (JSON string or already-structured value; also `{messages: [...]}` and a single message); raw text
 * when it is not JSON or not message-shaped; null when absent or "".
 */
export function parseMessageList(v: AttrValue | undefined, forInput: boolean): Messages | null {
  if (v === undefined || v === null) return null;
  let parsed: unknown = v;
  if (typeof v === 'string') {
    if (v.length === 0) return null;
    parsed = parseJson(v);
    if (parsed === undefined) return { raw: v };
  }
  const list = Array.isArray(parsed) ? parsed : isObj(parsed) && Array.isArray(parsed.messages) ? parsed.messages : [parsed];
  const messages: Msg[] = [];
  let shaped = list.length === 0;
  for (const m of list) {
    if (!isMessageLike(m)) continue;
    shaped = true;
    const n = normaliseMessage(m, forInput);
    if (n !== null) messages.push(n);
  }
  // Valid JSON that is not a message list (a JSON-mode answer in gen_ai.completion, say) is text, not "no text".
  if (!shaped) return { raw: typeof v === 'string' ? v : (contentString(v) ?? '') };
  return { messages, captured: true };
}

export const genAiMessages: MessageFormat = {
  name: 'OTel GenAI gen_ai.input.messages / gen_ai.output.messages',
  input: (span) => parseMessageList(span.attributes['gen_ai.input.messages'], true),
  output: (span) => parseMessageList(span.attributes['gen_ai.output.messages'], false),
};
