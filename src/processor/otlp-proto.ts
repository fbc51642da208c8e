import type { HrTime, Link } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';

/**
 * The OTLP/protobuf ExportTraceServiceRequest of a batch of spans, byte for byte what the OTel exporter's own
 * serializer (`ProtobufTraceSerializer`, @opentelemetry/otlp-transformer 0.223) writes — same fields, same order,
 * same varints; test/processor/otlp-proto.test.ts compares the two — in about a third of its CPU. Ours exports
 * ~23 attributes per span (content digests and the `dunetrace.content.*` facts), so serialization was a quarter of
 * the processor's CPU. Theirs runs every message twice (a size-estimating pass, then the write) through one set of
 * functions shared by two writer classes; this is one pass over one monomorphic writer into a reused buffer.
 *
 * Length-delimited fields work as theirs: one byte reserved for the length, the body shifted when it needs more.
 */

class Writer {
  buf = new Uint8Array(1 << 16);
  view = new DataView(this.buf.buffer);
  pos = 0;
  private readonly encoder = new TextEncoder();

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  varint(value: number): void {
    this.ensure(10);
    const buf = this.buf;
    if (value >= 0 && value <= 0xffffffff) {
      let v = value >>> 0;
      while (v > 0x7f) {
        buf[this.pos++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      buf[this.pos++] = v;
      return;
    }
    // 64-bit two's complement, as theirs (negative int_value attributes, sizes past 2^32).
    let low: number;
    let high: number;
    if (value >= 0) {
      low = value >>> 0;
      high = (value / 0x100000000) >>> 0;
    } else {
      const abs = Math.abs(value);
      low = ~(abs >>> 0) >>> 0;
      high = ~((abs / 0x100000000) >>> 0) >>> 0;
      low = (low + 1) >>> 0;
      if (low === 0) high = (high + 1) >>> 0;
    }
    while (high > 0 || low > 0x7f) {
      buf[this.pos++] = (low & 0x7f) | 0x80;
      low = ((low >>> 7) | (high << 25)) >>> 0;
      high >>>= 7;
    }
    buf[this.pos++] = low & 0x7f;
  }

  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  /** Reserves the one-byte length of a length-delimited field; returns where it is. */
  start(): number {
    this.ensure(1);
    return this.pos++;
  }

  /** Writes the length of the field started at `at`, shifting its body when the length needs more than a byte. */
  finish(at: number): void {
    const v = (this.pos - at - 1) >>> 0;
    const size = v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
    if (size > 1) {
      this.ensure(size - 1);
      this.buf.copyWithin(at + size, at + 1, this.pos);
      this.pos += size - 1;
    }
    const buf = this.buf;
    let p = at;
    let x = v;
    for (let i = 1; i < size; i++) {
      buf[p++] = (x & 0x7f) | 0x80;
      x >>>= 7;
    }
    buf[p] = x;
  }

  /** UTF-8, length-delimited: written as ASCII in one loop, redone with the encoder at the first other character. */
  string(s: string): void {
    const len = s.length;
    const at = this.pos;
    this.varint(len);
    this.ensure(len);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < len; i++) {
      const c = s.charCodeAt(i);
      if (c > 127) {
        this.pos = at;
        this.bytes(this.encoder.encode(s));
        return;
      }
      buf[p++] = c;
    }
    this.pos = p;
  }

  /** Copies `s` as ASCII (capacity ensured by the caller); false at the first other character (caller rewinds). */
  ascii(s: string): boolean {
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c > 127) return false;
      buf[p++] = c;
    }
    this.pos = p;
    return true;
  }

  bytes(b: Uint8Array): void {
    this.varint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** A hex id as bytes (their hexToBinary, without the intermediate array). */
  hexBytes(hex: string): void {
    if (hex.length % 2 !== 0) throw new RangeError('Invalid typed array length');
    const n = hex.length / 2;
    this.varint(n);
    this.ensure(n);
    const buf = this.buf;
    for (let i = 0; i < hex.length; i += 2) buf[this.pos++] = (hexValue(hex.charCodeAt(i)) << 4) | hexValue(hex.charCodeAt(i + 1));
  }

  fixed32(value: number): void {
    this.ensure(4);
    this.view.setUint32(this.pos, value >>> 0, true);
    this.pos += 4;
  }

  fixed64(low: number, high: number): void {
    this.ensure(8);
    this.view.setUint32(this.pos, low >>> 0, true);
    this.view.setUint32(this.pos + 4, high >>> 0, true);
    this.pos += 8;
  }

  double(value: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, value, true);
    this.pos += 8;
  }
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  return c - 55;
}

