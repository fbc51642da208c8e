/**
 * The packed span body: a compact, self-describing binary form of JSON-like values, used to store a span with all its
 * events in ONE bytea per span row (the old layout had a span row plus a JSONB row per event, ~1.65 KB per span with
 * indexes). What makes it small:
 * - digests and ids (lower-case hex, even length 8–254: digests, ids, the facts' key ids) are stored as raw bytes: 16
 *   bytes for a content digest, not 32+;
 * - keys and common values come from append-only dictionaries (one byte each) instead of being repeated per row;
 * - integers are varints; other numbers float64;
 * - a string, digest or float written once is referred back to by index when it recurs in the same body (tool lists,
 *   models, event times that equal their span's start and end);
 * - objects with the usual key sets (a span, an event, each payload type, as the mapping core emits them) are written
 *   as a shape number and their values: no key bytes at all.
 * Any other key or value is stored literally, so a field added to MappedSpan or to an event payload later is stored
 * and read back without a change here. Semantics are JSON's (what the JSONB layout kept): undefined properties are
 * left out, NaN/±Infinity read back as null, -0 as 0. Key order is kept.
 *
 * - (version 2) names that recur across spans — span, service, model, tool and provider names, agent versions — can
 *   be numbers into the database's string dictionary (strings.ts) instead of their bytes: the writer is given the
 *   dictionary's ids, the reader its values; a body holding such a number can only be read with that database.
 *
 * - (version 3) the content facts' keys are in the key dictionary (KEYS_V3), an object whose keys START with a known
 *   shape is written as that shape plus its extra keys (a payload with facts added), and an array of 64-bit fact
 *   digests (16 hex) is written as its count and 8 bytes each.
 *
 * - (version 4) a float close to the float written before it in the body (a span's end after its start) is written as
 *   the difference of their IEEE-754 bit patterns, a varint (2–4 bytes for a span's duration instead of 8): exact for
 *   any two doubles, so nothing is rounded; hex of 8, 16 or 32 characters (key ids, span ids, content digests) has no
 *   length byte; small integers, dictionary values, back-references and shapes are held in the tag byte itself; and
 *   the envelope shapes with the receive time relative to the span's end.
 *
 * Byte 0 is the version (1: no dictionary references; 2: may hold them; 3 and 4: may use their version's forms), then
 * one value. NEVER reorder or remove dictionary entries (stored bodies refer to them by index); append only, and only
 * together with a reader that knows the new entries.
 */

import { isFactDigest } from '../model/index.js';

export const CODEC_VERSION = 4;

/** The database's string dictionary as the writer sees it: the id of an interned string, if it has one. */
export interface StringIds {
  id(value: string): number | undefined;
}
/** The dictionary as the reader sees it: the string of an id, if known (else the caller loads it and reads again). */
export interface StringValues {
  value(id: number): string | undefined;
}

export interface EncodeOptions {
  strings?: StringIds;
  /** Receives the dictionary candidates that have no id yet (to intern them and encode again). */
  misses?: (value: string) => void;
}

export interface DecodeOptions {
  strings?: StringValues;
  /** Receives ids the dictionary does not know; each reads back as '' (the caller loads them and decodes again). */
  unknown?: (id: number) => void;
}

/**
 * Keys whose string values (or arrays of strings) are names drawn from a small set — the dictionary's candidates.
 * Ids, digests, free text and error messages are never interned (they do not repeat, or must not outlive retention).
 */
const INTERNED_KEYS = new Set([
  'name',
  'agent_id',
  'agent_name',
  'service_name',
  'agent_version',
  'tools_available',
  'root_span_name',
  'model',
  'provider',
  'operation',
  'tools_offered',
  'finish_reason',
  'finish_reasons',
  'tool_name',
  'index_name',
  'vendor',
  'signal_name',
]);
/** A reference costs 2–3 bytes; shorter strings are cheaper literal. Longer than this is rarely a name. */
const INTERN_MIN_BYTES = 4;
export const INTERN_MAX_CHARS = 128;

