/**
 * The fuzz corpus: seeded generators of hostile request bodies for the receiver's three ways in (OTLP/HTTP protobuf
 * and JSON, OTLP/gRPC, /v1/ingest), and of valid bodies whose runs must be stored. Pure (no I/O): `npm run fuzz`
 * sends 100k+ of these to a receiver process, the smoke test a few hundred to an in-process one.
 *
 * Every case says what a correct receiver may answer (`expect`): most hostile bodies only "not a 5xx" (a mutated
 * protobuf may still be a valid export), some exactly (415 for a content type, 413 for a bomb); `hostile-valid` ones
 * (NUL bytes, invalid UTF-8, lone surrogates, __proto__ keys in otherwise valid data) must be accepted and stored.
 */
import { gzipSync, deflateSync } from 'node:zlib';
import { otlpProtoTypes } from '../../src/otlp/proto-schema.js';

export type Channel = 'http-protobuf' | 'http-json' | 'grpc' | 'ingest';
export const CHANNELS: readonly Channel[] = ['http-protobuf', 'http-json', 'grpc', 'ingest'];

/** What the receiver must answer: `any` = any 2xx/4xx (gRPC: OK, INVALID_ARGUMENT, RESOURCE_EXHAUSTED). */
export type Expect = 'any' | 'accepted' | 'unsupported' | 'too-large' | 'malformed' | 'unauthenticated';

export interface FuzzCase {
  channel: Channel;
  kind: string;
  body: Buffer;
  /** HTTP headers (content-type, content-encoding, authorization); gRPC: the metadata. */
  headers: Record<string, string>;
  /** gRPC only: send the message gzip-compressed by grpc-js (the bomb). */
  grpcGzip?: boolean;
  expect: Expect;
  /** For accepted cases: the run that must be stored, with how many spans (OTLP) or events (ingest). */
  run?: { id: string; items: number };
}

export const FUZZ_KEY = 'dt_dev_fuzz';
const AUTH = { authorization: `Bearer ${FUZZ_KEY}` };

/** mulberry32: small, fast, seedable; a failing case is reproducible from the seed and its index. */
export function rng(seed: number): Rng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    pick: (xs) => xs[Math.floor(next() * xs.length)],
    bytes: (n) => {
      const b = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i++) b[i] = Math.floor(next() * 256);
      return b;
    },
    hex: (n) => {
      let s = '';
      for (let i = 0; i < n; i++) s += Math.floor(next() * 16).toString(16);
      return s;
    },
  };
}
export interface Rng {
  next(): number;
  int(n: number): number;
  pick<T>(xs: readonly T[]): T;
  bytes(n: number): Buffer;
  hex(n: number): string;
}

// ---------------------------------------------------------------------------------------------------------------------
// Valid material

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Kv = { key: string; value: Record<string, Json> };
const kv = (key: string, value: Record<string, Json>): Kv => ({ key, value });
const str = (v: string) => ({ stringValue: v });
const int = (v: number) => ({ intValue: String(v) });

/** A non-zero 32-hex trace id (run id). */
function traceId(r: Rng): string {
  const id = r.hex(32);
  return /^0+$/.test(id) ? `1${id.slice(1)}` : id;
}

/**
 * One small agent run as an OTLP/JSON request object: the root agent span, an LLM call and a tool call. `text` goes
 * into the content attributes (prompt, completion, tool arguments/result), where hostile strings belong.
 */