/** HrTime as fixed64 nanoseconds, exactly as theirs (no float rounding past 2^53). */
function hrTime(w: Writer, t: HrTime): void {
  const seconds = t[0];
  const nanos = t[1];
  const lower = (seconds & 0xffff) * 1_000_000_000;
  const upper = ((seconds / 0x10000) >>> 0) * 1_000_000_000;
  const low = (lower >>> 0) + (((upper & 0xffff) * 0x10000) >>> 0) + nanos;
  const high = Math.floor(lower / 0x100000000) + ((upper / 0x10000) >>> 0) + Math.floor(low / 0x100000000);
  w.fixed64(low >>> 0, high >>> 0);
}

const MIN_INT64 = -(2 ** 63);
const MAX_INT64 = 2 ** 63;
const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

function anyValue(w: Writer, value: unknown): void {
  const t = typeof value;
  if (t === 'string') {
    w.tag(1, 2);
    w.string(value as string);
  } else if (t === 'boolean') {
    w.tag(2, 0);
    w.varint(value ? 1 : 0);
  } else if (t === 'number') {
    const n = value as number;
    if (Number.isInteger(n) && n >= MIN_INT64 && n < MAX_INT64) {
      w.tag(3, 0);
      w.varint(n);
    } else {
      w.tag(4, 1);
      w.double(n);
    }
  } else if (value instanceof Uint8Array) {
    w.tag(7, 2);
    w.bytes(value);
  } else if (Array.isArray(value)) {
    w.tag(5, 2);
    const at = w.start();
    for (const item of value) {
      w.tag(1, 2);
      if (typeof item === 'string' && item.length < 126 && shortString(w, item)) continue;
      const it = w.start();
      anyValue(w, item);
      w.finish(it);
    }
    w.finish(at);
  } else if (t === 'object' && value !== null) {
    w.tag(6, 2);
    const at = w.start();
    const obj = value as Record<string, unknown>;
    for (const k in obj) {
      if (!hasOwn(obj, k)) continue;
      w.tag(1, 2);
      keyValue(w, k, obj[k]);
    }
    w.finish(at);
  }
}

/**
 * An AnyValue holding a short ASCII string, preceded by its length — every length one byte, known before the bytes
 * (the digests and facts: most of what we export): written straight, with no length to patch. False, nothing
 * written, for a string that is not ASCII.
 */
function shortString(w: Writer, s: string): boolean {
  const at = w.pos;
  w.ensure(s.length + 4);
  const buf = w.buf;
  buf[w.pos++] = s.length + 2;
  buf[w.pos++] = 0x0a; // AnyValue.string_value
  buf[w.pos++] = s.length;
  if (w.ascii(s)) return true;
  w.pos = at;
  return false;
}

/** The same for a KeyValue of a short key and a short string value. */
function shortKeyValue(w: Writer, key: string, value: string): boolean {
  const at = w.pos;
  w.ensure(key.length + value.length + 8);
  const buf = w.buf;
  buf[w.pos++] = key.length + value.length + 6;
  buf[w.pos++] = 0x0a; // KeyValue.key
  buf[w.pos++] = key.length;
  if (w.ascii(key)) {
    buf[w.pos++] = 0x12; // KeyValue.value
    buf[w.pos++] = value.length + 2;
    buf[w.pos++] = 0x0a; // AnyValue.string_value
    buf[w.pos++] = value.length;
    if (w.ascii(value)) return true;
  }
  w.pos = at;
  return false;
}

/** A KeyValue message body preceded by its length (the caller wrote the tag). */
function keyValue(w: Writer, key: string, value: unknown): void {
  if (typeof value === 'string' && key.length + value.length < 122 && shortKeyValue(w, key, value)) return;
  const kv = w.start();
  w.tag(1, 2);
  w.string(key);
  w.tag(2, 2);
  const v = w.start();
  anyValue(w, value);
  w.finish(v);
  w.finish(kv);
}

function attributes(w: Writer, attrs: Record<string, unknown>, field: number): void {
  for (const key in attrs) {
    if (!hasOwn(attrs, key)) continue;
    w.tag(field, 2);
    keyValue(w, key, attrs[key]);
  }
}

const flagsOf = (traceFlags: number, isRemote: boolean | undefined): number => (traceFlags & 0xff) | 0x100 | (isRemote ? 0x200 : 0);

function event(w: Writer, e: TimedEvent): void {
  const at = w.start();
  w.tag(1, 1);
  hrTime(w, e.time);
  w.tag(2, 2);
  w.string(e.name);
  if (e.attributes) attributes(w, e.attributes, 3);
  w.tag(4, 0);
  w.varint(e.droppedAttributesCount || 0);
  w.finish(at);
}

