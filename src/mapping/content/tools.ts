import type { Attributes } from '../../otlp/model.js';
import { parseJson, type AttributeIndex } from '../attributes.js';
import { isObj, s } from './messages.js';

/** Tool definitions: `gen_ai.tool.definitions` (JSON list), Traceloop `llm.request.functions.N.*`, OpenInference `llm.tools.N.tool.json_schema`. */

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

function add(set: Set<string>, name: string | null): void {
  if (name !== null && name.length > 0) set.add(name);
}

/**
 * The names in a `gen_ai.tool.definitions` JSON text, in order, by text: an agent sends the same definitions (often
 * kilobytes of JSON schema) on every LLM call, and each was parsed again. A few dozen texts are kept; the lists are
 * never handed out, only read.
 */
const DEFINITION_NAMES = new Map<string, string[]>();
const MAX_DEFINITION_TEXTS = 64;

function definitionNames(defs: string): string[] {
  let names = DEFINITION_NAMES.get(defs);
  if (names === undefined) {
    names = [];
    const parsed = parseJson(defs);
    if (Array.isArray(parsed))
      for (const d of parsed) {
        const n = toolNameOf(d);
        if (n !== null) names.push(n);
      }
    if (DEFINITION_NAMES.size >= MAX_DEFINITION_TEXTS) DEFINITION_NAMES.clear();
    DEFINITION_NAMES.set(defs, names);
  }
  return names;
}

/** The tool names offered/defined on the span, sorted and unique. Unparseable definitions are skipped. */
export function collectTools(a: Attributes, index: AttributeIndex): string[] {
  const defs = a['gen_ai.tool.definitions'];
  if ((defs === undefined || defs === null) && index.functions.length === 0 && index.oiTools.length === 0) return [];
  const names = new Set<string>();
  if (typeof defs === 'string') for (const n of definitionNames(defs)) names.add(n);
  else if (Array.isArray(defs)) for (const d of defs) add(names, toolNameOf(d));
  for (const f of index.functions) add(names, s(f.fields.name));
  for (const t of index.oiTools) {
    const schema = t.fields['tool.json_schema'];
    add(names, toolNameOf(typeof schema === 'string' ? parseJson(schema) : schema));
  }
  if (names.size === 0) return [];
  return [...names].sort();
}