const T_NULL = 0;
const T_FALSE = 1;
const T_TRUE = 2;
const T_UINT = 3;
const T_NEGINT = 4;
const T_FLOAT = 5;
const T_STRING = 6;
const T_HEX = 7;
const T_ARRAY = 8;
const T_OBJECT = 9;
const T_DICT = 10;
/** A string (or digest) already written in this body: its index among them. */
const T_STRREF = 11;
/** A float already written in this body (event times repeat their span's start and end). */
const T_FLOATREF = 12;
/** An object whose keys are exactly one of SHAPES, in that order: the shape's index, then the values only. */
const T_SHAPED = 13;
/** (version 2) A string of the database's dictionary: its id. */
const T_INTERNED = 14;
/** (version 3) A shape's values, then extra keys as in T_OBJECT: shape index, extra count, values, (key, value)s. */
const T_SHAPED_EXT = 15;
/** (version 3) An array of 16-hex fact digests: count, then 8 bytes each (not entered in the back-reference table). */
const T_DIGESTS = 16;
/**
 * (version 4) A float as the zigzag varint difference of its IEEE-754 bits from the last float written with T_FLOAT
 * or T_FLOATDELTA in this body (entered in the back-reference table like T_FLOAT).
 */
const T_FLOATDELTA = 17;
/**
 * (version 4) Hex strings of the three lengths nearly every span holds — 8 (a fact key id), 16 (a span id) and 32 (a
 * content digest) characters — as their bytes without a length (T_HEX writes the length): entered in the
 * back-reference table like T_HEX.
 */
const T_HEX4 = 18;
const T_HEX8 = 19;
const T_HEX16 = 20;
const FIXED_HEX_TAG = new Map([
  [8, T_HEX4],
  [16, T_HEX8],
  [32, T_HEX16],
]);
/**
 * (version 4) Small values in the tag byte itself, one byte instead of two: most of a span's integers (event seqs,
 * flags, counts), dictionary values (event types, categories, statuses), back-references and shapes are small.
 */
const TINY_UINT = 64; // 64–127: the integers 0–63
const TINY_DICT = 128; // 128–191: VALUES[0–63]
const TINY_STRREF = 192; // 192–223: string back-references 0–31
const TINY_FLOATREF = 224; // 224–239: float back-references 0–15
const TINY_SHAPED = 240; // 240–255: SHAPES[0–15] without extra keys
/** Float bit differences up to this size are written as T_FLOATDELTA (at most 6 varint bytes, against 8). */
const MAX_FLOAT_DELTA = 2 ** 40;

/** A double's bit pattern as two uint32 halves (the scratch view is shared: read before the next call). */
const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const [LO, HI] = LITTLE_ENDIAN ? [0, 1] : [1, 0];

/** bits(b) − bits(a) as an exact number when it is within ±2^52, else NaN. */
function bitDelta(a: number, b: number): number {
  F64[0] = a;
  const alo = U32[LO];
  const ahi = U32[HI];
  F64[0] = b;
  const d = (U32[HI] - ahi) * 2 ** 32 + (U32[LO] - alo);
  return Math.abs(d) < 2 ** 52 ? d : NaN;
}

/** The double whose bits are bits(a) + d (d an exact integer within ±2^52). */
function addBits(a: number, d: number): number {
  F64[0] = a;
  const lo = U32[LO] + d;
  const carry = Math.floor(lo / 2 ** 32);
  U32[HI] = U32[HI] + carry;
  U32[LO] = lo - carry * 2 ** 32;
  return F64[0];
}

/**
 * Keys of MappedSpan, span events and their payloads (src/mapping/events.ts), plus the storage envelope's. FROZEN at
 * these 72: a literal key is written as KEYS.length + its byte length, so one key more would misread every stored body
 * holding a literal key. New known keys go into SHAPES (which name their keys) instead.
 */
const KEYS = [
  // envelope
  'span',
  'agent_id',
  'received_at',
  'span_id',
  // MappedSpan
  'trace_id',
  'parent_span_id',
  'name',
  'category',
  'start_time',
  'end_time',
  'status',
  'error_type',
  'agent_name',
  'service_name',
  'agent_version',
  'tools_available',
  'root',
  'events',
  // events
  'event_type',
  'seq',
  'timestamp',
  'payload',
  // payloads
  'source',
  'root_span_name',
  'input_hash',
  'input_length',
  'system_prompt_hash',
  'model',
  'tools',
  'injection_signal',
  'provider',
  'operation',
  'prompt_tokens',
  'max_tokens',
  'tools_offered',
  'completion_tokens',
  'reasoning_tokens',
  'total_tokens',
  'latency_ms',
  'finish_reason',
  'finish_reasons',
  'output_hash',
  'output_length',
  'output_length_source',
  'tool_calls',
  'success',
  'tool_name',
  'tool_call_id',
  'args_hash',
  'args_length',
  'error_hash',
  'index_name',
  'vendor',
  'query_hash',
  'top_k',
  'result_count',
  'top_score',
  'signal_name',
  'meta',
  'exit_reason',
  'total_steps',
  'tool_call_count',
  'matched_pattern_count',
  'matched_patterns',
  'scan_truncated',
  'scanned_chars',
  'input',
  'output',
  'hash',
  'length',
  'content',
  'facts',
] as const;