export function otlpRun(r: Rng, text = 'What is the refund policy?', id = traceId(r)): { req: Record<string, Json>; traceId: string; spans: number } {
  const t0 = BigInt(Date.now() - 60_000) * 1_000_000n;
  const ns = (ms: number) => String(t0 + BigInt(ms) * 1_000_000n);
  const root = r.hex(16);
  const span = (spanId: string, parent: string, name: string, from: number, to: number, attributes: Kv[]) => ({
    traceId: id,
    spanId,
    parentSpanId: parent,
    name,
    kind: 1,
    startTimeUnixNano: ns(from),
    endTimeUnixNano: ns(to),
    attributes,
    status: {},
  });
  const spans = [
    span(r.hex(16), root, 'chat gpt-4o', 10, 40, [
      kv('gen_ai.operation.name', str('chat')),
      kv('gen_ai.provider.name', str('openai')),
      kv('gen_ai.request.model', str('gpt-4o')),
      kv('gen_ai.usage.input_tokens', int(120)),
      kv('gen_ai.usage.output_tokens', int(30)),
      kv('gen_ai.input.messages', str(JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: text }] }]))),
      kv('gen_ai.output.messages', str(JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: text }] }]))),
    ]),
    span(r.hex(16), root, 'execute_tool search', 50, 60, [
      kv('gen_ai.operation.name', str('execute_tool')),
      kv('gen_ai.tool.name', str('search')),
      kv('gen_ai.tool.call.arguments', str(JSON.stringify({ q: text }))),
      kv('gen_ai.tool.call.result', str(text)),
    ]),
    span(root, '', 'invoke_agent support', 0, 100, [kv('gen_ai.operation.name', str('invoke_agent')), kv('gen_ai.agent.name', str('support'))]),
  ];
  return {
    req: {
      resourceSpans: [
        {
          resource: { attributes: [kv('service.name', str('fuzz-agent'))] },
          scopeSpans: [{ scope: { name: 'fuzz', version: '1' }, spans }],
        },
      ],
    },
    traceId: id,
    spans: spans.length,
  };
}

/** OTLP/JSON request object → protobuf bytes (hex ids → bytes). */
export function toProtobuf(req: Record<string, Json>): Buffer {
  const T = otlpProtoTypes().exportRequest;
  const obj = JSON.parse(JSON.stringify(req), (k, v: unknown) =>
    (k === 'traceId' || k === 'spanId' || k === 'parentSpanId') && typeof v === 'string' ? Buffer.from(v, 'hex') : v,
  ) as Record<string, unknown>;
  return Buffer.from(T.encode(T.fromObject(obj)).finish());
}

/** One /v1/ingest batch (the original SDKs' wire format) for a whole run. */
export function ingestRun(r: Rng, text = 'What is the refund policy?', id = `run-${r.hex(24)}`): { req: Record<string, Json>; runId: string; events: number } {
  const t = Date.now() / 1000 - 60;
  const ev = (event_type: string, step_index: number, dt: number, payload: Record<string, Json>) => ({
    event_type,
    run_id: id,
    agent_id: 'fuzz-sdk',
    agent_version: 'v1',
    step_index,
    timestamp: t + dt,
    payload,
    parent_run_id: null,
  });
  const events = [
    ev('run.started', 0, 0, { input_text: text, model: 'gpt-4o', tools: ['search'] }),
    ev('llm.called', 1, 0.1, { model: 'gpt-4o', prompt_tokens: 12 }),
    ev('llm.responded', 1, 0.2, { output_text: text, finish_reason: 'stop', completion_tokens: 5 }),
    ev('run.completed', 1, 0.3, { exit_reason: 'final_answer', final_answer: text }),
  ];
  return { req: { agent_id: 'fuzz-sdk', events }, runId: id, events: events.length };
}

const JSON_TYPE = { 'content-type': 'application/json' };
const PROTO_TYPE = { 'content-type': 'application/x-protobuf' };

/** A valid request on `channel` whose run must be stored. */
export function validCase(r: Rng, channel: Channel, kind = 'valid', text?: string): FuzzCase {
  if (channel === 'ingest') {
    const { req, runId, events } = ingestRun(r, text);
    return { channel, kind, body: Buffer.from(JSON.stringify(req)), headers: { ...JSON_TYPE, ...AUTH }, expect: 'accepted', run: { id: runId, items: events } };
  }
  const { req, traceId: id, spans } = otlpRun(r, text);
  const body = channel === 'http-json' ? Buffer.from(JSON.stringify(req)) : toProtobuf(req);
  const headers = channel === 'grpc' ? { ...AUTH } : { ...(channel === 'http-json' ? JSON_TYPE : PROTO_TYPE), ...AUTH };
  return { channel, kind, body, headers, expect: 'accepted', run: { id, items: spans } };
}

// ---------------------------------------------------------------------------------------------------------------------
// Protobuf mutations

function varint(n: bigint): Buffer {
  const out: number[] = [];
  let v = n;
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return Buffer.from(out);
}

const tag = (field: number, wire: number) => varint(BigInt((field << 3) | wire));
const lenDelimited = (field: number, payload: Buffer) => Buffer.concat([tag(field, 2), varint(BigInt(payload.length)), payload]);

function bitFlips(r: Rng, b: Buffer): Buffer {
  const out = Buffer.from(b);
  for (let n = 1 + r.int(8); n > 0; n--) out[r.int(out.length)] ^= 1 << r.int(8);
  return out;
}

