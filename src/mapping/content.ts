import type { AttrValue, Attributes, OtlpSpan } from '../otlp/model.js';
import type { InjectionFacts, SpanCategory, ToolCallRequest } from './events.js';
import { contentString, parseJson, readIndexed, type AttributeIndex, type IndexedRecord } from './attributes.js';
import type { Hasher } from './hash.js';
import { scanForInjection } from './injection.js';

/**
 * Content facts: everything the mapping derives from content (prompts, completions, tool arguments/results,
 * retrieval queries/documents, tool definitions, error messages). Content itself never leaves this module:
 * only digests, lengths, tool names, finish reasons, counts/scores and injection-pattern labels.
 *
 * The same facts are what `redactSpan` encodes as `dunetrace.content.*` attributes, so `mapSpan` on a redacted
 * span reads them back instead of recomputing (see redact.ts).
 *
 * Text rules (documented because digests and lengths depend on them):
 * - A message's text is its text parts concatenated (plus tool-call responses for input messages); a message list's
 *   text is the non-empty message texts joined with "\n". Lengths are JS string lengths (UTF-16 code units).
 * - A value that cannot be parsed (Python truncates long JSON) is taken as raw text: digest and length of the raw
 *   string; roles are then unknown and the whole raw string counts as user input for the injection scan.
 * - Structured (already-parsed) values are serialised with JSON.stringify before hashing.
 */

export interface Measured {
  hash: string;
  length: number;
}

export interface ContentFacts {
  /** LLM prompt: all input messages' text. */
  input: Measured | null;
  /** The user's input (root spans only): entity input → user-role message text → input.value. */
  user: Measured | null;
  /** Injection scan of the raw user input (LLM spans and root spans). */
  injection: InjectionFacts | null;
  /** System instructions digest (LLM spans). */
  system: string | null;
  /** Output: assistant text (LLM) / entity output / output.value. null = not captured (NOT empty). */
  output: Measured | null;
  /** Tool arguments (tool spans). */
  args: Measured | null;
  /** Tool result (tool spans). */
  result: Measured | null;
  /** Retrieval query digest (retrieval spans). */
  query: string | null;
  /** Digest of the status message, else of the first exception.message. */
  error: string | null;
  /** Finish reasons found only in content (output messages), normalised; null when none there. */
  finish_reasons: string[] | null;
  /** Tool calls the model requested (LLM spans): names kept, arguments hashed. */
  tool_calls: ToolCallRequest[];
  /** Tool names offered/defined on the span (tool definitions, llm.request.functions, llm.tools), sorted, unique. */
  tools: string[];
  /** From gen_ai.retrieval.documents (content): document count and best score. */
  documents: { count: number | null; top_score: number | null } | null;
}

export interface ContentContext {
  category: SpanCategory;
  isRoot: boolean;
  index: AttributeIndex;
}

// ---------------------------------------------------------------------------------------------------------
// Messages, normalised across the three formats

interface RawToolCall {
  name: string | null;
  args: string | null;
}

interface Msg {
  role: string;
  text: string;
  toolCalls: RawToolCall[] | null;
  finish: string | null;
}

/**
 * Messages parsed from a source, or the raw string when it could not be parsed. `captured` is false when the
 * source only had structure (roles, finish reasons, tool names) but no content: then there is no text to measure,
 * which is unknown, not empty.
 */
type Messages = { messages: Msg[]; captured: boolean; raw?: undefined } | { messages?: undefined; captured?: undefined; raw: string };

