import type { AttrValue, Attributes, OtlpSpan } from '../../otlp/model.js';
import { parseJson, str } from '../attributes.js';
import type { Dialect } from './types.js';

/**
 * LangChain.js / LangGraph through OpenLLMetry (`@traceloop/instrumentation-langchain` 0.27, scope of the same name).
 * Its tool spans are `execute_tool <class>` with `traceloop.entity.name` = the tool's CLASS (`DynamicStructuredTool`
 * for every tool made with `tool()`): the tool's own name is on no attribute. Read as is, every tool is the same tool
 * (three different tools in five calls would be a TOOL_LOOP). The real name, when content tracing is on, is in the
 * result: `traceloop.entity.output` is the serialised ToolMessage (`kwargs.name`, `kwargs.tool_call_id`). A tool
 * that threw has no output; its name is then resolved per export from the LangGraph tools node around it
 * (`nameFailedTools`), else the call is marked unnamed and map-span names it by its arguments' digest — never by
 * the class.
 *
 * Structure derived here (exported by the SpanProcessor's redaction beside the digested originals): gen_ai.tool.name,
 * gen_ai.tool.call.id, or the unnamed marker. Content: the tool's own arguments and result text.
 */

/** Set on a LangChain tool span whose tool name is known nowhere: map-span names the call by its arguments. */
export const TOOL_UNNAMED = 'dunetrace.tool.unnamed';

/** LangChain's own tool classes: every tool made with `tool()` / `new DynamicTool(…)` has one of these names. */
const GENERIC_TOOL_CLASSES: ReadonlySet<string> = new Set(['DynamicStructuredTool', 'DynamicTool', 'StructuredTool', 'Tool', 'unknown']);

/** The LangChain tool span of OpenLLMetry JS: execute_tool, provider langchain, kind task (never set by others). */
function isLangChainTool(a: Attributes): boolean {
  return a['gen_ai.operation.name'] === 'execute_tool' && a['gen_ai.provider.name'] === 'langchain' && a['traceloop.span.kind'] === 'task';
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);

/** A LangChain message as serialised by LangChain (`{lc, type: 'constructor', id: [..., Class], kwargs}`) or as a plain object. */
interface LcMessage {
  kind: 'ai' | 'tool';
  /** ToolMessage: the tool's name and call id, status; AIMessage: the tool calls it asks for. */
  name: string | null;
  toolCallId: string | null;
  content: unknown;
  toolCalls: { id: string | null; name: string }[];
}

function asMessage(v: Obj): LcMessage | null {
  let fields: Obj = v;
  let cls: string | null = null;
  if (v.lc === 1 && v.type === 'constructor' && Array.isArray(v.id) && isObj(v.kwargs)) {
    cls = text(v.id[v.id.length - 1]);
    fields = v.kwargs;
  }
  const type = text(fields.type) ?? text(v.type);
  const isTool = cls === 'ToolMessage' || cls === 'ToolMessageChunk' || type === 'tool';
  const isAi = cls === 'AIMessage' || cls === 'AIMessageChunk' || type === 'ai';
  if (!isTool && !isAi) return null;
  const toolCalls: LcMessage['toolCalls'] = [];
  if (isAi && Array.isArray(fields.tool_calls)) {
    for (const c of fields.tool_calls) {
      const name = isObj(c) ? text(c.name) : null;
      if (name !== null && isObj(c)) toolCalls.push({ id: text(c.id), name });
    }
  }
  return { kind: isTool ? 'tool' : 'ai', name: text(fields.name), toolCallId: text(fields.tool_call_id), content: fields.content, toolCalls };
}

/** LangChain messages in a serialised value, in order (bounded walk: messages sit at most a few levels down). */
export function langChainMessages(v: AttrValue | undefined): LcMessage[] {
  if (typeof v !== 'string' || v.length === 0) return [];
  const root = parseJson(v);
  const out: LcMessage[] = [];
  const walk = (node: unknown, depth: number): void => {
    if (depth > 4 || out.length > 1000) return;
    if (Array.isArray(node)) {
      for (const item of node) walk(item, depth + 1);
      return;
    }
    if (!isObj(node)) return;
    const m = asMessage(node);
    if (m !== null) {
      out.push(m);
      return;
    }
    for (const key of ['messages', 'output', 'outputs', 'generations']) if (node[key] !== undefined) walk(node[key], depth + 1);
  };
  walk(root, 0);
  return out;
}

/** The ToolMessage a tool span returned (its traceloop.entity.output), if any. */
function ownResult(a: Attributes): LcMessage | null {
  const msgs = langChainMessages(a['traceloop.entity.output']);
  return msgs.length === 1 && msgs[0].kind === 'tool' ? msgs[0] : null;
}

/** `{"args":["<the tool input>"]}` → the tool input (OpenLLMetry wraps it). */
function ownArguments(a: Attributes): AttrValue | undefined {
  const input = a['traceloop.entity.input'];
  if (typeof input !== 'string') return undefined;
  const parsed = parseJson(input);
  if (isObj(parsed) && Array.isArray(parsed.args) && parsed.args.length === 1 && typeof parsed.args[0] === 'string') return parsed.args[0];
  return input;
}

