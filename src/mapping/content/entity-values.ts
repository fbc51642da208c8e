import type { Attributes } from '../../otlp/model.js';
import { contentString } from '../attributes.js';

/**
 * Whole-value content: one attribute holds a span's input or output as a single (often JSON) value — Traceloop
 * `traceloop.entity.input/output`, OpenInference `input.value/output.value`, GenAI `gen_ai.tool.call.*`. Key lists
 * are in precedence order; a new dialect's whole-value keys are one entry here.
 */

/** Tool arguments (tool spans). */
export const ARGS_KEYS = ['gen_ai.tool.call.arguments', 'tool.arguments', 'tool_call.function.arguments', 'input.value', 'traceloop.entity.input'];
/** Tool result (tool spans). */
export const RESULT_KEYS = ['gen_ai.tool.call.result', 'tool.result', 'output.value', 'traceloop.entity.output'];
/** Retrieval query (retrieval spans). */
export const QUERY_KEYS = ['gen_ai.retrieval.query.text', 'input.value', 'traceloop.entity.input'];
/** An LLM span's prompt when it has no messages in any message format. */
export const ENTITY_INPUT_KEYS = ['input.value', 'traceloop.entity.input'];
/** An LLM/root span's output when it has no output messages. */
export const ENTITY_OUTPUT_KEYS = ['output.value', 'traceloop.entity.output'];
/** A root span's own input/output (a workflow's, before any message list). */
export const ROOT_INPUT_KEYS = ['traceloop.entity.input'];
export const ROOT_INPUT_FALLBACK_KEYS = ['input.value'];
export const ROOT_OUTPUT_KEYS = ['traceloop.entity.output'];

/**
 * The first captured value among `keys`, preferring one with text. A captured empty value ("" — or `""`, the JSON
 * encoding of an empty return value that Traceloop writes to traceloop.entity.*) is EMPTY, not unknown: detectors such
 * as AGENT_HANDOFF_FAILURE need to tell "returned nothing" from "not captured".
 */
export function firstContent(a: Attributes, keys: readonly string[]): string | null {
  let empty: string | null = null;
  for (const k of keys) {
    const v = contentString(a[k]);
    if (v === null) continue;
    if (v.length > 0 && !(v === '""' && k.startsWith('traceloop.entity.'))) return v;
    empty = '';
  }
  return empty;
}
