import { createHash } from 'node:crypto';
import { PermanentError } from '../errors/index.js';
import type { MappedSpan } from '../mapping/events.js';
import { asDigest } from '../mapping/hash.js';
import { decodeBody, encodeBody, type DecodeOptions, type EncodeOptions } from './codec.js';
import { BinaryCopyWriter } from './copy-binary.js';
import type { Executor } from './driver.js';
import type { StoredSpan } from './types.js';

/**
 * The span row: (run_key, span_key, late, body). One row per span, its events packed into body with it (codec.ts).
 * span_key is the 8-byte span id read as a signed int8 (OTLP span ids are 16 hex); a span id of any other form is
 * hashed to 8 bytes and kept verbatim inside the body. Everything here is pure except insertSpanRows.
 */

const HEX16 = /^[0-9a-f]{16}$/;

/** The 8 bytes of a span's key. */
export function spanKeyBytes(spanId: string): Buffer {
  return HEX16.test(spanId) ? Buffer.from(spanId, 'hex') : createHash('sha256').update(spanId).digest().subarray(0, 8);
}

/** The span's key as an int8 literal (for SQL parameters). */
export function spanKeyText(spanId: string): string {
  return spanKeyBytes(spanId).readBigInt64BE(0).toString();
}

/** The body of a stored span: the resolved agent, when it was received, and the MappedSpan minus what the keys hold. */
export function encodeSpanBody(agentId: string, receivedAtMs: number, span: MappedSpan, options?: EncodeOptions): Buffer {
  // trace_id is the run's id (the run row has it); a 16-hex span id is the span_key.
  const { trace_id: _trace, span_id, ...rest } = span;
  rest.events = eventsInSeqOrder(span);
  const body: Record<string, unknown> = HEX16.test(span_id) ? rest : { span_id, ...rest };
  // The resolved agent is usually what the span names (its agent id, else its service): kept only when it is not.
  const derived = span.agent_id ?? span.service_name;
  // When it was received, as ms after the span ended: 2–3 bytes instead of 6 for a time since the epoch.
  const endMs = Math.round(span.end_time * 1000);
  const when = Number.isSafeInteger(endMs) ? { received_in: receivedAtMs - endMs } : { received_at: receivedAtMs };
  return encodeBody(agentId === derived ? { ...when, span: body } : { agent_id: agentId, ...when, span: body }, options);
}

/** A span's events by seq (they are read back in that order); two events with one seq are bad input. */
function eventsInSeqOrder(span: MappedSpan): MappedSpan['events'] {
  const events = span.events;
  let sorted = true;
  for (let i = 1; i < events.length; i++) {
    if (events[i].seq === events[i - 1].seq) throw duplicateSeq(span);
    if (events[i].seq < events[i - 1].seq) sorted = false;
  }
  if (sorted) return events;
  const out = [...events].sort((a, b) => a.seq - b.seq);
  for (let i = 1; i < out.length; i++) if (out[i].seq === out[i - 1].seq) throw duplicateSeq(span);
  return out;
}

const duplicateSeq = (span: MappedSpan) =>
  new PermanentError('invalid_argument', 'DUPLICATE_EVENT_SEQ', `span ${span.span_id.slice(0, 64)} has two events with the same seq`);

interface BodyEnvelope {
  agent_id?: string;
  /** ms since the epoch (bodies before received_in, and spans without a usable end time). */
  received_at?: number;
  /** ms after the span's end_time (rounded to ms). */
  received_in?: number;
  span: Omit<MappedSpan, 'trace_id' | 'span_id'> & { span_id?: string };
}

/** A stored span back from its row: spanKeyHex is `lpad(to_hex(span_key), 16, '0')`. */
export function decodeSpanRow(runId: string, spanKeyHex: string, late: boolean | null, body: Uint8Array, options?: DecodeOptions): StoredSpan {
  const env = decodeBody(body, options) as BodyEnvelope;
  if (body[0] < 4) shortenDigests(env.span);
  const { span_id, ...rest } = env.span;
  return {
    span: { trace_id: runId, span_id: span_id ?? spanKeyHex, ...rest },
    late: late === true,
    agent_id: env.agent_id ?? rest.agent_id ?? rest.service_name ?? '',
    received_at: new Date(env.received_in !== undefined ? Math.round(rest.end_time * 1000) + env.received_in : (env.received_at ?? NaN)),
  };
}

/**
 * Bodies before codec version 4 hold content digests as 64 hex; they are 32 now (the first 128 bits, mapping/hash.ts).
 * Read as today's, so a run open across the upgrade compares its older spans' digests with its newer ones. In place;
 * returns `v`.
 */
export function shortenDigests<T>(v: T, key = ''): T {
  if (typeof v !== 'object' || v === null) return v;
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    const x = o[k];
    const at = Array.isArray(v) ? key : k; // array items are digests of the array's key (tool_calls: objects)
    if (typeof x !== 'string') shortenDigests(x, at);
    else if (x.length === 64 && at.endsWith('_hash')) {
      const d = asDigest(x);
      if (d !== null) o[k] = d;
    }
  }
  return v;
}

export interface SpanRow {
  /** int8 as decimal text (pg returns BIGINT as text; JS numbers cannot hold it). */
  runKey: string;
  spanKey: Buffer;
  late: boolean;
  body: Buffer;
}

export const SPAN_COPY_TARGET = 'spans (run_key, span_key, late, body)';

/** Span rows as one binary COPY stream. */
export function spanCopyData(rows: readonly SpanRow[]): Buffer {
  const w = new BinaryCopyWriter();
  for (const r of rows) w.row([{ int8: BigInt(r.runKey) }, { int8bytes: r.spanKey }, r.late ? { bool: true } : null, { bytea: r.body }]);
  return w.finish();
}

/**
 * $1 run keys, $2 span keys (int8 text), $3 late flags (TRUE or NULL: migration-late-null.ts), $4 bodies (hex).
 * Inserts the spans not stored yet and counts what it inserted per run. The fallback of the COPY path (duplicates in
 * the batch, or a driver without COPY).
 */
const INSERT_SPANS_SQL = `
WITH ins AS (
  INSERT INTO spans (run_key, span_key, late, body)
  SELECT k, s, l, decode(b, 'hex') FROM unnest($1::int8[], $2::int8[], $3::bool[], $4::text[]) AS x(k, s, l, b)
  ON CONFLICT DO NOTHING
  RETURNING run_key
)
SELECT run_key::text AS run_key, count(*)::int AS n FROM ins GROUP BY run_key`;

/** INSERT … ON CONFLICT DO NOTHING: returns how many rows went in per run_key. */
export async function insertSpanRows(ex: Executor, rows: readonly SpanRow[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const CHUNK = 2_000;
  for (let i = 0; i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK);
    const r = await ex.query<{ run_key: string; n: number }>(INSERT_SPANS_SQL, [
      chunk.map((x) => x.runKey),
      chunk.map((x) => x.spanKey.readBigInt64BE(0).toString()),
      chunk.map((x) => (x.late ? true : null)),
      chunk.map((x) => x.body.toString('hex')),
    ]);
    for (const row of r.rows) out.set(String(row.run_key), (out.get(String(row.run_key)) ?? 0) + Number(row.n));
  }
  return out;
}