export const openllmetryLangchain: Dialect = {
  name: 'openllmetry-langchain',
  matches: isLangChainTool,
  category: () => 'tool',
  read(_name, a) {
    const structural: Attributes = {};
    const content: Attributes = {};
    const result = ownResult(a);
    if (str(a, 'gen_ai.tool.name') === null) {
      const cls = str(a, 'traceloop.entity.name');
      if (result?.name) structural['gen_ai.tool.name'] = result.name;
      // A tool class of the app's own (`class SearchTool extends StructuredTool`) at least tells its tools apart.
      else if (cls !== null && !GENERIC_TOOL_CLASSES.has(cls)) structural['gen_ai.tool.name'] = cls;
      else structural[TOOL_UNNAMED] = true;
    }
    if (result?.toolCallId) structural['gen_ai.tool.call.id'] = result.toolCallId;
    const args = ownArguments(a);
    if (args !== undefined) content['gen_ai.tool.call.arguments'] = args;
    if (result !== null) content['gen_ai.tool.call.result'] = typeof result.content === 'string' ? result.content : JSON.stringify(result.content ?? '');
    return { structural, content };
  },
};

/** What failedToolNames reads of a span (an OTLP span or an SDK ReadableSpan, via a view). */
export interface ToolSpanView {
  traceId: string;
  start: bigint;
  end: bigint;
  attributes: Attributes;
}

/**
 * The names of the LangChain tool spans of one export that threw (no result, so no name): LangGraph's tools node
 * catches the error and returns an error ToolMessage, so the innermost chain span around the failed call (same trace,
 * its time range containing the call) lists, in call order, a ToolMessage per tool it ran. When that list and the tool
 * spans inside the chain span agree in number (and on every name already known), the failed calls take their names
 * by position. Anything less certain is left out (the call stays unnamed). Pure.
 */
export function failedToolNames<T>(spans: readonly T[], view: (s: T) => ToolSpanView): Map<T, { name: string; id: string | null }> {
  const names = new Map<T, { name: string; id: string | null }>();
  const views = spans.map(view);
  const isUnnamed = (v: ToolSpanView) => isLangChainTool(v.attributes) && str(v.attributes, 'gen_ai.tool.name') === null && ownResult(v.attributes) === null;
  if (!views.some(isUnnamed)) return names;

  const containers: { v: ToolSpanView; results: LcMessage[] }[] = [];
  for (const v of views) {
    if (isLangChainTool(v.attributes) || v.attributes['traceloop.entity.output'] === undefined) continue;
    const results = langChainMessages(v.attributes['traceloop.entity.output']).filter((m) => m.kind === 'tool');
    if (results.length > 0) containers.push({ v, results });
  }
  // A millisecond of slack: OTel JS start times are whole milliseconds, ends precise (runs/split-traces.ts).
  const within = (inner: ToolSpanView, outer: ToolSpanView) =>
    inner.traceId === outer.traceId && outer.start <= inner.start + 1_000_000n && inner.end <= outer.end + 1_000_000n;
  const tools = views.filter((v) => isLangChainTool(v.attributes)).sort((x, y) => (x.start < y.start ? -1 : x.start > y.start ? 1 : 0));

  views.forEach((tool, i) => {
    if (!isUnnamed(tool)) return;
    let best: { v: ToolSpanView; results: LcMessage[] } | null = null;
    for (const c of containers) {
      if (within(tool, c.v) && (best === null || c.v.end - c.v.start < best.v.end - best.v.start)) best = c;
    }
    if (best === null) return;
    const box = best;
    const calls = tools.filter((t) => within(t, box.v));
    if (calls.length !== box.results.length) return;
    const agrees = calls.every((c, k) => {
      const known = str(c.attributes, 'gen_ai.tool.name') ?? ownResult(c.attributes)?.name ?? null;
      return known === null || known === box.results[k].name;
    });
    const result = box.results[calls.indexOf(tool)];
    if (agrees && result?.name) names.set(spans[i], { name: result.name, id: result.toolCallId });
  });
  return names;
}

/** The attributes of a tool span named by failedToolNames. */
export function withToolName(attributes: Attributes, n: { name: string; id: string | null }): Attributes {
  const out: Attributes = { ...attributes, 'gen_ai.tool.name': n.name };
  if (n.id !== null && out['gen_ai.tool.call.id'] === undefined) out['gen_ai.tool.call.id'] = n.id;
  return out;
}

/** failedToolNames over an export of OTLP spans: the spans it names are new objects, the others the same. */
export function nameFailedTools(spans: readonly OtlpSpan[]): OtlpSpan[] {
  const names = failedToolNames(spans, (s) => ({ traceId: s.traceId, start: s.startTimeUnixNano, end: s.endTimeUnixNano, attributes: s.attributes }));
  if (names.size === 0) return spans as OtlpSpan[];
  return spans.map((s) => {
    const n = names.get(s);
    return n === undefined ? s : { ...s, attributes: withToolName(s.attributes, n) };
  });
}
