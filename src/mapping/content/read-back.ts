import type { AttrValue, Attributes } from '../../otlp/model.js';
import { contentString, parseJson, type AttributeIndex } from '../attributes.js';
import { ENTITY_OUTPUT_KEYS, RESULT_KEYS, firstContent } from './entity-values.js';
import { isObj } from './messages.js';

/**
 * The "read-back" texts of a span: content the agent takes in from outside its instructions, where planted
 * directives matter — a tool's result, a retrieval's documents, the records a memory operation writes. They are
 * gathered here only to be scanned (directives.ts) and never leave content/.
 *
 * A JSON value is scanned as its keys and decoded string leaves: `{"body":"line\nsystem: …"}` escapes its line
 * breaks, so a line-start marker is only visible in the decoded string.
 */

/** Most string leaves taken from one JSON value (a pathological value cannot make the scan unbounded). */
const MAX_LEAVES = 512;

function pushLeaves(v: unknown, out: string[], depth: number): void {
  if (out.length >= MAX_LEAVES || depth > 32) return;
  if (typeof v === 'string') {
    if (v.length > 0) out.push(v);
  } else if (Array.isArray(v)) {
    for (const x of v) pushLeaves(x, out, depth + 1);
  } else if (isObj(v)) {
    for (const k in v) {
      out.push(k);
      pushLeaves(v[k], out, depth + 1);
    }
  }
}

/**
 * A JSON object or array as its keys and string leaves (decoded: escaped line breaks become line breaks), else the
 * text as written. Scanning the serialised form as well would double the cost for nothing: every phrase and marker
 * it could hold sits inside one key or string (JSON punctuation is in none of them).
 */
function withLeaves(text: string, out: string[]): void {
  if (text.length === 0) return;
  const parsed = parseJson(text);
  if (parsed !== null && typeof parsed === 'object') {
    const before = out.length;
    pushLeaves(parsed, out, 0);
    if (out.length - before < MAX_LEAVES) return;
  }
  out.push(text); // not JSON, or too many leaves to take them all: the text as written
}

/** `content` of each record of a JSON list attribute ([{content, …}], the GenAI documents/memory records shape). */
function recordContents(v: AttrValue | undefined, out: string[]): void {
  if (v === undefined || v === null) return;
  const parsed = typeof v === 'string' ? parseJson(v) : v;
  if (!Array.isArray(parsed)) {
    const s = contentString(v);
    if (s !== null) withLeaves(s, out);
    return;
  }
  for (const r of parsed as unknown[]) {
    const c: unknown = isObj(r) ? r.content : r;
    if (typeof c === 'string') withLeaves(c, out);
    else pushLeaves(c, out, 0);
  }
}

/** A tool span's result. */
export function toolResultTexts(a: Attributes): string[] {
  const out: string[] = [];
  const r = firstContent(a, RESULT_KEYS);
  if (r !== null) withLeaves(r, out);
  return out;
}

/** A retrieval span's documents: GenAI `gen_ai.retrieval.documents`, OpenInference `retrieval.documents.N.document.content`, the original's `retrieval.documents`, else the entity output. */
export function retrievalTexts(a: Attributes, index: AttributeIndex): string[] {
  const out: string[] = [];
  recordContents(a['gen_ai.retrieval.documents'], out);
  recordContents(a['retrieval.documents'], out);
  for (const d of index.oiDocuments) {
    const c = contentString(d.fields['document.content']);
    if (c !== null) withLeaves(c, out);
  }
  if (out.length === 0) {
    const e = firstContent(a, ENTITY_OUTPUT_KEYS);
    if (e !== null) withLeaves(e, out);
  }
  return out;
}

/** GenAI memory operations that write records (semantic conventions: create/update/upsert_memory). */
export const MEMORY_WRITE_OPERATIONS: ReadonlySet<string> = new Set(['create_memory', 'update_memory', 'upsert_memory']);
/** GenAI memory operations that read records back. */
export const MEMORY_READ_OPERATIONS: ReadonlySet<string> = new Set(['search_memory', 'get_memory', 'read_memory']);

/** The memory operation a span is, from `gen_ai.operation.name`: 'write', 'read' or null. */
export function memoryOperation(a: Attributes): 'write' | 'read' | null {
  const op = a['gen_ai.operation.name'];
  if (typeof op !== 'string') return null;
  const o = op.toLowerCase();
  return MEMORY_WRITE_OPERATIONS.has(o) ? 'write' : MEMORY_READ_OPERATIONS.has(o) ? 'read' : null;
}

/** The records a memory write stores (`gen_ai.memory.records`). */
export function memoryRecordTexts(a: Attributes): string[] {
  const out: string[] = [];
  recordContents(a['gen_ai.memory.records'], out);
  return out;
}

/** Memory sources the original's SDKs declare; untrusted ones are retrieval, tool_output and external. */
export const MEMORY_SOURCES: ReadonlySet<string> = new Set(['user', 'agent', 'system', 'llm', 'retrieval', 'tool_output', 'external']);

/** A memory write's source, from its records' `metadata.source` (first known one). */
export function memorySource(a: Attributes): string | null {
  const v = a['gen_ai.memory.records'];
  const parsed = typeof v === 'string' ? parseJson(v) : v;
  if (!Array.isArray(parsed)) return null;
  for (const r of parsed) {
    const src = isObj(r) && isObj(r.metadata) ? r.metadata.source : undefined;
    if (typeof src === 'string' && MEMORY_SOURCES.has(src.toLowerCase())) return src.toLowerCase();
  }
  return null;
}
