/**
 * application/x-protobuf ExportTraceServiceRequest → OtlpSpan model.
 *
 * protobufjs's generated Type.decode builds message objects; we walk them directly (no toObject round trip).
 * Field values that were on the wire are own properties of those objects, while defaults live on the prototype,
 * which is how the AnyValue oneof is told apart below.
 */
import { DecodeCollector, setAttr, spanPath, STRINDEX_WARNING, toSpanKind, toStatusCode, ZERO_SPAN_ID, ZERO_TRACE_ID } from './decode-result.js';
import type { DecodeResult } from './decode-result.js';
import { MalformedRequestError, truncate } from './errors.js';
import type { AttrValue, Attributes, OtlpResource, OtlpScope, OtlpSpanEvent } from './model.js';
import { otlpProtoTypes } from './proto-schema.js';

/** protobufjs represents 64-bit ints as Long (or number when no Long implementation is present). */
type Int64 = { low: number; high: number } | number;

interface PbAnyValue {
  stringValue: string;
  boolValue: boolean;
  intValue: Int64;
  doubleValue: number;
  arrayValue: { values: PbAnyValue[] } | null;
  kvlistValue: { values: PbKeyValue[] } | null;
  bytesValue: Uint8Array;
  stringValueStrindex: number;
}
interface PbKeyValue {
  key: string;
  value: PbAnyValue | null;
  keyStrindex: number;
}
interface PbEvent {
  timeUnixNano: Int64;
  name: string;
  attributes: PbKeyValue[];
}
interface PbSpan {
  traceId: Uint8Array;
  spanId: Uint8Array;
  parentSpanId: Uint8Array;
  name: string;
  kind: number;
  startTimeUnixNano: Int64;
  endTimeUnixNano: Int64;
  attributes: PbKeyValue[];
  events: PbEvent[];
  status: { message: string; code: number } | null;
}
interface PbRequest {
  resourceSpans: {
    resource: { attributes: PbKeyValue[] } | null;
    scopeSpans: { scope: { name: string; version: string } | null; spans: PbSpan[] }[];
  }[];
}

const hasOwn = Object.hasOwn;

/** Decoding state threaded through the attribute walk: only the strindex warning so far. */
interface WalkState {
  sawStrindex: boolean;
}

export function decodeProtobufExport(body: Uint8Array): DecodeResult {
  const { exportRequest } = otlpProtoTypes();
  // A Buffer makes protobufjs use its BufferReader: bytes fields come back as zero-copy Buffer views.
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  let req: PbRequest;
  try {
    req = exportRequest.decode(buf) as unknown as PbRequest;
  } catch (err) {
    // protobufjs reasons ("index out of range: 12 + 10 > 15", "invalid wire type 7 at offset 3") carry no payload.
    throw new MalformedRequestError(`invalid protobuf ExportTraceServiceRequest: ${truncate((err as Error).message, 200)}`);
  }

  const out = new DecodeCollector();
  const state: WalkState = { sawStrindex: false };
  const resourceSpans = req.resourceSpans;
  for (let ri = 0; ri < resourceSpans.length; ri++) {
    const rs = resourceSpans[ri];
    const resource: OtlpResource = { attributes: rs.resource ? toAttributes(rs.resource.attributes, state) : {} };
    const scopeSpans = rs.scopeSpans;
    for (let si = 0; si < scopeSpans.length; si++) {
      const ss = scopeSpans[si];
      const sc = ss.scope;
      const scope: OtlpScope = sc ? { name: sc.name, version: sc.version } : { name: '', version: '' };
      const spans = ss.spans;
      for (let pi = 0; pi < spans.length; pi++) {
        const s = spans[pi];
        if (s.traceId.length !== 16) {
          out.reject(spanPath(ri, si, pi), s.name, `invalid traceId: expected 16 bytes, got ${s.traceId.length}`);
          continue;
        }
        const traceId = hex(s.traceId);
        if (traceId === ZERO_TRACE_ID) {
          out.reject(spanPath(ri, si, pi), s.name, 'invalid traceId: all zero');
          continue;
        }
        if (s.spanId.length !== 8) {
          out.reject(spanPath(ri, si, pi), s.name, `invalid spanId: expected 8 bytes, got ${s.spanId.length}`);
          continue;
        }
        const spanId = hex(s.spanId);
        if (spanId === ZERO_SPAN_ID) {
          out.reject(spanPath(ri, si, pi), s.name, 'invalid spanId: all zero');
          continue;
        }
        let parentSpanId = '';
        if (s.parentSpanId.length === 8) {
          parentSpanId = hex(s.parentSpanId);
          if (parentSpanId === ZERO_SPAN_ID) parentSpanId = '';
        } else if (s.parentSpanId.length !== 0) {
          out.reject(spanPath(ri, si, pi), s.name, `invalid parentSpanId: expected 8 bytes or empty, got ${s.parentSpanId.length}`);
          continue;
        }
        const st = s.status;
        out.spans.push({
          traceId,
          spanId,
          parentSpanId,
          name: s.name,
          kind: toSpanKind(s.kind),
          startTimeUnixNano: toBigInt(s.startTimeUnixNano),
          endTimeUnixNano: toBigInt(s.endTimeUnixNano),
          attributes: toAttributes(s.attributes, state),
          events: toEvents(s.events, state),
          status: st ? { code: toStatusCode(st.code), message: st.message } : { code: 0, message: '' },
          resource,
          scope,
        });
      }
    }
  }
  if (state.sawStrindex) out.warn(STRINDEX_WARNING);
  return out.result();
}

