import type { AttrValue, Attributes } from '../otlp/model.js';

/**
 * Typed attribute lookups over the decoded OTLP attribute map, with ordered alias lists
 * (official GenAI semconv → legacy GenAI → Traceloop → OpenInference), and readers for indexed attributes
 * (`gen_ai.prompt.0.content`, `llm.input_messages.1.message.role`, …) collected in one pass over the keys.
 */

/** A non-empty string value, else null. */
export function str(attrs: Attributes, key: string): string | null {
  const v = attrs[key];
  return typeof v === 'string' && v.length > 0 ? v : null;
}

/** The first non-empty string among `keys`. */
export function firstString(attrs: Attributes, keys: readonly string[]): string | null {
  for (let i = 0; i < keys.length; i++) {
    const v = attrs[keys[i]];
    if (typeof v === 'string' && v.length > 0) return v;
  }
  return null;
}

/** A finite number; numeric strings (some emitters stringify ints) are accepted. */
export function toNumber(v: AttrValue | undefined): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' && v.length > 0 && v.length < 32) {
    const n = Number(v);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

export function num(attrs: Attributes, key: string): number | null {
  return toNumber(attrs[key]);
}

/** The first finite number among `keys`. */
export function firstNumber(attrs: Attributes, keys: readonly string[]): number | null {
  for (let i = 0; i < keys.length; i++) {
    const n = toNumber(attrs[keys[i]]);
    if (n !== null) return n;
  }
  return null;
}

/**
 * A string array (non-strings dropped); a single string is a one-element array, a JSON-encoded array (some
 * emitters stringify arrays) is decoded. null when absent/empty.
 */
export function stringArray(attrs: Attributes, key: string): string[] | null {
  let v: unknown = attrs[key];
  if (typeof v === 'string') {
    if (v.length === 0) return null;
    if (v.charCodeAt(0) !== 91 /* [ */) return [v];
    const parsed = parseJson(v);
    if (!Array.isArray(parsed)) return [v];
    v = parsed;
  }
  if (!Array.isArray(v)) return null;
  const out: string[] = [];
  for (const item of v) if (typeof item === 'string' && item.length > 0) out.push(item);
  return out.length > 0 ? out : null;
}

const PROVIDER_ALIASES: Record<string, string> = {
  azure: 'azure.ai.openai',
  'az.ai.openai': 'azure.ai.openai',
  aws: 'aws.bedrock',
  google: 'gcp.gen_ai',
};

/** `gen_ai.system` / `gen_ai.provider.name` normalised: lower-case, old free-form values mapped to semconv ids. */
export function normalizeProvider(value: string): string {
  const v = value.trim().toLowerCase();
  return PROVIDER_ALIASES[v] ?? v;
}

const PROVIDER_KEYS = ['gen_ai.provider.name', 'gen_ai.system', 'llm.provider', 'llm.system', 'llm.vendor'] as const;

export function readProvider(attrs: Attributes): string | null {
  const v = firstString(attrs, PROVIDER_KEYS);
  return v === null ? null : normalizeProvider(v);
}

// ---------------------------------------------------------------------------------------------------------
// Indexed attributes

/** One index of an indexed attribute family: `prefix.<index>.<field>` → fields[field]. */
export interface IndexedRecord {
  index: number;
  fields: Record<string, AttrValue>;
}

/** All indexed families the mapping reads, collected in a single pass over the span's attribute keys. */
export interface AttributeIndex {
  /** `gen_ai.prompt.N.*` (role, content, tool_calls.M.*, function_call.*, tool_call_id). */
  prompt: IndexedRecord[];
  /** `gen_ai.completion.N.*` (role, content, finish_reason, tool_calls.M.name|arguments|id, function_call.*). */
  completion: IndexedRecord[];
  /** `llm.request.functions.N.*` (name, description, parameters). */
  functions: IndexedRecord[];
  /** OpenInference `llm.input_messages.N.*` (message.role, message.content, message.contents.K.…). */
  oiInput: IndexedRecord[];
  /** OpenInference `llm.output_messages.N.*`. */
  oiOutput: IndexedRecord[];
  /** OpenInference `llm.tools.N.*` (tool.json_schema). */
  oiTools: IndexedRecord[];
  /** OpenInference `retrieval.documents.N.*` (document.id|score|content|metadata). */
  oiDocuments: IndexedRecord[];
  /** Traceloop `db.vector.query.result.N.*` (score, id, …). */
  vectorResults: IndexedRecord[];
  /** Any `db.vector.query.*` key present (classifies a vector-DB query span). */
  hasVectorQuery: boolean;
}

const P_PROMPT = 'gen_ai.prompt.';
const P_COMPLETION = 'gen_ai.completion.';
const P_FUNCTIONS = 'llm.request.functions.';
const P_OI_IN = 'llm.input_messages.';
const P_OI_OUT = 'llm.output_messages.';
const P_OI_TOOLS = 'llm.tools.';
const P_OI_DOCS = 'retrieval.documents.';
const P_VECTOR = 'db.vector.query.';
const P_VECTOR_RESULT = 'db.vector.query.result.';

/** Splits `"<digits>.<rest>"` starting at `from`; returns -1 when `key` has no index there. */
function parseIndex(key: string, from: number): { index: number; rest: string } | null {
  let i = from;
  let n = 0;
  const len = key.length;
  while (i < len) {
    const c = key.charCodeAt(i);
    if (c < 48 || c > 57) break;
    n = n * 10 + (c - 48);
    i++;
  }
  if (i === from || i >= len - 1 || key.charCodeAt(i) !== 46 /* . */ || i - from > 6) return null;
  return { index: n, rest: key.slice(i + 1) };
}