type Obj = { [key: string]: unknown };

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function s(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function argsString(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  return contentString(v as AttrValue);
}

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

function messagesFromValue(v: AttrValue | undefined, forInput: boolean): Messages | null {
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

/** A flat string (`gen_ai.prompt` / `gen_ai.completion`): JSON message lists are read as such, else raw text. */
function messagesFromFlat(v: AttrValue | undefined, forInput: boolean): Messages | null {
  if (typeof v !== 'string' || v.length === 0) return v === undefined || v === null ? null : messagesFromValue(v, forInput);
  const first = v.charCodeAt(0);
  if (first === 91 /* [ */ || first === 123 /* { */) return messagesFromValue(v, forInput);
  return { raw: v };
}

/** Traceloop legacy `gen_ai.prompt.N.*` / `gen_ai.completion.N.*`. */
function messagesFromIndexed(records: IndexedRecord[]): Messages {
  const messages: Msg[] = [];
  let captured = false;
  for (const { fields } of records) {
    let toolCalls: RawToolCall[] | null = null;
    for (const tc of readIndexed(fields, 'tool_calls.')) {
      const args = argsString(tc.fields.arguments);
      if (args !== null) captured = true;
      (toolCalls ??= []).push({ name: s(tc.fields.name), args });
    }
    const fnName = s(fields['function_call.name']);
    if (fnName !== null || fields['function_call.arguments'] !== undefined) {
      const args = argsString(fields['function_call.arguments']);
      if (args !== null) captured = true;
      (toolCalls ??= []).push({ name: fnName, args });
    }
    if (fields.content !== undefined) captured = true;
    messages.push({
      role: s(fields.role) ?? '',
      text: contentString(fields.content) ?? '',
      toolCalls,
      finish: s(fields.finish_reason),
    });
  }
  return { messages, captured };
}

/** OpenInference `llm.input_messages.N.message.*` / `llm.output_messages.N.message.*`. */
function messagesFromOpenInference(records: IndexedRecord[]): Messages {
  const messages: Msg[] = [];
  let captured = false;
  for (const { fields } of records) {
    let text = '';
    if (fields['message.content'] !== undefined) {
      captured = true;
      text = contentString(fields['message.content']) ?? '';
    } else {
      for (const c of readIndexed(fields, 'message.contents.')) {
        const t = c.fields['message_content.text'];
        if (typeof t === 'string') {
          captured = true;
          text += t;
        }
      }
    }
    let toolCalls: RawToolCall[] | null = null;
    for (const tc of readIndexed(fields, 'message.tool_calls.')) {
      const args = argsString(tc.fields['tool_call.function.arguments']);
      if (args !== null) captured = true;
      (toolCalls ??= []).push({ name: s(tc.fields['tool_call.function.name']), args });
    }
    messages.push({ role: s(fields['message.role']) ?? '', text, toolCalls, finish: null });
  }
  return { messages, captured };
}

/** What content extraction reads from a span. */
export type ContentSource = Pick<OtlpSpan, 'attributes' | 'events' | 'status'>;

function eventAttr(span: ContentSource, eventName: string, key: string): AttrValue | undefined {
  for (const e of span.events) if (e.name === eventName) return e.attributes[key];
  return undefined;
}

function inputMessages(span: ContentSource, index: AttributeIndex): Messages | null {
  const a = span.attributes;
  return (
    messagesFromValue(a['gen_ai.input.messages'], true) ??
    (index.prompt.length > 0 ? messagesFromIndexed(index.prompt) : null) ??
    (index.oiInput.length > 0 ? messagesFromOpenInference(index.oiInput) : null) ??
    messagesFromFlat(a['gen_ai.prompt'], true) ??
    messagesFromFlat(eventAttr(span, 'gen_ai.content.prompt', 'gen_ai.prompt'), true)
  );
}

function outputMessages(span: ContentSource, index: AttributeIndex): Messages | null {
  const a = span.attributes;
  return (
    messagesFromValue(a['gen_ai.output.messages'], false) ??
    (index.completion.length > 0 ? messagesFromIndexed(index.completion) : null) ??
    (index.oiOutput.length > 0 ? messagesFromOpenInference(index.oiOutput) : null) ??
    messagesFromFlat(a['gen_ai.completion'], false) ??
    messagesFromFlat(eventAttr(span, 'gen_ai.content.completion', 'gen_ai.completion'), false)
  );
}

function joinText(messages: Msg[], roleFilter: ((role: string) => boolean) | null): string | null {
  let out: string | null = null;
  for (const m of messages) {
    if (roleFilter !== null && !roleFilter(m.role)) continue;
    if (m.text.length === 0) {
      out ??= '';
      continue;
    }
    out = out === null || out.length === 0 ? m.text : out + '\n' + m.text;
  }
  return out;
}

const isUser = (role: string): boolean => role === 'user' || role === 'human';
const isSystem = (role: string): boolean => role === 'system' || role === 'developer';

// ---------------------------------------------------------------------------------------------------------
// Finish reasons

const FINISH_ALIASES: Record<string, string> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  max_output_tokens: 'length',
  tool_use: 'tool_calls',
  tool_call: 'tool_calls',
  function_call: 'tool_calls',
  safety: 'content_filter',
};

/**
 * Lower-case and fold provider spellings onto the OpenAI vocabulary the detectors use: Anthropic/Bedrock
 * end_turn/stop_sequence → stop, max_tokens → length, tool_use → tool_calls; Traceloop JS tool_call → tool_calls;
 * Gemini STOP/MAX_TOKENS/SAFETY → stop/length/content_filter. Unknown values are kept (lower-cased).
 */
export function normalizeFinishReason(reason: string): string {
  const r = reason.trim().toLowerCase();
  return Object.hasOwn(FINISH_ALIASES, r) ? FINISH_ALIASES[r] : r;
}

// ---------------------------------------------------------------------------------------------------------
// Tool definitions

function toolNameOf(def: unknown): string | null {
  if (!isObj(def)) return null;
  const n = s(def.name);
  if (n !== null && n.length > 0) return n;
  if (isObj(def.function)) {
    const f = s(def.function.name);
    if (f !== null && f.length > 0) return f;
  }
  return null;
}

function collectTools(a: Attributes, index: AttributeIndex): string[] {
  const defs = a['gen_ai.tool.definitions'];
  if ((defs === undefined || defs === null) && index.functions.length === 0 && index.oiTools.length === 0) return [];
  const names = new Set<string>();
  if (defs !== undefined && defs !== null) {
    const parsed = typeof defs === 'string' ? parseJson(defs) : defs;
    if (Array.isArray(parsed)) for (const d of parsed) add(names, toolNameOf(d));
  }
  for (const f of index.functions) add(names, s(f.fields.name));
  for (const t of index.oiTools) {
    const schema = t.fields['tool.json_schema'];
    add(names, toolNameOf(typeof schema === 'string' ? parseJson(schema) : schema));
  }
  if (names.size === 0) return [];
  return [...names].sort();
}

function add(set: Set<string>, name: string | null): void {
  if (name !== null && name.length > 0) set.add(name);
}

// ---------------------------------------------------------------------------------------------------------
// Extraction

const ARGS_KEYS = ['gen_ai.tool.call.arguments', 'tool.arguments', 'tool_call.function.arguments', 'input.value', 'traceloop.entity.input'];
const RESULT_KEYS = ['gen_ai.tool.call.result', 'tool.result', 'output.value', 'traceloop.entity.output'];
const QUERY_KEYS = ['gen_ai.retrieval.query.text', 'input.value', 'traceloop.entity.input'];

/**
 * The first captured value among `keys`, preferring one with text. A captured empty value ("" — or `""`, the JSON
 * encoding of an empty return value that Traceloop writes to traceloop.entity.*) is EMPTY, not unknown: detectors such
 * as AGENT_HANDOFF_FAILURE need to tell "returned nothing" from "not captured".
 */
function firstContent(a: Attributes, keys: readonly string[]): string | null {
  let empty: string | null = null;
  for (const k of keys) {
    const v = contentString(a[k]);
    if (v === null) continue;
    if (v.length > 0 && !(v === '""' && k.startsWith('traceloop.entity.'))) return v;
    empty = '';
  }
  return empty;
}

/**
 * A digest function that hashes each distinct string once per span (the same value often feeds two facts, and
 * redaction hashes the values the facts were derived from).
 */
export function memoDigest(hasher: Hasher): (text: string) => string {
  let lastText: string | null = null;
  let lastHash = '';
  let cache: Map<string, string> | null = null;
  // The common case is one or two values per span: remember the last one, and only build a Map past that.
  return (text) => {
    if (text === lastText) return lastHash;
    let h: string | undefined;
    if (lastText !== null) {
      cache ??= new Map([[lastText, lastHash]]);
      h = cache.get(text);
    }
    if (h === undefined) {
      h = hasher.digest(text);
      cache?.set(text, h);
    }
    lastText = text;
    lastHash = h;
    return h;
  };
}

/** The facts a span's content gives, for its category (and root-ness). Never throws on malformed content. */
export function extractContent(span: ContentSource, ctx: ContentContext, digest: (text: string) => string): ContentFacts {
  const measure = (text: string | null): Measured | null => (text === null ? null : { hash: digest(text), length: text.length });
  const a = span.attributes;
  const { category, isRoot, index } = ctx;
  const isLlm = category === 'llm';

  const facts: ContentFacts = {
    input: null,
    user: null,
    injection: null,
    system: null,
    output: null,
    args: null,
    result: null,
    query: null,
    error: null,
    finish_reasons: null,
    tool_calls: [],
    tools: collectTools(a, index),
    documents: null,
  };

  // Input side: the prompt (LLM spans) and the user's own input (injection scan; digest for roots).
  if (isLlm || isRoot) {
    let userText: string | null;
    if (isLlm) {
      const msgs = inputMessages(span, index);
      if (msgs?.raw !== undefined) {
        facts.input = measure(msgs.raw);
        userText = msgs.raw;
      } else if (msgs?.captured) {
        facts.input = measure(joinText(msgs.messages, null) ?? '');
        userText = joinText(msgs.messages, isUser);
      } else {
        const fallback = firstContent(a, ENTITY_INPUT_KEYS);
        facts.input = measure(fallback);
        userText = fallback;
      }
      const sys = systemText(a, msgs?.captured ? msgs.messages : null);
      if (sys !== null) facts.system = digest(sys);
    } else {
      userText = firstContent(a, ['traceloop.entity.input']);
      if (userText === null) {
        const msgs = inputMessages(span, index);
        if (msgs?.raw !== undefined) userText = msgs.raw;
        else if (msgs?.captured) userText = joinText(msgs.messages, isUser);
      }
      userText ??= firstContent(a, ['input.value']);
    }
    if (userText !== null) facts.injection = scanForInjection(userText);
    if (isRoot) facts.user = measure(userText);
  }

  // Output side: the reply (LLM spans) and the run's output (roots).
  if (isLlm || isRoot) {
    let outText: string | null = isLlm ? null : firstContent(a, ['traceloop.entity.output']);
    if (outText === null) {
      const msgs = outputMessages(span, index);
      if (msgs?.raw !== undefined) {
        outText = msgs.raw;
      } else if (msgs !== null) {
        if (msgs.captured) outText = joinText(msgs.messages, null) ?? '';
        if (isLlm) readReply(msgs.messages, facts, digest);
      }
    }
    facts.output = measure(outText ?? firstContent(a, ENTITY_OUTPUT_KEYS));
  }

  if (category === 'tool') {
    facts.args = measure(firstContent(a, ARGS_KEYS));
    facts.result = measure(firstContent(a, RESULT_KEYS));
  } else if (category === 'retrieval') {
    const q = firstContent(a, QUERY_KEYS);
    facts.query = q === null ? null : digest(q);
    facts.documents = readDocuments(a['gen_ai.retrieval.documents']);
  }

  const err = errorText(span);
  facts.error = err === null ? null : digest(err);
  return facts;
}

const ENTITY_INPUT_KEYS = ['input.value', 'traceloop.entity.input'];
const ENTITY_OUTPUT_KEYS = ['output.value', 'traceloop.entity.output'];

/** Finish reasons and requested tool calls from output messages (names kept, arguments hashed). */
function readReply(messages: Msg[], facts: ContentFacts, digest: (t: string) => string): void {
  let reasons: string[] | null = null;
  for (const m of messages) {
    if (m.finish !== null && m.finish.length > 0) (reasons ??= []).push(normalizeFinishReason(m.finish));
    if (m.toolCalls === null) continue;
    for (const tc of m.toolCalls) {
      if (tc.name === null || tc.name.length === 0) continue;
      facts.tool_calls.push({ name: tc.name, args_hash: tc.args === null ? null : digest(tc.args) });
    }
  }
  facts.finish_reasons = reasons;
}

function systemText(a: Attributes, messages: Msg[] | null): string | null {
  const v = a['gen_ai.system_instructions'];
  if (v !== undefined && v !== null) {
    const m = messagesFromValue(v, true);
    if (m !== null) {
      if (m.raw !== undefined) return m.raw;
      // system_instructions is an array of parts, i.e. one message's parts: join them without separators.
      let t = '';
      for (const msg of m.messages) t += msg.text;
      return t;
    }
  }
  return messages === null ? null : joinText(messages, isSystem);
}

function readDocuments(v: AttrValue | undefined): ContentFacts['documents'] {
  if (v === undefined || v === null) return null;
  const parsed = typeof v === 'string' ? parseJson(v) : v;
  if (!Array.isArray(parsed)) return null;
  let top: number | null = null;
  for (const d of parsed) {
    if (!isObj(d)) continue;
    const sc = d.score;
    if (typeof sc === 'number' && Number.isFinite(sc) && (top === null || sc > top)) top = sc;
  }
  return { count: parsed.length, top_score: top };
}

/** Status message, else the first exception event's message: content, so only ever hashed. */
export function errorText(span: ContentSource): string | null {
  if (span.status.message.length > 0) return span.status.message;
  for (const e of span.events) {
    if (e.name !== 'exception') continue;
    const m = e.attributes['exception.message'];
    if (typeof m === 'string' && m.length > 0) return m;
  }
  return null;
}
