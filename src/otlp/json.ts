/**
 * application/json (OTLP/JSON) ExportTraceServiceRequest → OtlpSpan model, hand-written over one JSON.parse.
 *
 * OTLP/JSON is proto3 JSON with OTLP deviations (hex ids). We are lenient where senders differ in practice:
 * snake_case keys, enum names, 64-bit ints as strings or numbers, "NaN"/"Infinity" doubles, unknown fields.
 * A wrong JSON type anywhere fails the whole request with a path to the offending field; bad span ids only
 * reject that span.
 */
import { DecodeCollector, setAttr, STRINDEX_WARNING, toSpanKind, toStatusCode, ZERO_SPAN_ID, ZERO_TRACE_ID } from './decode-result.js';
import type { DecodeResult } from './decode-result.js';
import { echo, MalformedRequestError, truncate } from './errors.js';
import type { AttrValue, Attributes, OtlpResource, OtlpScope, OtlpSpan, OtlpSpanEvent } from './model.js';

type Obj = Record<string, unknown>;

/** Location of the value being decoded: field names and array indexes, rendered only when something fails. */
type Path = (string | number)[];

interface Ctx {
  path: Path;
  out: DecodeCollector;
  sawStrindex: boolean;
}

/** Deeper AnyValue nesting is refused before it can exhaust the stack. */
const MAX_DEPTH = 64;

const HEX32 = /^[0-9a-fA-F]{32}$/;
const HEX16 = /^[0-9a-fA-F]{16}$/;
const UINT = /^\d{1,20}$/;
const INT = /^-?\d{1,19}$/;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
const MAX_U64 = 0xffffffffffffffffn;

const SPAN_KINDS: Record<string, number> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};
const STATUS_CODES: Record<string, number> = { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 };

export function decodeJsonExport(body: Uint8Array): DecodeResult {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  let text = buf.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let top: unknown;
  try {
    top = JSON.parse(text);
  } catch (err) {
    throw new MalformedRequestError(`invalid OTLP/JSON: body is not valid JSON (${jsonSyntaxReason(err, text)})`);
  }
  const ctx: Ctx = { path: [], out: new DecodeCollector(), sawStrindex: false };
  if (!isObj(top)) fail(ctx, undefined, `expected a JSON object at the top level, got ${echo(top)}`);

  const resourceSpans = list(ctx, top, 'resourceSpans', 'resource_spans');
  ctx.path.push('resourceSpans', 0);
  for (let ri = 0; ri < resourceSpans.length; ri++) {
    ctx.path[1] = ri;
    const rs = obj(ctx, resourceSpans[ri]);
    const res = rs.resource;
    let resource: OtlpResource;
    if (res === undefined || res === null) {
      resource = { attributes: {} };
    } else {
      ctx.path.push('resource');
      resource = { attributes: attributes(ctx, obj(ctx, res), 0) };
      ctx.path.pop();
    }
    const scopeSpans = list(ctx, rs, 'scopeSpans', 'scope_spans');
    ctx.path.push('scopeSpans', 0);
    for (let si = 0; si < scopeSpans.length; si++) {
      ctx.path[3] = si;
      const ss = obj(ctx, scopeSpans[si]);
      const sc = ss.scope;
      let scope: OtlpScope;
      if (sc === undefined || sc === null) {
        scope = { name: '', version: '' };
      } else {
        ctx.path.push('scope');
        const so = obj(ctx, sc);
        scope = { name: str(ctx, so.name, 'name'), version: str(ctx, so.version, 'version') };
        ctx.path.pop();
      }
      const spans = list(ctx, ss, 'spans', 'spans');
      ctx.path.push('spans', 0);
      for (let pi = 0; pi < spans.length; pi++) {
        ctx.path[5] = pi;
        const span = decodeSpan(ctx, obj(ctx, spans[pi]), resource, scope);
        if (span) ctx.out.spans.push(span);
      }
      ctx.path.length = 4;
    }
    ctx.path.length = 2;
  }
  if (ctx.sawStrindex) ctx.out.warn(STRINDEX_WARNING);
  return ctx.out.result();
}