/** Groups `prefix.N.field` keys of a (sub)record into IndexedRecords sorted by N. */
export function readIndexed(attrs: Record<string, AttrValue>, prefix: string): IndexedRecord[] {
  let groups: Map<number, Record<string, AttrValue>> | null = null;
  for (const key in attrs) {
    if (!key.startsWith(prefix)) continue;
    const p = parseIndex(key, prefix.length);
    if (p === null) continue;
    groups ??= new Map();
    let g = groups.get(p.index);
    if (g === undefined) groups.set(p.index, (g = {}));
    g[p.rest] = attrs[key];
  }
  return groups === null ? [] : toSorted(groups);
}

function toSorted(groups: Map<number, Record<string, AttrValue>>): IndexedRecord[] {
  const out: IndexedRecord[] = [];
  for (const [index, fields] of groups) out.push({ index, fields });
  if (out.length > 1) out.sort((a, b) => a.index - b.index);
  return out;
}

type Groups = Map<number, Record<string, AttrValue>>;

/** Adds `key` (index parsed at `from`) to `groups`, creating the map on first use; returns it. */
function addTo(groups: Groups | null, key: string, from: number, value: AttrValue): Groups | null {
  const p = parseIndex(key, from);
  if (p === null) return groups;
  const m = groups ?? new Map<number, Record<string, AttrValue>>();
  let g = m.get(p.index);
  if (g === undefined) m.set(p.index, (g = {}));
  g[p.rest] = value;
  return m;
}

function sorted(groups: Groups | null): IndexedRecord[] {
  return groups === null ? EMPTY : toSorted(groups);
}

/** One pass over the attribute keys, dispatching on the first character before any prefix comparison. */
export function scanAttributes(attrs: Attributes): AttributeIndex {
  let prompt: Groups | null = null;
  let completion: Groups | null = null;
  let functions: Groups | null = null;
  let oiInput: Groups | null = null;
  let oiOutput: Groups | null = null;
  let oiTools: Groups | null = null;
  let oiDocuments: Groups | null = null;
  let vectorResults: Groups | null = null;
  let hasVectorQuery = false;
  // A distinguishing character is tested before each startsWith: most keys share "gen_ai." / "llm." and
  // startsWith on every key of every span is measurably slower than a charCodeAt.
  for (const key in attrs) {
    switch (key.charCodeAt(0)) {
      case 103: // g: gen_ai.prompt. (p at 7, "." at 13) / gen_ai.completion. (c at 7, "." at 17)
        if (key.charCodeAt(7) === 112) {
          if (key.charCodeAt(13) === 46 && key.startsWith(P_PROMPT)) prompt = addTo(prompt, key, P_PROMPT.length, attrs[key]);
        } else if (key.charCodeAt(7) === 99) {
          if (key.charCodeAt(17) === 46 && key.startsWith(P_COMPLETION)) completion = addTo(completion, key, P_COMPLETION.length, attrs[key]);
        }
        break;
      case 108: // l: llm.input_messages. / llm.output_messages. / llm.request.functions. / llm.tools.
        switch (key.charCodeAt(4)) {
          case 105:
            if (key.startsWith(P_OI_IN)) oiInput = addTo(oiInput, key, P_OI_IN.length, attrs[key]);
            break;
          case 111:
            if (key.startsWith(P_OI_OUT)) oiOutput = addTo(oiOutput, key, P_OI_OUT.length, attrs[key]);
            break;
          case 114:
            if (key.charCodeAt(12) === 102 && key.startsWith(P_FUNCTIONS)) functions = addTo(functions, key, P_FUNCTIONS.length, attrs[key]);
            break;
          case 116:
            if (key.charCodeAt(9) === 46 && key.startsWith(P_OI_TOOLS)) oiTools = addTo(oiTools, key, P_OI_TOOLS.length, attrs[key]);
            break;
          default:
            break;
        }
        break;
      case 100: // d: db.vector.query.
        if (key.charCodeAt(3) === 118 && key.startsWith(P_VECTOR)) {
          hasVectorQuery = true;
          if (key.charCodeAt(16) === 114 && key.startsWith(P_VECTOR_RESULT)) {
            vectorResults = addTo(vectorResults, key, P_VECTOR_RESULT.length, attrs[key]);
          }
        }
        break;
      case 114: // r: retrieval.documents.
        if (key.charCodeAt(10) === 100 && key.startsWith(P_OI_DOCS)) oiDocuments = addTo(oiDocuments, key, P_OI_DOCS.length, attrs[key]);
        break;
      default:
        break;
    }
  }
  return {
    prompt: sorted(prompt),
    completion: sorted(completion),
    functions: sorted(functions),
    oiInput: sorted(oiInput),
    oiOutput: sorted(oiOutput),
    oiTools: sorted(oiTools),
    oiDocuments: sorted(oiDocuments),
    vectorResults: sorted(vectorResults),
    hasVectorQuery,
  };
}

const EMPTY: IndexedRecord[] = [];

// ---------------------------------------------------------------------------------------------------------
// Values as content

/**
 * The string form of an attribute value for hashing and measuring: strings as they are; anything structured
 * (already-parsed messages, number arrays, kvlists) as JSON; bytes as base64. null for absent/null.
 */
export function contentString(v: AttrValue | undefined): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  return JSON.stringify(v, bytesReplacer);
}

function bytesReplacer(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') : value;
}

/** A JSON string parsed once; undefined when it is not JSON (Python truncates long values) — never throws. */
export function parseJson(text: string): unknown {
  const c = text.charCodeAt(0);
  // Only structured JSON is worth a parse; a bare word is text.
  if (c !== 91 /* [ */ && c !== 123 /* { */) {
    // Skip leading whitespace cheaply.
    const t = text.trimStart();
    const d = t.charCodeAt(0);
    if (d !== 91 && d !== 123) return undefined;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
