import type { Attributes, OtlpSpanEvent } from '../otlp/model.js';
import type { ExternalSignalPayload, SpanEvent } from './events.js';
import { nanosToSeconds } from './map-span.js';

/**
 * Facts an agent declares on its spans instead of leaving them to inference (the Dunetrace SDK writes them; any
 * emitter may): external signals as span events, and "this run ended with a final answer" on the root span.
 * Labels and numbers only, never content: values are bounded so a sender cannot park text in them.
 *
 *   span event `dunetrace.signal`:  dunetrace.signal.name (string, required), dunetrace.signal.source (string),
 *                                   dunetrace.signal.meta.<key> (string ≤ 256 chars | number | boolean)
 *   root attribute `dunetrace.run.final_answer` = true
 */
export const SIGNAL_EVENT = 'dunetrace.signal';
export const SIGNAL_NAME = 'dunetrace.signal.name';
export const SIGNAL_SOURCE_KEY = 'dunetrace.signal.source';
export const SIGNAL_META_PREFIX = 'dunetrace.signal.meta.';
export const FINAL_ANSWER_ATTRIBUTE = 'dunetrace.run.final_answer';

const MAX_LABEL = 256;
const MAX_META_KEYS = 32;

const label = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 && v.length <= MAX_LABEL ? v : null);

/** The external.signal payload of a `dunetrace.signal` event, or null when it has no usable name. */
export function declaredSignal(attrs: Attributes, defaultSource: string): ExternalSignalPayload | null {
  const name = label(attrs[SIGNAL_NAME]);
  if (name === null) return null;
  const meta: ExternalSignalPayload['meta'] = {};
  let n = 0;
  for (const key in attrs) {
    if (!key.startsWith(SIGNAL_META_PREFIX) || n >= MAX_META_KEYS) continue;
    const k = key.slice(SIGNAL_META_PREFIX.length);
    const v = attrs[key];
    if (k.length === 0 || k.length > 64) continue;
    if (typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) meta[k] = v;
    else if (label(v) !== null) meta[k] = v as string;
    else continue;
    n++;
  }
  return { signal_name: name, source: label(attrs[SIGNAL_SOURCE_KEY]) ?? defaultSource, meta };
}

/** Appends an external.signal for every declared signal event of a span (seq after the span's own events). */
export function pushDeclaredSignals(out: SpanEvent[], events: readonly OtlpSpanEvent[], defaultSource: string): void {
  for (const e of events) {
    if (e.name !== SIGNAL_EVENT) continue;
    const payload = declaredSignal(e.attributes, defaultSource);
    if (payload !== null) out.push({ event_type: 'external.signal', seq: out.length, timestamp: nanosToSeconds(e.timeUnixNano), payload });
  }
}

/** Whether a root span declares that its run ended with a final answer. */
export function declaresFinalAnswer(attrs: Attributes): boolean {
  return attrs[FINAL_ANSWER_ATTRIBUTE] === true;
}