function link(w: Writer, l: Link): void {
  const at = w.start();
  const ctx = l.context;
  w.tag(1, 2);
  w.hexBytes(ctx.traceId);
  w.tag(2, 2);
  w.hexBytes(ctx.spanId);
  const state = ctx.traceState?.serialize();
  if (state) {
    w.tag(3, 2);
    w.string(state);
  }
  if (l.attributes) attributes(w, l.attributes, 4);
  w.tag(5, 0);
  w.varint(l.droppedAttributesCount || 0);
  w.tag(6, 5);
  w.fixed32(flagsOf(ctx.traceFlags, ctx.isRemote));
  w.finish(at);
}

function span(w: Writer, s: ReadableSpan): void {
  const at = w.start();
  const ctx = s.spanContext();
  w.tag(1, 2);
  w.hexBytes(ctx.traceId);
  w.tag(2, 2);
  w.hexBytes(ctx.spanId);
  const state = ctx.traceState?.serialize();
  if (state) {
    w.tag(3, 2);
    w.string(state);
  }
  const parent = s.parentSpanContext?.spanId;
  if (parent) {
    w.tag(4, 2);
    w.hexBytes(parent);
  }
  w.tag(5, 2);
  w.string(s.name);
  const kind = s.kind == null ? 0 : s.kind + 1;
  if (kind !== 0) {
    w.tag(6, 0);
    w.varint(kind);
  }
  w.tag(7, 1);
  hrTime(w, s.startTime);
  w.tag(8, 1);
  hrTime(w, s.endTime);
  if (s.attributes) attributes(w, s.attributes, 9);
  w.tag(10, 0);
  w.varint(s.droppedAttributesCount);
  for (const e of s.events) {
    w.tag(11, 2);
    event(w, e);
  }
  w.tag(12, 0);
  w.varint(s.droppedEventsCount);
  for (const l of s.links) {
    w.tag(13, 2);
    link(w, l);
  }
  w.tag(14, 0);
  w.varint(s.droppedLinksCount);
  w.tag(15, 2);
  const st = w.start();
  if (s.status.message) {
    w.tag(2, 2);
    w.string(s.status.message);
  }
  w.tag(3, 0);
  w.varint(s.status.code);
  w.finish(st);
  w.tag(16, 5);
  w.fixed32(flagsOf(ctx.traceFlags, s.parentSpanContext?.isRemote));
  w.finish(at);
}

type Scope = ReadableSpan['instrumentationScope'] & { attributes?: Record<string, unknown>; droppedAttributesCount?: number };

function scopeSpans(w: Writer, spans: ReadableSpan[]): void {
  const at = w.start();
  const scope = spans[0].instrumentationScope as Scope;
  w.tag(1, 2);
  const sc = w.start();
  w.tag(1, 2);
  w.string(scope.name);
  if (scope.version) {
    w.tag(2, 2);
    w.string(scope.version);
  }
  if (scope.attributes) attributes(w, scope.attributes, 3);
  if (scope.droppedAttributesCount) {
    w.tag(4, 0);
    w.varint(scope.droppedAttributesCount);
  }
  w.finish(sc);
  for (const s of spans) {
    w.tag(2, 2);
    span(w, s);
  }
  if (scope.schemaUrl) {
    w.tag(3, 2);
    w.string(scope.schemaUrl);
  }
  w.finish(at);
}

function resourceSpans(w: Writer, resource: Resource, scopes: Map<unknown, ReadableSpan[]>): void {
  const at = w.start();
  w.tag(1, 2);
  const r = w.start();
  if (resource.attributes) attributes(w, resource.attributes, 1);
  w.tag(2, 0);
  w.varint(0);
  w.finish(r);
  for (const spans of scopes.values()) {
    w.tag(2, 2);
    scopeSpans(w, spans);
  }
  if (resource.schemaUrl) {
    w.tag(3, 2);
    w.string(resource.schemaUrl);
  }
  w.finish(at);
}

let shared: Writer | null = null;

/** The ExportTraceServiceRequest of `spans` (grouped by resource, then scope, by identity — as theirs). */
export function serializeTraceRequest(spans: ReadableSpan[]): Uint8Array {
  const byResource = new Map<Resource, Map<unknown, ReadableSpan[]>>();
  for (const s of spans) {
    let scopes = byResource.get(s.resource);
    if (scopes === undefined) byResource.set(s.resource, (scopes = new Map<unknown, ReadableSpan[]>()));
    let list = scopes.get(s.instrumentationScope);
    if (list === undefined) scopes.set(s.instrumentationScope, (list = []));
    list.push(s);
  }
  // One buffer reused across exports (one export is in flight at a time; the result is a copy).
  const w = (shared ??= new Writer());
  w.pos = 0;
  try {
    for (const [resource, scopes] of byResource) {
      w.tag(1, 2);
      resourceSpans(w, resource, scopes);
    }
    return w.buf.slice(0, w.pos);
  } finally {
    // A batch far larger than usual does not pin its buffer for the process's lifetime.
    if (w.buf.length > 1 << 24) shared = null;
  }
}
