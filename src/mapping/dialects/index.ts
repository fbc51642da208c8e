import type { Attributes } from '../../otlp/model.js';
import type { SpanCategory } from '../events.js';
import { genkit } from './genkit.js';
import { openinferenceAgent } from './openinference.js';
import { openllmetryLangchain } from './openllmetry-langchain.js';
import type { Dialect, DialectReading } from './types.js';
import { vercelAi } from './vercel-ai.js';

export type { Dialect, DialectReading } from './types.js';
export { ROOT_ANSWERED, SPAN_AGENT_ID, SPAN_AGENT_VERSION } from './types.js';

/**
 * Framework dialects: emitters whose spans carry their own attribute vocabulary instead of GenAI semconv / OpenLLMetry
 * / OpenInference. Each one (a module in this folder) translates its spans' structure into the canonical attributes
 * the mapping core already reads; everything downstream (classification, events, redaction) is shared.
 */
export const DIALECTS: readonly Dialect[] = [vercelAi, genkit, openllmetryLangchain, openinferenceAgent];

/**
 * The category a dialect gives the span: undefined when no dialect claims it, null when one does but does not
 * understand the span (its name is then no evidence either: framework span names are user-chosen).
 */
export function dialectCategory(attrs: Attributes): SpanCategory | null | undefined {
  for (const d of DIALECTS) if (d.matches(attrs)) return d.category(attrs) ?? null;
  return undefined;
}

/** The span as its dialect reads it (null when no dialect claims it). */
export function readDialect(name: string, attrs: Attributes): DialectReading | null {
  for (const d of DIALECTS) if (d.matches(attrs)) return d.read(name, attrs);
  return null;
}

/**
 * The span's attributes as the mapping reads them: its own, plus what its dialect derives (structure and content)
 * for keys the span does not set itself — a span's own attribute always wins. The span's own object when no dialect
 * claims it. `structural` is what redaction exports beside the span's own (digested) attributes.
 */
export function dialectView(name: string, attrs: Attributes): { view: Attributes; structural: Attributes | null } {
  const r = readDialect(name, attrs);
  if (r === null) return { view: attrs, structural: null };
  const view = r.content;
  for (const key in r.structural) view[key] = r.structural[key];
  for (const key in attrs) view[key] = attrs[key];
  return { view, structural: r.structural };
}

export const withDialect = (name: string, attrs: Attributes): Attributes => dialectView(name, attrs).view;

export { failedToolNames, nameFailedTools, TOOL_UNNAMED, withToolName } from './openllmetry-langchain.js';
