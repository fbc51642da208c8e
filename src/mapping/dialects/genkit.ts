import type { AttrValue, Attributes } from '../../otlp/model.js';
import { parseJson, str, toNumber } from '../attributes.js';
import type { SpanCategory } from '../events.js';
import { ROOT_ANSWERED, SPAN_AGENT_ID, type Dialect } from './types.js';

/**
 * Genkit 1.x (`genkit-tracer` spans). Every Genkit step is a span with `genkit:type` (`action`, `util`, `flowStep`,
 * …), `genkit:name`, `genkit:path` (`/{flow,t:flow}/{generate,t:util}/{model,t:action,s:model}`), `genkit:state`
 * (`success` / `error`, errors also as span status and an exception event), `genkit:input` / `genkit:output` (JSON),
 * and for actions `genkit:metadata:subtype` (`flow`, `model`, `tool`, `tool.v2`, `retriever`, `embedder`, …):
 *  - a flow is the run (Genkit starts a new trace for an action with no Genkit parent);
 *  - a model action is one LLM call: request in `genkit:input` (`messages`, `tools`), response in `genkit:output`
 *    (`message`, `finishReason`, `usage`);
 *  - a tool action is one tool call, named by `genkit:name`;
 *  - a retriever action is one retrieval (`genkit:output.documents`).
 * Usage and finish reasons are read from `genkit:output`, the only place Genkit puts them; only their numbers and
 * the finish reason are structure (the SpanProcessor's redaction then exports them beside the digested output).
 * Content: `genkit:input` / `genkit:output` as whole values (`input.value` / `output.value`: a tool's arguments and
 * result, a flow's input and answer), and a model call's request/response as GenAI messages.
 */

const CATEGORY_BY_SUBTYPE: Record<string, SpanCategory> = {
  model: 'llm',
  tool: 'tool',
  'tool.v2': 'tool',
  flow: 'workflow',
  retriever: 'retrieval',
  embedder: 'other',
  reranker: 'other',
  indexer: 'other',
  evaluator: 'other',
  prompt: 'task',
  'executable-prompt': 'task',
};

/** Non-action step types: `generate` (util) and `ai.run` steps (flowStep) are structure. */
const CATEGORY_BY_TYPE: Record<string, SpanCategory> = { util: 'task', flowStep: 'task', flow: 'workflow' };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Genkit writes every input/output with JSON.stringify: objects, arrays and strings ("\"text\"") come back. */
function json(v: AttrValue | undefined): unknown {
  if (typeof v !== 'string') return v ?? undefined;
  if (v.charCodeAt(0) !== 34 /* " */) return parseJson(v);
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return undefined;
  }
}

/** The flow a step runs in, from the first path segment: `/{supportAgent,t:flow}/…` → supportAgent. */
export function flowOfPath(path: string): string | null {
  const m = /^\/\{([^,}]+),t:flow[,}]/.exec(path);
  return m === null ? null : m[1];
}

/** `googleai/gemini-2.5-flash` → provider `googleai`, model `gemini-2.5-flash`; no slash: model only. */
function splitModel(name: string): { provider: string | null; model: string } {
  const slash = name.indexOf('/');
  return slash > 0 && slash < name.length - 1
    ? { provider: name.slice(0, slash).toLowerCase(), model: name.slice(slash + 1) }
    : { provider: null, model: name };
}

/** A GenerateResponseData: finishReason (also of the first candidate in older shapes) and usage. */
function readResponse(out: Attributes, response: unknown): { finish: string | null; toolRequests: number } {
  if (!isObj(response)) return { finish: null, toolRequests: 0 };
  const candidate = Array.isArray(response.candidates) && isObj(response.candidates[0]) ? response.candidates[0] : null;
  const finish =
    typeof response.finishReason === 'string' ? response.finishReason : typeof candidate?.finishReason === 'string' ? candidate.finishReason : null;
  if (finish !== null) out['gen_ai.response.finish_reasons'] = [finish];
  const usage = isObj(response.usage) ? response.usage : null;
  if (usage !== null) {
    const put = (key: string, v: unknown) => {
      const n = toNumber(v as AttrValue);
      if (n !== null) out[key] = n;
    };
    put('gen_ai.usage.input_tokens', usage.inputTokens);
    put('gen_ai.usage.output_tokens', usage.outputTokens);
    put('gen_ai.usage.total_tokens', usage.totalTokens);
    put('gen_ai.usage.reasoning.output_tokens', usage.thoughtsTokens);
  }
  const message = isObj(response.message) ? response.message : isObj(candidate?.message) ? candidate.message : null;
  const content = Array.isArray(message?.content) ? message.content : [];
  return { finish, toolRequests: content.filter((p) => isObj(p) && p.toolRequest !== undefined).length };
}

/** A captured output that is a value (`null` is what JSON.stringify writes for a flow that returned null). */
const isSet = (v: AttrValue | undefined) => v !== undefined && v !== null && v !== 'null';

export const genkit: Dialect = {
  name: 'genkit',
  matches: (attrs) => typeof attrs['genkit:type'] === 'string',
  category: categoryOf,
  read(_name, a) {
    const input = json(a['genkit:input']);
    const output = json(a['genkit:output']);
    return { structural: structure(a, input, output), content: content(a, input, output) };
  },
};

