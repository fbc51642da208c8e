import type { AttrValue } from '../../otlp/model.js';
import { parseJson } from '../attributes.js';
import type { ContentFacts } from './facts.js';
import { isObj } from './messages.js';

/** `gen_ai.retrieval.documents` (content): the document count and best score, never the documents. */
export function readDocuments(v: AttrValue | undefined): ContentFacts['documents'] {
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
