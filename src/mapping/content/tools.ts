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

/** The tool names offered/defined on the span, sorted and unique. Unparseable definitions are skipped. */
export function collectTools(a: Attributes, index: AttributeIndex): string[] {
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