function categoryOf(a: Attributes): SpanCategory | undefined {
  const type = str(a, 'genkit:type') ?? '';
  const subtype = str(a, 'genkit:metadata:subtype');
  if (type === 'action') return subtype !== null && Object.hasOwn(CATEGORY_BY_SUBTYPE, subtype) ? CATEGORY_BY_SUBTYPE[subtype] : undefined;
  return Object.hasOwn(CATEGORY_BY_TYPE, type) ? CATEGORY_BY_TYPE[type] : undefined;
}

function structure(a: Attributes, input: unknown, output: unknown): Attributes {
  const out: Attributes = {};
  const type = str(a, 'genkit:type') ?? '';
  const subtype = str(a, 'genkit:metadata:subtype');
  const category = categoryOf(a);
  const name = str(a, 'genkit:name');
  const succeeded = a['genkit:state'] === 'success';

  if (category === 'llm' && name !== null) {
    const { provider, model } = splitModel(name);
    out['gen_ai.request.model'] = model;
    if (provider !== null) out['gen_ai.provider.name'] = provider;
    readResponse(out, output);
  } else if (category === 'tool' && name !== null) {
    out['gen_ai.tool.name'] = name;
  } else if (category === 'retrieval') {
    if (name !== null) out['gen_ai.data_source.id'] = name;
    const k = isObj(input) && isObj(input.options) ? toNumber(input.options.k as AttrValue) : null;
    if (k !== null) out['gen_ai.request.top_k'] = k;
    if (isObj(output) && Array.isArray(output.documents)) out['db.vector.query.result_count'] = output.documents.length;
  }

  // The run's answer: a flow that returned a value answered; a bare generate() answered when it stopped on text.
  if (category === 'workflow') {
    if (succeeded) out[ROOT_ANSWERED] = isSet(a['genkit:output']);
  } else if (type === 'util' && name === 'generate' && succeeded) {
    const r = readResponse({}, output);
    if (r.finish !== null) out[ROOT_ANSWERED] = r.finish.toLowerCase() === 'stop' && r.toolRequests === 0;
  }

  // The flow names the agent (its own span, or the first segment of a step's path).
  const path = str(a, 'genkit:path');
  const flow = subtype === 'flow' ? name : path !== null ? flowOfPath(path) : null;
  if (flow !== null) {
    out[SPAN_AGENT_ID] = flow;
    out['gen_ai.agent.name'] = flow;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Content

function content(a: Attributes, input: unknown, output: unknown): Attributes {
  const out: Attributes = {};
  // A JSON string value is its text (a flow's question and answer are usually strings).
  if (a['genkit:input'] !== undefined) out['input.value'] = typeof input === 'string' ? input : a['genkit:input'];
  if (a['genkit:output'] !== undefined) out['output.value'] = typeof output === 'string' ? output : a['genkit:output'];
  // A model action's GenerateRequest / GenerateResponseData, and a bare generate()'s options / response.
  const subtype = str(a, 'genkit:metadata:subtype');
  const isModel = a['genkit:type'] === 'action' && subtype === 'model';
  if (!isModel && !(a['genkit:type'] === 'util' && a['genkit:name'] === 'generate')) return out;
  if (isObj(input) && Array.isArray(input.messages)) {
    out['gen_ai.input.messages'] = (input.messages as unknown[]).map(toOtelMessage);
    if (isModel && Array.isArray(input.tools)) {
      const defs: AttrValue[] = [];
      for (const t of input.tools as unknown[]) if (isObj(t) && typeof t.name === 'string') defs.push({ type: 'function', name: t.name });
      out['gen_ai.tool.definitions'] = defs;
    }
  }
  if (isObj(output)) {
    const candidate = Array.isArray(output.candidates) && isObj(output.candidates[0]) ? output.candidates[0] : null;
    const message = isObj(output.message) ? output.message : isObj(candidate?.message) ? candidate.message : null;
    if (message !== null) {
      const reply = toOtelMessage(message) as Record<string, AttrValue>;
      const finish = typeof output.finishReason === 'string' ? output.finishReason : candidate?.finishReason;
      if (typeof finish === 'string') reply.finish_reason = finish;
      out['gen_ai.output.messages'] = [reply];
    }
  }
  return out;
}

const ROLES: Record<string, string> = { model: 'assistant', user: 'user', system: 'system', tool: 'tool' };

/** A Genkit MessageData (`{role, content: Part[]}`) → `{role, parts}`: text, toolRequest, toolResponse kept. */
function toOtelMessage(m: unknown): AttrValue {
  if (!isObj(m)) return {};
  const role = typeof m.role !== 'string' ? '' : Object.hasOwn(ROLES, m.role) ? ROLES[m.role] : m.role;
  const parts: AttrValue[] = [];
  for (const p of Array.isArray(m.content) ? (m.content as unknown[]) : []) {
    if (!isObj(p)) continue;
    if (typeof p.text === 'string') parts.push({ type: 'text', content: p.text });
    else if (isObj(p.toolRequest)) {
      const r = p.toolRequest;
      parts.push({ type: 'tool_call', id: (r.ref ?? null) as AttrValue, name: (r.name ?? null) as AttrValue, arguments: (r.input ?? null) as AttrValue });
    } else if (isObj(p.toolResponse)) {
      const r = p.toolResponse;
      parts.push({ type: 'tool_call_response', id: (r.ref ?? null) as AttrValue, result: (r.output ?? null) as AttrValue });
    }
  }
  return { role, parts };
}