/** Returns undefined (after recording a rejection) for a span whose ids make it unusable. */
function decodeSpan(ctx: Ctx, s: Obj, resource: OtlpResource, scope: OtlpScope): OtlpSpan | undefined {
  const name = s.name;
  const traceId = s.traceId ?? s.trace_id;
  if (typeof traceId !== 'string' || !HEX32.test(traceId)) {
    return reject(ctx, name, `invalid traceId ${echo(traceId)}: expected 32 hex chars`);
  }
  const spanId = s.spanId ?? s.span_id;
  if (typeof spanId !== 'string' || !HEX16.test(spanId)) {
    return reject(ctx, name, `invalid spanId ${echo(spanId)}: expected 16 hex chars`);
  }
  const tid = traceId.toLowerCase();
  if (tid === ZERO_TRACE_ID) return reject(ctx, name, 'invalid traceId: all zero');
  const sid = spanId.toLowerCase();
  if (sid === ZERO_SPAN_ID) return reject(ctx, name, 'invalid spanId: all zero');
  const parent = s.parentSpanId ?? s.parent_span_id;
  let pid = '';
  if (parent !== undefined && parent !== null && parent !== '') {
    if (typeof parent !== 'string' || !HEX16.test(parent)) {
      return reject(ctx, name, `invalid parentSpanId ${echo(parent)}: expected 16 hex chars or empty`);
    }
    pid = parent.toLowerCase();
    if (pid === ZERO_SPAN_ID) pid = '';
  }

  const st = s.status;
  let status: OtlpSpan['status'];
  if (st === undefined || st === null) {
    status = { code: 0, message: '' };
  } else {
    ctx.path.push('status');
    const so = obj(ctx, st);
    status = {
      code: toStatusCode(enumValue(ctx, so.code, 'code', STATUS_CODES)),
      message: str(ctx, so.message, 'message'),
    };
    ctx.path.pop();
  }

  return {
    traceId: tid,
    spanId: sid,
    parentSpanId: pid,
    name: str(ctx, name, 'name'),
    kind: toSpanKind(enumValue(ctx, s.kind, 'kind', SPAN_KINDS)),
    startTimeUnixNano: u64(ctx, s.startTimeUnixNano ?? s.start_time_unix_nano, 'startTimeUnixNano'),
    endTimeUnixNano: u64(ctx, s.endTimeUnixNano ?? s.end_time_unix_nano, 'endTimeUnixNano'),
    attributes: attributes(ctx, s, 0),
    events: events(ctx, s),
    status,
    resource,
    scope,
  };
}

function reject(ctx: Ctx, name: unknown, reason: string): undefined {
  ctx.out.reject(render(ctx.path), name, reason);
  return undefined;
}

function events(ctx: Ctx, s: Obj): OtlpSpanEvent[] {
  const raw = list(ctx, s, 'events', 'events');
  const result = new Array<OtlpSpanEvent>(raw.length);
  const depth = ctx.path.length;
  ctx.path.push('events', 0);
  for (let i = 0; i < raw.length; i++) {
    ctx.path[depth + 1] = i;
    const e = obj(ctx, raw[i]);
    result[i] = {
      name: str(ctx, e.name, 'name'),
      timeUnixNano: u64(ctx, e.timeUnixNano ?? e.time_unix_nano, 'timeUnixNano'),
      attributes: attributes(ctx, e, 0),
    };
  }
  ctx.path.length = depth;
  return result;
}

/** Reads the `attributes` list of a message (span, event, resource). */
function attributes(ctx: Ctx, holder: Obj, depth: number): Attributes {
  return keyValues(ctx, list(ctx, holder, 'attributes', 'attributes'), 'attributes', depth);
}

function keyValues(ctx: Ctx, kvs: unknown[], field: string, depth: number): Attributes {
  const attrs: Attributes = {};
  if (kvs.length === 0) return attrs;
  const at = ctx.path.length;
  ctx.path.push(field, 0);
  for (let i = 0; i < kvs.length; i++) {
    ctx.path[at + 1] = i;
    const kv = obj(ctx, kvs[i]);
    if ((kv.keyStrindex ?? kv.key_strindex) != null) ctx.sawStrindex = true;
    const key = str(ctx, kv.key, 'key');
    const v = kv.value;
    let value: AttrValue = null;
    if (v !== undefined && v !== null) {
      ctx.path.push('value');
      value = anyValue(ctx, v, depth);
      ctx.path.pop();
    }
    setAttr(attrs, key, value);
  }
  ctx.path.length = at;
  return attrs;
}

function anyValue(ctx: Ctx, v: unknown, depth: number): AttrValue {
  const o = obj(ctx, v);
  let x: unknown;
  if ((x = o.stringValue ?? o.string_value) != null) return str(ctx, x, 'stringValue');
  if ((x = o.intValue ?? o.int_value) != null) return i64(ctx, x, 'intValue');
  if ((x = o.doubleValue ?? o.double_value) != null) return double(ctx, x, 'doubleValue');
  if ((x = o.boolValue ?? o.bool_value) != null) {
    if (typeof x !== 'boolean') fail(ctx, 'boolValue', `expected true or false, got ${echo(x)}`);
    return x;
  }
  if ((x = o.arrayValue ?? o.array_value) != null) {
    if (depth >= MAX_DEPTH) fail(ctx, 'arrayValue', `values nested deeper than ${MAX_DEPTH} levels`);
    ctx.path.push('arrayValue');
    const values = list(ctx, obj(ctx, x), 'values', 'values');
    const arr = new Array<AttrValue>(values.length);
    const at = ctx.path.length;
    ctx.path.push('values', 0);
    for (let i = 0; i < values.length; i++) {
      ctx.path[at + 1] = i;
      const item = values[i];
      arr[i] = item === null || item === undefined ? null : anyValue(ctx, item, depth + 1);
    }
    ctx.path.length = at - 1;
    return arr;
  }
  if ((x = o.kvlistValue ?? o.kvlist_value) != null) {
    if (depth >= MAX_DEPTH) fail(ctx, 'kvlistValue', `values nested deeper than ${MAX_DEPTH} levels`);
    ctx.path.push('kvlistValue');
    const attrs = keyValues(ctx, list(ctx, obj(ctx, x), 'values', 'values'), 'values', depth + 1);
    ctx.path.pop();
    return attrs;
  }
  if ((x = o.bytesValue ?? o.bytes_value) != null) {
    if (typeof x !== 'string' || !BASE64.test(x)) fail(ctx, 'bytesValue', `expected a base64 string, got ${echo(x)}`);
    return new Uint8Array(Buffer.from(x, 'base64'));
  }
  // Profiling-only string-table index: process as if absent, i.e. an empty AnyValue.
  if ((o.stringValueStrindex ?? o.string_value_strindex) != null) ctx.sawStrindex = true;
  return null;
}