/**
 * (version 3) The key dictionary of version-3 bodies: KEYS, then the content facts' keys and the other MappedSpan keys
 * that were literal before. FROZEN at its length like KEYS (literal keys of version-3 bodies are coded after it).
 */
const KEYS_V3 = [
  ...KEYS,
  // event payload facts (mapping/content/facts.ts, mapping/facts/)
  'grounding',
  'warrant',
  'reply_terms',
  'tool_terms',
  'handoff_text',
  'handoff_input',
  'arg_entities',
  'arg_destinations',
  'arg_leaves',
  'candidates',
  'directives',
  'tools_in_input',
  'memory_source',
  // fact objects: digest sets, term masks, hand-off texts, candidate records
  'key',
  'digests',
  'truncated',
  'types',
  'v',
  'completion',
  'ack',
  'error',
  'entities',
  'tokens',
  'sets',
  'broad',
  'records',
  'ids',
  'disc',
  // other MappedSpan / payload keys
  'late',
  'gaps',
  'answered',
  'call_id',
  'args',
  'documents',
  'injection',
  'user',
  'system',
  'result',
  'query',
  'scope',
  'unclassified',
  'unnamed_tool',
  'step_root',
  'step_index',
  // sets stored by reference (storage/fact-refs.ts)
  'from',
  'copy',
] as const;

/** Values that recur in most spans: event types, categories, statuses, sources, finish reasons. */
const VALUES = [
  'run.started',
  'llm.called',
  'llm.responded',
  'tool.called',
  'tool.responded',
  'retrieval.called',
  'retrieval.responded',
  'external.signal',
  'run.completed',
  'run.errored',
  'llm',
  'tool',
  'retrieval',
  'agent',
  'other',
  'ok',
  'error',
  'unset',
  'otlp',
  'content',
  'tokens',
  'stop',
  'tool_calls',
  'length',
  'chat',
  'final_answer',
  'completed',
  // (version 3) entity types of typed digest sets (mapping/facts/digest-set.ts)
  'uuid',
  'email',
  'url',
  'path',
  'int',
  'ident',
] as const;