/** Rewrites the wire type of a few bytes that may be tags (low 3 bits) to another, possibly reserved, wire type. */
function wireTypes(r: Rng, b: Buffer): Buffer {
  const out = Buffer.from(b);
  for (let n = 1 + r.int(4); n > 0; n--) {
    const i = r.int(out.length);
    out[i] = (out[i] & ~7) | r.int(8);
  }
  return out;
}

/** A length prefix of up to 2^64-1 spliced in, at the top level or in place of a length somewhere inside. */
function hugeLength(r: Rng, b: Buffer): Buffer {
  const huge = r.pick([0x7fffffffn, 0xffffffffn, 1n << 40n, (1n << 64n) - 1n, BigInt(b.length + 1 + r.int(1000))]);
  const at = r.int(b.length + 1);
  const field = r.pick([1, 2, 3, 5, 7, 15]);
  return Buffer.concat([b.subarray(0, at), tag(field, 2), varint(huge), b.subarray(at, at + r.int(64))]);
}

/** An AnyValue nested `depth` deep through array_value (field 5) → ArrayValue.values (field 1), as a span attribute. */
export function deepAnyValueProtobuf(depth: number, id: string): Buffer {
  const attr = Buffer.concat([lenDelimited(1, Buffer.from('deep')), lenDelimited(2, nestedAnyValue(depth))]); // KeyValue
  const span = Buffer.concat([
    lenDelimited(1, Buffer.from(id, 'hex')),
    lenDelimited(2, Buffer.from('0102030405060708', 'hex')),
    lenDelimited(5, Buffer.from('deep')),
    lenDelimited(9, attr),
  ]);
  return lenDelimited(1, lenDelimited(2, lenDelimited(2, span))); // ResourceSpans.scope_spans.spans
}