// ---- scalar readers: each fails the request with the field's path on a wrong JSON type ----

function str(ctx: Ctx, v: unknown, field: string): string {
  if (typeof v === 'string') return v;
  if (v === undefined || v === null) return '';
  return fail(ctx, field, `expected a string, got ${echo(v)}`);
}

/** fixed64 (timestamps): decimal string or JSON number, exact as bigint. */
function u64(ctx: Ctx, v: unknown, field: string): bigint {
  if (typeof v === 'string') {
    if (UINT.test(v)) {
      const n = BigInt(v);
      if (n <= MAX_U64) return n;
    }
  } else if (typeof v === 'number') {
    // A JSON number above 2^53 has already lost precision in JSON.parse; accept what is left.
    if (Number.isInteger(v) && v >= 0 && v < 2 ** 64) return BigInt(v);
  } else if (v === undefined || v === null) {
    return 0n;
  }
  return fail(ctx, field, `expected a non-negative integer (string or number), got ${echo(v)}`);
}

/** int64 attribute values → number (exact up to 2^53). */
function i64(ctx: Ctx, v: unknown, field: string): number {
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return v;
  } else if (typeof v === 'string' && INT.test(v)) {
    return Number(v);
  }
  return fail(ctx, field, `expected an integer (string or number), got ${echo(v)}`);
}

function double(ctx: Ctx, v: unknown, field: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    if (v === 'NaN') return NaN;
    if (v === 'Infinity') return Infinity;
    if (v === '-Infinity') return -Infinity;
    // proto3 JSON also allows a quoted number.
    if (v.trim() !== '') {
      const n = Number(v);
      if (!Number.isNaN(n)) return n;
    }
  }
  return fail(ctx, field, `expected a number or "NaN"/"Infinity"/"-Infinity", got ${echo(v)}`);
}

/** Enums must be integers in OTLP/JSON; names ("SPAN_KIND_CLIENT") are accepted too. */
function enumValue(ctx: Ctx, v: unknown, field: string, names: Record<string, number>): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string') {
    const n = Object.hasOwn(names, v) ? names[v] : UINT.test(v) ? Number(v) : undefined;
    if (n !== undefined) return n;
  }
  return fail(ctx, field, `expected an enum integer or name (e.g. ${Object.keys(names)[1]}), got ${echo(v)}`);
}

// ---- structure helpers ----

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function obj(ctx: Ctx, v: unknown): Obj {
  if (isObj(v)) return v;
  return fail(ctx, undefined, `expected an object, got ${echo(v)}`);
}

/** A repeated field: missing or null means empty. */
function list(ctx: Ctx, holder: Obj, camel: string, snake: string): unknown[] {
  const v = holder[camel] ?? holder[snake];
  if (Array.isArray(v)) return v;
  if (v === undefined || v === null) return [];
  return fail(ctx, camel, `expected an array, got ${echo(v)}`);
}

function fail(ctx: Ctx, field: string | undefined, reason: string): never {
  let where = render(field === undefined ? ctx.path : [...ctx.path, field]);
  // Deeply nested values make long paths; the start and the end locate the problem.
  if (where.length > 240) where = `${where.slice(0, 100)}…${where.slice(-120)}`;
  throw new MalformedRequestError(`invalid OTLP/JSON: ${where === '' ? '' : `${where}: `}${reason}`);
}

/** ['resourceSpans', 0, 'scopeSpans', 1] → "resourceSpans[0].scopeSpans[1]" */
function render(path: Path): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s === '' ? p : `.${p}`;
  return s;
}

/**
 * V8's JSON.parse messages quote a slice of the input; keep only the part that locates the problem and cut any
 * quoted excerpt so the reply never carries much of the payload.
 */
function jsonSyntaxReason(err: unknown, text: string): string {
  if (text.trim() === '') return 'empty body';
  const message = err instanceof Error ? err.message : String(err);
  return truncate(
    message.replace(/"((?:[^"\\]|\\.)*)"/g, (_m, inner: string) => echo(inner)),
    160,
  );
}