/** Key lists of the objects the mapping core emits, in its key order (append only, like the dictionaries). */
const SHAPES: readonly (readonly string[])[] = [
  ['event_type', 'seq', 'timestamp', 'payload'],
  [
    'parent_span_id',
    'name',
    'category',
    'start_time',
    'end_time',
    'status',
    'error_type',
    'agent_id',
    'agent_name',
    'service_name',
    'agent_version',
    'tools_available',
    'root',
    'events',
  ],
  [
    'span_id',
    'parent_span_id',
    'name',
    'category',
    'start_time',
    'end_time',
    'status',
    'error_type',
    'agent_id',
    'agent_name',
    'service_name',
    'agent_version',
    'tools_available',
    'root',
    'events',
  ],
  ['received_at', 'span'],
  ['agent_id', 'received_at', 'span'],
  ['model', 'provider', 'operation', 'prompt_tokens', 'input_hash', 'input_length', 'max_tokens', 'tools_offered', 'system_prompt_hash'],
  ['model', 'provider', 'operation', 'prompt_tokens', 'input_hash', 'input_length', 'max_tokens', 'tools_offered'],
  [
    'model',
    'completion_tokens',
    'reasoning_tokens',
    'total_tokens',
    'latency_ms',
    'finish_reason',
    'finish_reasons',
    'output_hash',
    'output_length',
    'output_length_source',
    'tool_calls',
    'success',
    'error_type',
  ],
  ['tool_name', 'tool_call_id', 'args_hash', 'args_length'],
  ['tool_name', 'success', 'output_hash', 'output_length', 'latency_ms', 'error_type', 'error_hash'],
  ['input_hash', 'input_length', 'output_hash', 'error_hash'],
  ['index_name', 'vendor', 'query_hash', 'top_k'],
  ['index_name', 'result_count', 'top_score', 'latency_ms', 'success'],
  ['signal_name', 'source', 'meta'],
  ['name', 'args_hash'],
  // RunStats and its max_step_ms, in runStats()'s key order
  [
    'eligible',
    'steps',
    'llm_calls',
    'tool_calls',
    'retrieval_calls',
    'max_step_ms',
    'first_prompt_tokens',
    'last_prompt_tokens',
    'prompt_growth',
    'llm_tool_ratio',
    'total_tokens',
    'wall_clock_ms',
  ],
  ['llm', 'tool', 'retrieval'],
  // (version 3) the content facts (mapping/facts/), in the order they are built
  ['key', 'digests', 'truncated'],
  ['key', 'digests', 'types', 'truncated'],
  ['v', 'completion', 'ack', 'length'],
  ['v', 'error', 'output'],
  ['length', 'entities'],
  ['length', 'tokens'],
  ['key', 'sets', 'truncated'],
  ['broad', 'records'],
  ['ids', 'disc'],
  // a set stored by reference, a hand-off text without entities (storage/fact-refs.ts)
  ['key', 'from', 'copy', 'digests', 'truncated'],
  ['length'],
  // the envelope with its receive time relative to the span's end (storage/span-rows.ts)
  ['received_in', 'span'],
  ['agent_id', 'received_in', 'span'],
];
/** Shapes by their first key, for a lookup without building a key string per object (the hot path). */
const SHAPES_BY_FIRST = new Map<string, number[]>();
SHAPES.forEach((keys, i) => SHAPES_BY_FIRST.set(keys[0], [...(SHAPES_BY_FIRST.get(keys[0]) ?? []), i]));

/** A shape that covers an object's first `covered` storable keys (all of them when `covered` is their count). */
interface ShapeMatch {
  id: number;
  covered: number;
}

const storable = (x: unknown): boolean => x !== undefined && typeof x !== 'function';

/**
 * The longest shape whose keys are the first keys of `keys` (those with a storable value), in order, if any. With
 * `prefix` false only an exact match counts (versions 1–2 had no shape with extra keys).
 */
function shapeOf(obj: Record<string, unknown>, keys: string[], prefix: boolean): ShapeMatch | undefined {
  let first: string | undefined;
  let n = 0;
  for (const k of keys) {
    if (!storable(obj[k])) continue;
    first ??= k;
    n++;
  }
  const candidates = first === undefined ? undefined : SHAPES_BY_FIRST.get(first);
  if (!candidates) return undefined;
  let best: ShapeMatch | undefined;
  next: for (const id of candidates) {
    const shape = SHAPES[id];
    if (shape.length > n || (!prefix && shape.length !== n) || (best !== undefined && shape.length <= best.covered)) continue;
    let j = 0;
    for (const k of keys) {
      if (j === shape.length) break;
      if (!storable(obj[k])) continue;
      if (shape[j++] !== k) continue next;
    }
    if (shape.length === n) return { id, covered: n };
    best = { id, covered: shape.length };
  }
  // One key of shape saves one byte and costs one: only longer prefixes are worth it.
  return best !== undefined && best.covered >= 2 ? best : undefined;
}

const KEY_INDEX = new Map<string, number>(KEYS_V3.map((k, i) => [k, i]));
const VALUE_INDEX = new Map<string, number>(VALUES.map((v, i) => [v, i]));
const HEX_RE = /^(?:[0-9a-f]{2}){4,127}$/;
/** True when every item is a 16-hex fact digest (mapping/facts/keyed.ts): stored 8 bytes each. */
function allFactDigests(items: unknown[]): items is string[] {
  return items.length > 0 && items.every(isFactDigest);
}

/** Encodes a JSON-like value (what JSON.stringify would keep) into a body. */
export function encodeBody(value: unknown, options: EncodeOptions = {}): Buffer {
  const w = new Writer(options);
  w.byte(CODEC_VERSION);
  w.value(value);
  return w.done();
}