const nestedAnyValues = new Map<number, Buffer>();
/** Built from the inside out in one buffer (wrapping level by level would copy quadratically); memoised by depth. */
function nestedAnyValue(depth: number): Buffer {
  let out = nestedAnyValues.get(depth);
  if (out) return out;
  const parts: Buffer[] = [lenDelimited(1, Buffer.from('leaf'))]; // AnyValue.string_value
  let size = parts[0].length;
  for (let d = 0; d < depth; d++) {
    // ArrayValue { values: <inner> } then AnyValue { array_value: <that> }: two prefixes, written before the inner bytes.
    const inner = Buffer.concat([tag(1, 2), varint(BigInt(size))]);
    size += inner.length;
    const outer = Buffer.concat([tag(5, 2), varint(BigInt(size))]);
    size += outer.length;
    parts.push(inner, outer);
  }
  out = Buffer.concat(parts.reverse(), size);
  nestedAnyValues.set(depth, out);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------------
// JSON mutations

/** Strings no receiver should choke on: NUL bytes, lone surrogates, control characters, RTL marks, long runs. */
const HOSTILE_STRINGS = [
  'a\u0000b',
  '\u0000',
  '\ud800',
  'x\udfffy',
  '\u202e\u0007\u001b[31m',
  '\uffff\ufffe',
  '😀'.repeat(50),
  "'; DROP TABLE spans; --",
  '%s%n%x',
  '{{7*7}}${jndi:ldap://x}',
];

const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf', '', '\u0000'];

const HOSTILE_NUMBERS = ['1e400', '-1e400', '123456789012345678901234567890', '-0', '1e-400', '9007199254740993', '0.1e1', '-9223372036854775809'];

function randomJson(r: Rng, depth = 0): Json {
  switch (r.int(depth > 3 ? 5 : 7)) {
    case 0:
      return null;
    case 1:
      return r.next() < 0.5;
    case 2:
      return r.pick([0, -1, 1.5, 2 ** 53, -(2 ** 63), Number.MAX_VALUE, 1e-300]);
    case 3:
      return r.pick(HOSTILE_STRINGS);
    case 4:
      return r.hex(r.int(40));
    case 5:
      return Array.from({ length: r.int(4) }, () => randomJson(r, depth + 1));
    default: {
      const o: Record<string, Json> = {};
      for (let n = r.int(4); n > 0; n--) o[r.next() < 0.3 ? r.pick(HOSTILE_KEYS) : r.hex(4)] = randomJson(r, depth + 1);
      return o;
    }
  }
}

/** Every (container, key) of a JSON tree, to pick a place to mutate. */
function slots(tree: Json): { parent: Json[] | Record<string, Json>; key: string | number }[] {
  const out: { parent: Json[] | Record<string, Json>; key: string | number }[] = [];
  const walk = (node: Json) => {
    if (Array.isArray(node)) {
      node.forEach((v, i) => {
        out.push({ parent: node, key: i });
        walk(v);
      });
    } else if (node && typeof node === 'object') {
      for (const k of Object.keys(node)) {
        out.push({ parent: node, key: k });
        walk(node[k]);
      }
    }
  };
  walk(tree);
  return out;
}

/** Replaces, deletes or wraps a few values of a (copied) JSON tree: wrong types, missing fields, hostile values. */
function mutateTree(r: Rng, tree: Json): Json {
  const copy = JSON.parse(JSON.stringify(tree)) as Json;
  const all = slots(copy);
  for (let n = 1 + r.int(4); n > 0 && all.length; n--) {
    const { parent, key } = r.pick(all);
    const p = parent as Record<string | number, Json>;
    const op = r.int(4);
    if (op === 0 && !Array.isArray(parent)) delete p[key];
    else if (op === 1) p[key] = [p[key]];
    else p[key] = randomJson(r);
  }
  return copy;
}

/** Keys like __proto__ written as own JSON keys (JSON.stringify cannot produce them from an object literal). */
function withHostileKeys(r: Rng, tree: Json): string {
  const text = JSON.stringify(tree);
  const key = r.pick(HOSTILE_KEYS.slice(0, 3));
  const inject = `"${key}":${r.pick(['{"polluted":true}', '{"isAdmin":true,"stringValue":"x"}', 'null', '[1,2]', '"x"'])},`;
  // After some opening braces: at the top level, in a span, in an attribute value.
  const braces = [...text.matchAll(/\{/g)].map((m) => m.index);
  const at = r.pick(braces) + 1;
  return text.slice(0, at) + inject + text.slice(at);
}

function deepJson(r: Rng, depth: number): string {
  const open = r.pick(['[', '{"a":', '{"arrayValue":{"values":[']);
  const close = open === '[' ? ']' : open === '{"a":' ? '}' : ']}}';
  return `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"${r.hex(32)}","spanId":"${r.hex(16)}","name":"d","attributes":[{"key":"k","value":${open.repeat(depth)}1${close.repeat(depth)}}]}]}]}]}`;
}

function textMutation(r: Rng, text: string): Buffer {
  const b = Buffer.from(text);
  switch (r.int(4)) {
    case 0:
      return b.subarray(0, r.int(b.length)); // truncated
    case 1:
      return bitFlips(r, b);
    case 2: {
      const at = r.int(b.length); // a random byte run inserted (invalid UTF-8 most of the time)
      return Buffer.concat([b.subarray(0, at), r.bytes(1 + r.int(8)), b.subarray(at)]);
    }
    default:
      return Buffer.from(text.replace(/[0-9]+/, r.pick(HOSTILE_NUMBERS)));
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Encodings and content types

let bombs: { gzip: Buffer; deflate: Buffer; bytes: number } | undefined;
/** 16 MiB of zeros (16× the fuzz run's body limit), gzip- and deflate-compressed once (~16 KiB each). */
function bomb(): { gzip: Buffer; deflate: Buffer; bytes: number } {
  if (!bombs) {
    const zeros = Buffer.alloc(16 * 1024 * 1024);
    bombs = { gzip: gzipSync(zeros, { level: 9 }), deflate: deflateSync(zeros, { level: 9 }), bytes: zeros.length };
  }
  return bombs;
}

const BAD_TYPES = [
  'text/plain',
  'application/xml',
  'multipart/form-data; boundary=x',
  'application/grpc',
  'application/json-seq',
  'application/jsonx',
  'application/x-www-form-urlencoded',
  '*/*',
  'json',
];
const BAD_ENCODINGS = ['br', 'compress', 'zstd', 'gzip, gzip', 'gzip;q=1', 'identity, br', 'x-unknown'];

// ---------------------------------------------------------------------------------------------------------------------
// The generator

type Maker = (r: Rng) => FuzzCase;

function protoBase(r: Rng): Buffer {
  return toProtobuf(otlpRun(r, r.pick(['short', 'a longer question about refunds and the policy', r.pick(HOSTILE_STRINGS)])).req);
}

/** Bad protobuf bodies, for HTTP (`application/x-protobuf`) and gRPC alike. */
function protobufMakers(channel: 'http-protobuf' | 'grpc', maxBodyBytes: number): Record<string, Maker> {
  const headers = channel === 'grpc' ? { ...AUTH } : { ...PROTO_TYPE, ...AUTH };
  const c = (kind: string, body: Buffer, expect: Expect = 'any'): FuzzCase => ({ channel, kind, body, headers, expect });
  return {
    'pb-bitflip': (r) => c('pb-bitflip', bitFlips(r, protoBase(r))),
    'pb-truncated': (r) => {
      const b = protoBase(r);
      return c('pb-truncated', b.subarray(0, r.int(b.length)));
    },
    'pb-wire-type': (r) => c('pb-wire-type', wireTypes(r, protoBase(r))),
    'pb-huge-length': (r) => c('pb-huge-length', hugeLength(r, protoBase(r))),
    'pb-random': (r) => c('pb-random', r.bytes(r.int(2048))),
    'pb-spliced': (r) => {
      const a = protoBase(r);
      const b = protoBase(r);
      return c('pb-spliced', Buffer.concat([a.subarray(0, r.int(a.length)), b.subarray(r.int(b.length))]));
    },
    'pb-deep-nesting': (r) => c('pb-deep-nesting', deepAnyValueProtobuf(r.pick([100, 1000, 5000, 20000]), traceId(r))),
    'pb-huge-attribute': (r) => {
      const big = 'x'.repeat(r.pick([64 * 1024, 256 * 1024, maxBodyBytes - 4096, maxBodyBytes + 1024]));
      const b = toProtobuf(otlpRun(r, big).req);
      return c('pb-huge-attribute', b, b.length > maxBodyBytes ? 'too-large' : 'any');
    },
    'pb-invalid-utf8': (r) => {
      // Valid protobuf whose string fields hold invalid UTF-8: the text attribute's bytes replaced in place.
      const marker = 'UTF8MARKERUTF8MARKER';
      const { req, traceId: id, spans } = otlpRun(r, marker);
      const b = toProtobuf(req);
      const bad = r.pick([
        Buffer.from([0xff, 0xfe, 0xfd]),
        Buffer.from([0xc0, 0x80]),
        Buffer.from([0xed, 0xa0, 0x80]),
        Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]),
      ]);
      const junk = Buffer.concat([bad, Buffer.alloc(marker.length - bad.length, 0x41)]);
      for (let at = b.indexOf(marker); at >= 0; at = b.indexOf(marker, at + 1)) junk.copy(b, at);
      return { ...c('pb-invalid-utf8', b, 'accepted'), run: { id, items: spans } };
    },
    'pb-nul-bytes': (r) => {
      const { req, traceId: id, spans } = otlpRun(r, `before\u0000after${'\u0000'.repeat(r.int(5))}`);
      return { ...c('pb-nul-bytes', toProtobuf(req), 'accepted'), run: { id, items: spans } };
    },
    ...(channel === 'grpc'
      ? {
          'grpc-gzip-bomb': () => ({ ...c('grpc-gzip-bomb', Buffer.alloc(16 * 1024 * 1024), 'too-large'), grpcGzip: true }),
          'grpc-oversize': () => c('grpc-oversize', Buffer.alloc(maxBodyBytes + 1, 0x0a), 'too-large'),
          'grpc-no-auth': (r) => ({ ...c('grpc-no-auth', protoBase(r), 'unauthenticated'), headers: {} }),
        }
      : {}),
  };
}

/** Hostile JSON built from a valid tree `base`, for OTLP/JSON and /v1/ingest. */
function jsonMakers(channel: 'http-json' | 'ingest', maxBodyBytes: number): Record<string, Maker> {
  const headers = { ...JSON_TYPE, ...AUTH };
  const c = (kind: string, body: Buffer | string, expect: Expect = 'any'): FuzzCase => ({ channel, kind, body: Buffer.from(body), headers, expect });
  const base = (r: Rng, text?: string) => (channel === 'ingest' ? ingestRun(r, text).req : otlpRun(r, text).req);
  const accepted = (kind: string, r: Rng, text: string): FuzzCase => ({ ...validCase(r, channel, kind, text) });
  return {
    'json-wrong-types': (r) => c('json-wrong-types', JSON.stringify(mutateTree(r, base(r)))),
    'json-text-mutation': (r) => c('json-text-mutation', textMutation(r, JSON.stringify(base(r)))),
    'json-random': (r) => c('json-random', JSON.stringify(randomJson(r))),
    'json-garbage': (r) =>
      c('json-garbage', r.pick(['', 'null', '[]', '{}', '"x"', '1', 'true', '{"resourceSpans":null}', '{"events":{}}', '\u0000', '\ufeff{}'])),
    'json-deep-nesting': (r) => {
      const depth = r.pick([100, 1000, 10_000, 100_000]);
      return c('json-deep-nesting', channel === 'ingest' ? `{"agent_id":"a","events":${'['.repeat(depth)}${']'.repeat(depth)}}` : deepJson(r, depth));
    },
    'json-proto-keys': (r) => c('json-proto-keys', withHostileKeys(r, base(r))),
    'json-huge-number': (r) =>
      c(
        'json-huge-number',
        JSON.stringify(base(r)).replace(/"\d{6,}"|\d+(\.\d+)?/g, (m) => (r.next() < 0.3 ? r.pick(HOSTILE_NUMBERS) : m)),
      ),
    'json-huge-attribute': (r) => {
      const big = 'y'.repeat(r.pick([64 * 1024, 256 * 1024, maxBodyBytes + 1024]));
      const body = JSON.stringify(base(r, big));
      return c('json-huge-attribute', body, Buffer.byteLength(body) > maxBodyBytes ? 'too-large' : 'any');
    },
    'json-many-fields': (r) => {
      const tree = base(r);
      const o: Record<string, Json> = {};
      for (let i = 0; i < 20_000; i++) o[`k${i}`] = i;
      tree[r.pick(['extra', 'resourceSpans', 'events', 'agent_id'])] = r.next() < 0.5 ? o : Array.from({ length: 20_000 }, () => ({}));
      return c('json-many-fields', JSON.stringify(tree));
    },
    'json-invalid-utf8': (r) => {
      const marker = 'UTF8MARKER';
      const body = Buffer.from(JSON.stringify(base(r, marker)));
      const bad = r.pick([Buffer.from([0xff]), Buffer.from([0xc3]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xfe, 0xff])]);
      for (let at = body.indexOf(marker); at >= 0; at = body.indexOf(marker, at + 1)) bad.copy(body, at);
      return c('json-invalid-utf8', body);
    },
    // Hostile but valid: the run must be accepted and stored, content still hashed (no batch dropped for a NUL).
    'json-nul-bytes': (r) => accepted('json-nul-bytes', r, `a\u0000b${'\u0000'.repeat(r.int(4))}`),
    'json-lone-surrogate': (r) => accepted('json-lone-surrogate', r, r.pick(['\ud800', 'x\udfffy', '\udbff\ud800', '😀'.slice(0, 1)])),
    'json-bad-content-type': (r) => ({
      ...c('json-bad-content-type', JSON.stringify(base(r)), 'unsupported'),
      headers: { ...AUTH, 'content-type': r.pick(BAD_TYPES) },
    }),
    'json-no-content-type': (r) => ({ ...c('json-no-content-type', JSON.stringify(base(r)), 'unsupported'), headers: { ...AUTH } }),
    'json-bad-encoding': (r) => ({
      // /v1/ingest checks the content type first, then the encoding while reading: both 415.
      ...c('json-bad-encoding', JSON.stringify(base(r)), 'unsupported'),
      headers: { ...headers, 'content-encoding': r.pick(BAD_ENCODINGS) },
    }),
    'json-gzip-bomb': (r) => {
      const z = r.next() < 0.5 ? 'gzip' : 'deflate';
      return { ...c('json-gzip-bomb', bomb()[z], 'too-large'), headers: { ...headers, 'content-encoding': z } };
    },
    'json-corrupt-gzip': (r) => {
      const good = gzipSync(Buffer.from(JSON.stringify(base(r))));
      return {
        ...c('json-corrupt-gzip', bitFlips(r, good.subarray(0, Math.max(11, r.int(good.length)))), 'any'),
        headers: { ...headers, 'content-encoding': 'gzip' },
      };
    },
    'json-gzip-valid': (r) => {
      const v = validCase(r, channel, 'json-gzip-valid');
      return { ...v, body: gzipSync(v.body), headers: { ...v.headers, 'content-encoding': 'gzip' } };
    },
    'json-bad-auth': (r) => ({
      ...c('json-bad-auth', JSON.stringify(base(r)), 'unauthenticated'),
      headers: { ...JSON_TYPE, authorization: r.pick(['Bearer dt_live_nope', 'Bearer dt_live_', `Bearer ${'x'.repeat(300)}`]) },
    }),
  };
}

/** The protobuf content types on the JSON route and vice versa, plus the OTLP/HTTP-only protobuf wrongs. */
function crossMakers(): Record<string, Maker> {
  return {
    'pb-as-json': (r) => ({ channel: 'http-json', kind: 'pb-as-json', body: protoBase(r), headers: { ...JSON_TYPE, ...AUTH }, expect: 'malformed' }),
    'json-as-pb': (r) => ({
      channel: 'http-protobuf',
      kind: 'json-as-pb',
      body: Buffer.from(JSON.stringify(otlpRun(r).req)),
      headers: { ...PROTO_TYPE, ...AUTH },
      expect: 'any', // JSON text is sometimes a decodable (if meaningless) protobuf
    }),
    'pb-gzip-bomb': () => ({
      channel: 'http-protobuf',
      kind: 'pb-gzip-bomb',
      body: bomb().gzip,
      headers: { ...PROTO_TYPE, ...AUTH, 'content-encoding': 'gzip' },
      expect: 'too-large',
    }),
    'pb-bad-content-type': (r) => ({
      channel: 'http-protobuf',
      kind: 'pb-bad-content-type',
      body: protoBase(r),
      headers: { ...AUTH, 'content-type': r.pick(BAD_TYPES) },
      expect: 'unsupported',
    }),
  };
}

/**
 * Relative weights: the costly makers (bombs, megabyte bodies, deep nesting) are rare, and so are those that are
 * (almost) always accepted: every accepted body is a durable write to the receiver's one PGlite, the run's
 * bottleneck; the hostile bodies it must refuse are what the fuzzing is about.
 */
const RARE = new Set(['grpc-gzip-bomb', 'json-gzip-bomb', 'pb-gzip-bomb', 'pb-huge-attribute', 'json-huge-attribute', 'json-many-fields', 'grpc-oversize']);
const UNCOMMON = new Set([
  'pb-deep-nesting',
  'json-deep-nesting',
  'pb-invalid-utf8',
  'pb-nul-bytes',
  'json-nul-bytes',
  'json-lone-surrogate',
  'json-gzip-valid',
  'json-invalid-utf8',
]);

export interface Corpus {
  /** The kinds each channel draws from. */
  kinds: Record<Channel, string[]>;
  /** The i-th case (deterministic in seed and i): hostile, or — every `validEvery` — a valid run to be stored. */
  at(i: number): FuzzCase;
}

export function corpus(opts: { seed: number; maxBodyBytes: number; validEvery: number }): Corpus {
  const makers: Record<Channel, Record<string, Maker>> = {
    'http-protobuf': { ...protobufMakers('http-protobuf', opts.maxBodyBytes) },
    grpc: protobufMakers('grpc', opts.maxBodyBytes),
    'http-json': jsonMakers('http-json', opts.maxBodyBytes),
    ingest: jsonMakers('ingest', opts.maxBodyBytes),
  };
  for (const [kind, make] of Object.entries(crossMakers())) makers[kind.startsWith('pb-as') ? 'http-json' : 'http-protobuf'][kind] = make;
  const weighted = Object.fromEntries(
    CHANNELS.map((ch) => {
      const list: string[] = [];
      for (const kind of Object.keys(makers[ch])) {
        const w = RARE.has(kind) ? 1 : UNCOMMON.has(kind) ? 4 : 20;
        for (let n = 0; n < w; n++) list.push(kind);
      }
      return [ch, list];
    }),
  ) as Record<Channel, string[]>;
  return {
    kinds: Object.fromEntries(CHANNELS.map((ch) => [ch, Object.keys(makers[ch])])) as Record<Channel, string[]>,
    at(i) {
      const r = rng(opts.seed * 1_000_003 + i);
      const channel = CHANNELS[i % CHANNELS.length];
      if (opts.validEvery > 0 && Math.floor(i / CHANNELS.length) % opts.validEvery === 0) return validCase(r, channel);
      return makers[channel][r.pick(weighted[channel])](r);
    },
  };
}
