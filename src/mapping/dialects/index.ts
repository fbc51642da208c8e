import type { Attributes } from '../../otlp/model.js';
import { genkit } from './genkit.js';
import type { Dialect } from './types.js';
import { vercelAi } from './vercel-ai.js';

export type { Dialect } from './types.js';
export { ROOT_ANSWERED, SPAN_AGENT_ID, SPAN_AGENT_VERSION, SPAN_CATEGORY } from './types.js';

/**
 * Framework dialects: emitters whose spans carry their own attribute vocabulary instead of GenAI semconv / OpenLLMetry
 * / OpenInference. Each one (a module in this folder) translates its spans' structure into the canonical attributes
 * the mapping core already reads; everything downstream (classification, events, redaction) is shared.
 */
export const DIALECTS: readonly Dialect[] = [vercelAi, genkit];

/** The canonical attributes a dialect derives for this span (null when no dialect claims it). */
export function deriveDialect(name: string, attrs: Attributes): Attributes | null {
  for (const d of DIALECTS) if (d.matches(attrs)) return d.derive(name, attrs);
  return null;
}

/**
 * The span's attributes as the mapping reads them: its own, plus what its dialect derives for keys the span does not
 * set itself (a span's own attribute always wins). The span's own object when no dialect claims it.
 */
export function withDialect(name: string, attrs: Attributes): Attributes {
  const derived = deriveDialect(name, attrs);
  if (derived === null) return attrs;
  for (const key in attrs) derived[key] = attrs[key];
  return derived;
}
