import type { Attributes, OtlpSpanEvent } from '../otlp/model.js';
import type { ExternalSignalPayload, SpanEvent } from './events.js';
import type { Hasher } from './hash.js';
import { nanosToSeconds } from './map-span.js';

/**
 * External signals an agent declares on its spans instead of leaving them to inference (the Dunetrace SDK writes
 * them; any emitter may), as span events:
 *
 *   `dunetrace.signal`:  dunetrace.signal.name (string, required), dunetrace.signal.source (string),
 *                        dunetrace.signal.meta.<key> (a label, a number or a boolean)
 *
 * Labels and numbers only, never content: a meta string that is not a label (whitespace, longer than 64 characters)
 * is kept as its digest, as /v1/ingest does with the original SDKs' meta (mapping/dunetrace-events.ts).
 * (A run's final answer is declared with `dunetrace.root.answered` on the root span: dialects/types.ts.)
 */
export const SIGNAL_EVENT = 'dunetrace.signal';
export const SIGNAL_NAME = 'dunetrace.signal.name';
export const SIGNAL_SOURCE_KEY = 'dunetrace.signal.source';
export const SIGNAL_META_PREFIX = 'dunetrace.signal.meta.';

const MAX_NAME = 128;
const MAX_META_KEYS = 32;

/** A short identifier-like string: no whitespace or control characters, at most 64 characters. */
export function isLabel(v: string): boolean {
  return v.length > 0 && v.length <= 64 && !/[\s\p{Cc}]/u.test(v);
}

const name = (v: unknown, max: number): string | null => (typeof v === 'string' && v.length > 0 && v.length <= max && !/[\s\p{Cc}]/u.test(v) ? v : null);

/** The external.signal payload of a `dunetrace.signal` event, or null when it has no usable name. */
export function declaredSignal(attrs: Attributes, defaultSource: string, hasher: Hasher): ExternalSignalPayload | null {
  const signal = name(attrs[SIGNAL_NAME], MAX_NAME);
  if (signal === null) return null;
  const meta: ExternalSignalPayload['meta'] = {};
  let n = 0;
  for (const key in attrs) {
    if (!key.startsWith(SIGNAL_META_PREFIX) || n >= MAX_META_KEYS) continue;
    const k = key.slice(SIGNAL_META_PREFIX.length);
    const v = attrs[key];
    if (!isLabel(k)) continue;
    if (typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) meta[k] = v;
    else if (typeof v === 'string') meta[k] = isLabel(v) ? v : hasher.digest(v);
    else continue;
    n++;
  }
  return { signal_name: signal, source: name(attrs[SIGNAL_SOURCE_KEY], 64) ?? defaultSource, meta };
}

/** Appends an external.signal for every declared signal event of a span (seq after the span's own events). */
export function pushDeclaredSignals(out: SpanEvent[], events: readonly OtlpSpanEvent[], defaultSource: string, hasher: Hasher): void {
  for (const e of events) {
    if (e.name !== SIGNAL_EVENT) continue;
    const payload = declaredSignal(e.attributes, defaultSource, hasher);
    if (payload !== null) out.push({ event_type: 'external.signal', seq: out.length, timestamp: nanosToSeconds(e.timeUnixNano), payload });
  }
}