function toEvents(events: PbEvent[], state: WalkState): OtlpSpanEvent[] {
  const result = new Array<OtlpSpanEvent>(events.length);
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    result[i] = { name: e.name, timeUnixNano: toBigInt(e.timeUnixNano), attributes: toAttributes(e.attributes, state) };
  }
  return result;
}

function toAttributes(kvs: PbKeyValue[], state: WalkState): Attributes {
  const attrs: Attributes = {};
  for (let i = 0; i < kvs.length; i++) {
    const kv = kvs[i];
    // key_strindex is a profiling-only string-table index: treat as absent (the key stays as sent, usually '').
    if (kv.keyStrindex !== 0) state.sawStrindex = true;
    setAttr(attrs, kv.key, kv.value ? toAttrValue(kv.value, state) : null);
  }
  return attrs;
}

function toAttrValue(v: PbAnyValue, state: WalkState): AttrValue {
  // Most common first: string, int, double, bool.
  if (hasOwn(v, 'stringValue')) return v.stringValue;
  if (hasOwn(v, 'intValue')) return toNumber(v.intValue);
  if (hasOwn(v, 'doubleValue')) return v.doubleValue;
  if (hasOwn(v, 'boolValue')) return v.boolValue;
  if (hasOwn(v, 'arrayValue')) {
    const values = v.arrayValue ? v.arrayValue.values : [];
    const arr = new Array<AttrValue>(values.length);
    for (let i = 0; i < values.length; i++) arr[i] = toAttrValue(values[i], state);
    return arr;
  }
  if (hasOwn(v, 'kvlistValue')) return v.kvlistValue ? toAttributes(v.kvlistValue.values, state) : {};
  // Copy: a view would keep the whole request body alive for as long as the attribute lives.
  if (hasOwn(v, 'bytesValue')) return new Uint8Array(v.bytesValue);
  if (hasOwn(v, 'stringValueStrindex')) state.sawStrindex = true;
  return null;
}

function hex(bytes: Uint8Array): string {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return buf.toString('hex');
}

/** fixed64 → exact bigint (nanosecond timestamps are above 2^53). */
function toBigInt(v: Int64): bigint {
  if (typeof v === 'number') return BigInt(v);
  const lo = v.low >>> 0;
  const hi = v.high >>> 0;
  return hi === 0 ? BigInt(lo) : (BigInt(hi) << 32n) | BigInt(lo);
}

/** int64 → number (signed; exact up to 2^53, which covers token counts and ports). */
function toNumber(v: Int64): number {
  return typeof v === 'number' ? v : v.high * 4294967296 + (v.low >>> 0);
}
