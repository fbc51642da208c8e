import { readFileSync } from 'node:fs';
import type { Attributes, OtlpSpan, OtlpSpanEvent } from '../../src/otlp/model.js';
import { decodeExport } from '../../src/otlp/index.js';

export const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
export const ROOT_ID = 'b7ad6b7169203331';
/** Base time: 2026-01-01T00:00:00Z in ns. */
export const T0 = 1_767_225_600_000_000_000n;
export const MS = 1_000_000n;

let nextId = 1;
export function spanId(): string {
  return (nextId++).toString(16).padStart(16, '0');
}

export interface SpanInit {
  name: string;
  attributes?: Attributes;
  events?: OtlpSpanEvent[];
  parentSpanId?: string;
  spanId?: string;
  /** Offsets from T0 in ms. */
  startMs?: number;
  endMs?: number;
  status?: { code: 0 | 1 | 2; message?: string };
  resource?: Attributes;
  kind?: OtlpSpan['kind'];
}

/** An OtlpSpan built directly (the decoder is another stage): a child of ROOT_ID unless parentSpanId is given. */
export function span(init: SpanInit): OtlpSpan {
  return {
    traceId: TRACE_ID,
    spanId: init.spanId ?? spanId(),
    parentSpanId: init.parentSpanId ?? ROOT_ID,
    name: init.name,
    kind: init.kind ?? 1,
    startTimeUnixNano: T0 + BigInt(init.startMs ?? 0) * MS,
    endTimeUnixNano: T0 + BigInt(init.endMs ?? 1500) * MS,
    attributes: init.attributes ?? {},
    events: init.events ?? [],
    status: { code: init.status?.code ?? 0, message: init.status?.message ?? '' },
    resource: { attributes: init.resource ?? { 'service.name': 'test-agent' } },
    scope: { name: 'test', version: '1.0.0' },
  };
}

export function event(name: string, attributes: Attributes, atMs = 100): OtlpSpanEvent {
  return { name, timeUnixNano: T0 + BigInt(atMs) * MS, attributes };
}

/**
 * The golden captures (copied from shared/fixtures/emitter-captures so a fresh clone has them), decoded by the
 * project's own OTLP/JSON decoder.
 */
export function loadCapture(file: string): OtlpSpan[] {
  const body = readFileSync(new URL(`../fixtures/emitter-captures/${file}`, import.meta.url));
  const decoded = decodeExport(body, 'json');
  if (decoded.rejectedSpans !== 0) throw new Error(`capture ${file}: ${decoded.rejectedReasons.join('; ')}`);
  return decoded.spans;
}

/** JSON of anything, bigints included (spans carry bigint timestamps). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

const CONTENT_FACT_KEYS = [
  'grounding',
  'reply_terms',
  'tool_terms',
  'arg_entities',
  'arg_destinations',
  'handoff_text',
  'handoff_input',
  'warrant',
  'arg_leaves',
  'candidates',
];

/**
 * The mapped span without the content-aware detector facts (mapping/facts/: keyed digests under this process's
 * random run keys, term bitmasks), for goldens that pin the structural payloads. Those facts have their own tests.
 */
export function withoutContentFacts<T extends { events: { payload: object }[]; root: object | null }>(m: T): T {
  const strip = <O extends object>(o: O): O => {
    const out = { ...o } as Record<string, unknown>;
    for (const k of CONTENT_FACT_KEYS) delete out[k];
    return out as O;
  };
  return { ...m, root: m.root === null ? null : strip(m.root), events: m.events.map((e) => ({ ...e, payload: strip(e.payload) })) };
}