/** Reads a body written by encodeBody. Throws on an unknown version or a truncated body. */
export function decodeBody(buf: Uint8Array, options: DecodeOptions = {}): unknown {
  const r = new Reader(buf, options);
  const version = r.byte();
  if (version < 1 || version > CODEC_VERSION) throw new Error(`span body: unknown codec version ${version}`);
  r.version = version;
  const v = r.value();
  if (r.pos !== buf.length) throw new Error('span body: trailing bytes');
  return v;
}

class Writer {
  private buf = Buffer.allocUnsafe(512);
  private pos = 0;
  private readonly strings = new Map<string, number>();
  private readonly floats = new Map<number, number>();
  /** The last float written whole or as a delta (NaN: none yet). */
  private lastFloat = NaN;
  /** The key whose value is being written (array items inherit it): decides whether a string may be interned. */
  private key = '';
  constructor(private readonly options: EncodeOptions) {}

  done(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  byte(b: number): void {
    this.room(1);
    this.buf[this.pos++] = b;
  }

  /** Unsigned varint, up to 2^53. */
  uint(n: number): void {
    this.room(8);
    while (n >= 0x80) {
      this.buf[this.pos++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.pos++] = n;
  }

  string(s: string): void {
    const len = Buffer.byteLength(s);
    this.uint(len);
    this.room(len);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /** Writes `v` as a dictionary reference when its key makes it a candidate and it has an id; reports misses. */
  private interned(v: string): boolean {
    const { strings, misses } = this.options;
    if (strings === undefined || !INTERNED_KEYS.has(this.key) || v.length > INTERN_MAX_CHARS) return false;
    if (Buffer.byteLength(v) < INTERN_MIN_BYTES) return false;
    const id = strings.id(v);
    if (id === undefined) {
      misses?.(v);
      return false;
    }
    this.strings.set(v, this.strings.size);
    this.byte(T_INTERNED);
    this.uint(id);
    return true;
  }

  value(v: unknown): void {
    switch (typeof v) {
      case 'string': {
        const d = v.length <= 19 ? VALUE_INDEX.get(v) : undefined; // the longest dictionary value has 19 characters
        const seen = d === undefined ? this.strings.get(v) : undefined;
        if (d !== undefined) {
          if (d < 64) this.byte(TINY_DICT + d);
          else {
            this.byte(T_DICT);
            this.uint(d);
          }
        } else if (seen !== undefined) {
          if (seen < 32) this.byte(TINY_STRREF + seen);
          else {
            this.byte(T_STRREF);
            this.uint(seen);
          }
        } else if (this.interned(v)) {
          // written by interned()
        } else if ((this.strings.set(v, this.strings.size), v.length >= 8 && HEX_RE.test(v))) {
          const fixed = FIXED_HEX_TAG.get(v.length);
          if (fixed !== undefined) this.byte(fixed);
          else {
            this.byte(T_HEX);
            this.uint(v.length / 2);
          }
          this.room(v.length / 2);
          this.pos += this.buf.write(v, this.pos, 'hex');
        } else {
          this.byte(T_STRING);
          this.string(v);
        }
        return;
      }
      case 'number':
        if (!Number.isFinite(v)) this.byte(T_NULL);
        else if (Number.isSafeInteger(v)) {
          if (v >= 0 && v < 64) this.byte(TINY_UINT + v);
          else if (v >= 0) {
            this.byte(T_UINT);
            this.uint(v);
          } else {
            this.byte(T_NEGINT);
            this.uint(-v - 1);
          }
        } else {
          const seen = this.floats.get(v);
          if (seen !== undefined) {
            if (seen < 16) this.byte(TINY_FLOATREF + seen);
            else {
              this.byte(T_FLOATREF);
              this.uint(seen);
            }
          } else {
            this.floats.set(v, this.floats.size);
            const d = Number.isNaN(this.lastFloat) ? NaN : bitDelta(this.lastFloat, v);
            this.lastFloat = v;
            if (Math.abs(d) <= MAX_FLOAT_DELTA) {
              this.byte(T_FLOATDELTA);
              this.uint(d >= 0 ? 2 * d : -2 * d - 1);
            } else {
              this.byte(T_FLOAT);
              this.room(8);
              this.pos = this.buf.writeDoubleBE(v, this.pos);
            }
          }
        }
        return;
      case 'boolean':
        this.byte(v ? T_TRUE : T_FALSE);
        return;
      case 'object':
        if (v === null) this.byte(T_NULL);
        else if (Array.isArray(v)) {
          if (allFactDigests(v)) {
            this.byte(T_DIGESTS);
            this.uint(v.length);
            this.room(8 * v.length);
            for (const d of v) this.pos += this.buf.write(d, this.pos, 'hex');
            return;
          }
          this.byte(T_ARRAY);
          this.uint(v.length);
          // JSON writes undefined/functions inside arrays as null.
          for (const item of v as unknown[]) this.value(item === undefined || typeof item === 'function' ? null : item);
        } else if (v instanceof Date) {
          this.value(v.toISOString());
        } else {
          const obj = v as Record<string, unknown>;
          const keys = Object.keys(obj);
          const shape = shapeOf(obj, keys, true);
          const outer = this.key;
          let rest: string[];
          if (shape !== undefined) {
            const shapeKeys = SHAPES[shape.id];
            let j = 0;
            let at = 0;
            while (j < shapeKeys.length) if (storable(obj[keys[at++]])) j++;
            rest = keys.slice(at).filter((k) => storable(obj[k]));
            if (rest.length === 0) {
              if (shape.id < 16) this.byte(TINY_SHAPED + shape.id);
              else {
                this.byte(T_SHAPED);
                this.uint(shape.id);
              }
            } else {
              this.byte(T_SHAPED_EXT);
              this.uint(shape.id);
              this.uint(rest.length);
            }
            for (let i = 0; i < at; i++) {
              const x = obj[keys[i]];
              this.key = keys[i];
              if (storable(x)) this.value(x);
            }
          } else {
            rest = keys.filter((k) => storable(obj[k]));
            this.byte(T_OBJECT);
            this.uint(rest.length);
          }
          for (const k of rest) {
            this.key = k;
            const i = KEY_INDEX.get(k);
            if (i !== undefined) this.uint(i);
            else {
              // A literal key: the key dictionary's length + its byte length, then the bytes.
              const len = Buffer.byteLength(k);
              this.uint(KEYS_V3.length + len);
              this.room(len);
              this.pos += this.buf.write(k, this.pos, 'utf8');
            }
            this.value(obj[k]);
          }
          this.key = outer;
        }
        return;
      default:
        // undefined at the top level, bigint, symbol: JSON has no such value.
        throw new Error(`span body: cannot store a value of type ${typeof v}`);
    }
  }
}

class Reader {
  pos = 0;
  version = CODEC_VERSION;
  private readonly strings: string[] = [];
  private readonly floats: number[] = [];
  private lastFloat = NaN;
  constructor(
    private readonly buf: Uint8Array,
    private readonly options: DecodeOptions,
  ) {}

  private ref<T>(table: T[], what: string): T {
    return this.at(table, this.uint(), what);
  }

  private at<T>(table: T[], i: number, what: string): T {
    if (i >= table.length) throw new Error(`span body: bad ${what} reference ${i}`);
    return table[i];
  }

  byte(): number {
    if (this.pos >= this.buf.length) throw new Error('span body: truncated');
    return this.buf[this.pos++];
  }

  uint(): number {
    let n = 0;
    let mul = 1;
    for (;;) {
      const b = this.byte();
      n += (b & 0x7f) * mul;
      if (b < 0x80) return n;
      mul *= 0x80;
    }
  }

  bytes(n: number): Buffer {
    if (this.pos + n > this.buf.length) throw new Error('span body: truncated');
    const out = Buffer.from(this.buf.buffer, this.buf.byteOffset + this.pos, n);
    this.pos += n;
    return out;
  }

  value(): unknown {
    const tag = this.byte();
    if (tag >= TINY_UINT) return this.tiny(tag);
    switch (tag) {
      case T_NULL:
        return null;
      case T_FALSE:
        return false;
      case T_TRUE:
        return true;
      case T_UINT:
        return this.uint();
      case T_NEGINT:
        return -this.uint() - 1;
      case T_FLOAT: {
        const f = this.bytes(8).readDoubleBE(0);
        this.floats.push(f);
        this.lastFloat = f;
        return f;
      }
      case T_FLOATDELTA: {
        if (this.version < 4 || Number.isNaN(this.lastFloat)) throw new Error(`span body: unexpected tag ${tag}`);
        const z = this.uint();
        const f = addBits(this.lastFloat, z % 2 === 0 ? z / 2 : -(z + 1) / 2);
        this.floats.push(f);
        this.lastFloat = f;
        return f;
      }
      case T_FLOATREF:
        return this.ref(this.floats, 'float');
      case T_STRING: {
        const v = this.bytes(this.uint()).toString('utf8');
        this.strings.push(v);
        return v;
      }
      case T_HEX: {
        const v = this.bytes(this.uint()).toString('hex');
        this.strings.push(v);
        return v;
      }
      case T_HEX4:
      case T_HEX8:
      case T_HEX16: {
        if (this.version < 4) throw new Error(`span body: unknown tag ${tag}`);
        const v = this.bytes(tag === T_HEX4 ? 4 : tag === T_HEX8 ? 8 : 16).toString('hex');
        this.strings.push(v);
        return v;
      }
      case T_STRREF:
        return this.ref(this.strings, 'string');
      case T_INTERNED: {
        if (this.version < 2) throw new Error(`span body: unknown tag ${tag}`);
        const id = this.uint();
        let v = this.options.strings?.value(id);
        if (v === undefined) {
          if (!this.options.unknown) throw new Error(`span body: unknown dictionary string ${id}`);
          this.options.unknown(id);
          v = '';
        }
        this.strings.push(v);
        return v;
      }
      case T_DICT: {
        const i = this.uint();
        if (i >= VALUES.length) throw new Error(`span body: unknown dictionary value ${i}`);
        return VALUES[i];
      }
      case T_ARRAY: {
        const n = this.uint();
        const out: unknown[] = [];
        for (let i = 0; i < n; i++) out.push(this.value());
        return out;
      }
      case T_SHAPED:
        return this.shaped(this.uint(), 0);
      case T_SHAPED_EXT: {
        if (this.version < 3) throw new Error(`span body: unknown tag ${tag}`);
        const i = this.uint();
        return this.shaped(i, this.uint());
      }
      case T_OBJECT:
        return this.entries({}, this.uint());
      case T_DIGESTS: {
        if (this.version < 3) throw new Error(`span body: unknown tag ${tag}`);
        const n = this.uint();
        const raw = this.bytes(8 * n);
        const out: string[] = [];
        for (let i = 0; i < n; i++) out.push(raw.toString('hex', 8 * i, 8 * i + 8));
        return out;
      }
      default:
        throw new Error(`span body: unknown tag ${tag}`);
    }
  }

  /** An object of shape `i` (its values follow), then `extra` (key, value) entries. */
  private shaped(i: number, extra: number): Record<string, unknown> {
    if (i >= SHAPES.length) throw new Error(`span body: unknown shape ${i}`);
    const out: Record<string, unknown> = {};
    for (const key of SHAPES[i]) out[key] = this.value();
    return extra === 0 ? out : this.entries(out, extra);
  }

  /** (version 4) A value held in its tag byte. */
  private tiny(tag: number): unknown {
    if (this.version < 4) throw new Error(`span body: unknown tag ${tag}`);
    if (tag < TINY_DICT) return tag - TINY_UINT;
    if (tag < TINY_STRREF) {
      const i = tag - TINY_DICT;
      if (i >= VALUES.length) throw new Error(`span body: unknown dictionary value ${i}`);
      return VALUES[i];
    }
    if (tag < TINY_FLOATREF) return this.at(this.strings, tag - TINY_STRREF, 'string');
    if (tag < TINY_SHAPED) return this.at(this.floats, tag - TINY_FLOATREF, 'float');
    return this.shaped(tag - TINY_SHAPED, 0);
  }

  /** `n` (key, value) entries into `out`; keys index the key dictionary of the body's version, else are literal. */
  private entries(out: Record<string, unknown>, n: number): Record<string, unknown> {
    const dict: readonly string[] = this.version >= 3 ? KEYS_V3 : KEYS;
    for (let i = 0; i < n; i++) {
      const k = this.uint();
      const key = k < dict.length ? dict[k] : this.bytes(k - dict.length).toString('utf8');
      // defineProperty: a "__proto__" key stays an own property, as JSON.parse makes it.
      Object.defineProperty(out, key, { value: this.value(), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
}
