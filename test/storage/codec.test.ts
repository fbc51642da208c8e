import { describe, expect, it } from 'vitest';
import { decodeBody, encodeBody } from '../../src/storage/codec.js';
import { BinaryCopyWriter } from '../../src/storage/copy-binary.js';
import { decodeSpanRow, encodeSpanBody, spanKeyBytes, spanKeyText } from '../../src/storage/span-rows.js';
import { llmSpan, newRunId, rootSpan, sha, toolSpan } from './fixtures.js';

/** What JSON keeps of a value: the layout the codec replaces stored JSONB, so it must read back the same. */
const viaJson = (v: unknown): unknown => JSON.parse(JSON.stringify(v)) as unknown;

describe('span body codec', () => {
  it('reads back exactly what JSON would keep, for every kind of value', () => {
    const value = {
      digest: sha(),
      short_hex: 'abcdef', // too short to be stored as bytes
      upper: sha().toUpperCase(), // not lower-case hex: a plain string
      odd_hex: `${sha()}a`,
      ints: [0, 1, 127, 128, 300, 2 ** 31, 2 ** 53 - 1, -1, -128, -(2 ** 53 - 1)],
      floats: [0.5, 1_764_000_000.123456, -3.25, 1e300, 5e-324],
      odd: [NaN, Infinity, -Infinity, -0, undefined],
      flags: [true, false, null],
      text: 'unicode: é 漢字 🚀 \u0000 end',
      empty: { nested: {}, list: [] },
      dict: ['llm.called', 'tool', 'stop', 'ok'],
      unknown_key_é: { 'another key': 1 },
      skipped: undefined,
      date: new Date('2026-01-02T03:04:05.678Z'),
      ['__proto__']: 'own key',
    };
    const back = decodeBody(encodeBody(value));
    expect(back).toEqual(viaJson(value));
    expect(Object.keys(back as object)).toEqual(Object.keys(viaJson(value) as object));
  });

  it('stores hex as bytes: a content digest in 16 bytes + a tag, a span id in 8, a key id in 4, other hex with a length', () => {
    const digest = sha().slice(0, 32);
    expect(encodeBody(digest).length).toBe(1 + 1 + 16);
    expect(encodeBody(digest.slice(0, 16)).length).toBe(1 + 1 + 8);
    expect(encodeBody(digest.slice(0, 8)).length).toBe(1 + 1 + 4);
    expect(encodeBody(sha()).length).toBe(1 + 1 + 1 + 32);
    expect(encodeBody(digest.slice(0, 10)).length).toBe(1 + 1 + 1 + 5);
    for (const v of [digest, digest.slice(0, 16), digest.slice(0, 8), sha(), [digest, digest, digest.slice(0, 8)]])
      expect(decodeBody(encodeBody(v))).toEqual(v);
    // A dictionary value (one of the first 64) is its tag byte alone.
    expect(encodeBody('llm.responded').length).toBe(2);
    // The fixed-length forms are version 4's: refused in an older body.
    expect(() => decodeBody(Buffer.from([3, 19, ...Buffer.alloc(8)]))).toThrow(/unknown tag 19/);
  });

  it('writes a string, digest or float that recurs in a body once, then refers back to it', () => {
    const d = sha();
    const t = 1_764_000_000.123456;
    const value = { a: [d, 'gpt-4o-mini', t], b: [d, 'gpt-4o-mini', t], c: { d, m: 'gpt-4o-mini', t } };
    // Floats far from each other (no delta form): each written whole.
    const distinct = { a: [d, 'gpt-4o-mini', t], b: [sha(), 'gpt-4o-maxi', 0.25], c: { d: sha(), m: 'gpt-4o-midi', t: -3.5 } };
    // Each repeat costs 1 byte (a back-reference among the first 32 strings or 16 floats) instead of 34 (digest), 13
    // (string) or 9 (float).
    expect(encodeBody(distinct).length - encodeBody(value).length).toBe(2 * (33 + 12 + 8));
    expect(decodeBody(encodeBody(value))).toEqual(value);
  });

  it('(version 4) writes a float near the previous one as the difference of their bits, exactly', () => {
    const start = 1_764_000_000.123456;
    // A 15 ms span: ~63,000 steps of 2^-22 s apart, a 3-byte varint instead of 8 bytes.
    const span = { start_time: start, end_time: start + 0.015 };
    expect(encodeBody(span).length).toBe(encodeBody({ start_time: start, end_time: 0.5 }).length - 5);
    // Exact for any pair, either direction, across exponents and signs (too far apart: written whole).
    const pairs: [number, number][] = [
      [start, start + 0.015],
      [start + 3600, start],
      [1.5, 2.0000000001],
      [2 ** 31 - 0.001, 2 ** 31 + 0.001],
      [1e-300, 1e-300 * (1 + 2 ** -40)],
      [0.1, -0.1],
      [Number.MAX_VALUE, 1e308],
      [5e-324, 1e-323],
    ];
    for (const [a, b] of pairs) {
      const back = decodeBody(encodeBody({ a, b, c: [b, a] })) as { a: number; b: number; c: number[] };
      expect(Object.is(back.a, a) && Object.is(back.b, b) && Object.is(back.c[0], b) && Object.is(back.c[1], a), `${a} ${b}`).toBe(true);
    }
    // The delta form is not valid in a version-3 body.
    expect(() => decodeBody(Buffer.from([3, 8, 2, 5, ...Buffer.alloc(8), 17, 2]))).toThrow(/tag 17/);
  });

  it('(version 4) writes small integers, dictionary values, back-references and shapes in the tag byte', () => {
    const event = { event_type: 'tool.called', seq: 63, timestamp: 1.5, payload: { tool_name: 'x', tool_call_id: 'c', args_hash: null, args_length: 0 } };
    // version, shape 0 (event), dictionary value, 63, float (9), shape 8 (tool.called), 'x', 'c' (3 each), null, 0
    expect(encodeBody(event).length).toBe(1 + 1 + 1 + 1 + 9 + 1 + 3 + 3 + 1 + 1);
    for (const v of [63, 64, 0, -1, 2 ** 40, ['a', 'b', 'a', 'b'], [1.5, 2.5, 1.5], event, [event, event]]) expect(decodeBody(encodeBody(v))).toEqual(v);
    // Past the tiny ranges the long forms are used: 40 distinct strings, then references to the 1st and the 40th.
    const many = Array.from({ length: 40 }, (_, i) => `s${i}`);
    expect(decodeBody(encodeBody([...many, many[0], many[39]]))).toEqual([...many, many[0], many[39]]);
    // Tiny tags are version 4's: refused in an older body.
    expect(() => decodeBody(Buffer.from([3, 65]))).toThrow(/unknown tag 65/);
  });

  it('rejects an unknown version, a truncated body and trailing bytes', () => {
    const body = encodeBody({ a: sha() });
    expect(() => decodeBody(Buffer.concat([Buffer.from([9]), body.subarray(1)]))).toThrow(/version 9/);
    expect(() => decodeBody(body.subarray(0, body.length - 3))).toThrow(/truncated/);
    expect(() => decodeBody(Buffer.concat([body, Buffer.from([0])]))).toThrow(/trailing/);
  });

  it('packs a span with its events and reads it back, span ids of any form included', () => {
    const runId = newRunId();
    const root = rootSpan(runId);
    const spans = [root, llmSpan(runId, root.span_id, 1), toolSpan(runId, root.span_id), { ...llmSpan(runId, root.span_id, 3), span_id: 'step-7/uuid' }];
    for (const span of spans) {
      const body = encodeSpanBody('support-bot', 1_764_000_000_123, span);
      const keyHex = spanKeyBytes(span.span_id).toString('hex');
      const back = decodeSpanRow(runId, keyHex, true, body);
      expect(back).toEqual({ span: viaJson(span), late: true, agent_id: 'support-bot', received_at: new Date(1_764_000_000_123) });
    }
    // 16-hex ids are the key itself; other ids hash to 8 bytes (kept verbatim in the body).
    expect(spanKeyBytes('00000000000000ff').toString('hex')).toBe('00000000000000ff');
    expect(spanKeyText('ffffffffffffffff')).toBe('-1');
    expect(spanKeyBytes('step-7/uuid')).toHaveLength(8);
  });

  it('stores the receive time as ms after the span ended, exactly, and still reads bodies with the absolute time', () => {
    const runId = newRunId();
    const span = llmSpan(runId, null, 1);
    const endMs = Math.round(span.end_time * 1000);
    for (const received of [endMs + 2_345, endMs - 1_500, endMs + 86_400_000, 1_764_000_000_123]) {
      const back = decodeSpanRow(runId, span.span_id, null, encodeSpanBody('support-bot', received, span));
      expect(back.received_at.getTime()).toBe(received);
      expect(back.late).toBe(false);
    }
    // A few ms after the end: 3 bytes fewer than the time since the epoch (4 in the value, less one for the shape).
    const absolute = encodeBody({ agent_id: 'support-bot', received_at: endMs + 2_345, span: { ...span, trace_id: undefined, span_id: undefined } });
    expect(encodeSpanBody('support-bot', endMs + 2_345, span).length).toBeLessThanOrEqual(absolute.length - 3);
    // A body written before (absolute receive time) reads as it did.
    const old = encodeBody({ received_at: 1_764_000_000_123, span: { ...span, trace_id: undefined, span_id: undefined } });
    expect(decodeSpanRow(runId, span.span_id, false, old).received_at.getTime()).toBe(1_764_000_000_123);
    // No usable end time: the absolute time is kept.
    const open = { ...span, end_time: NaN };
    expect(decodeSpanRow(runId, span.span_id, null, encodeSpanBody('support-bot', 1_764_000_000_123, open)).received_at.getTime()).toBe(1_764_000_000_123);
  });

  it('reads the 64-hex content digests of bodies before version 4 as today’s 32-hex ones, and nothing else', () => {
    const full = sha();
    const name = sha();
    const f64 = Buffer.alloc(8);
    f64.writeDoubleBE(1.5);
    // A version-3 body, byte by byte: {received_at: 1000, span: {name, end_time: 1.5, events: [{payload: {input_hash}}]}}
    // (T_OBJECT 9, T_UINT 3, T_FLOAT 5, T_HEX 7, T_ARRAY 8; keys by their KEYS index).
    const hex = (h: string) => [7, 32, ...Buffer.from(h, 'hex')];
    const v3 = Buffer.from([3, 9, 2, 2, 3, 0xe8, 0x07, 0, 9, 3, 6, ...hex(name), 9, 5, ...f64, 17, 8, 1, 9, 1, 21, 9, 1, 24, ...hex(full)]);
    const back = decodeSpanRow(newRunId(), '00000000000000ff', null, v3);
    expect(back.span.events[0].payload).toEqual({ input_hash: full.slice(0, 32) });
    expect(back.span.name).toBe(name); // not a digest: kept
    expect(back.received_at.getTime()).toBe(1000);
    // A version-4 body is read as written.
    const span = { ...llmSpan(newRunId(), null, 1), name: full };
    expect(decodeSpanRow(span.trace_id, span.span_id, null, encodeSpanBody('a', 1, span)).span).toEqual(viaJson(span));
  });

  it('keeps the stored format: the key dictionary is frozen (literal keys are coded after it)', () => {
    // version 4, object of 1 entry, literal key "zz" (118 dictionary keys + 2 bytes), then 1 (a tiny uint: 64 + 1).
    expect([...encodeBody({ zz: 1 })]).toEqual([4, 9, 1, 120, 0x7a, 0x7a, 65]);
    // Version-3 bodies (the same dictionaries) still read.
    expect(decodeBody(Buffer.from([3, 9, 1, 120, 0x7a, 0x7a, 3, 1]))).toEqual({ zz: 1 });
    // Version-1 and version-2 bodies (72 dictionary keys) still read.
    expect(decodeBody(Buffer.from([1, 9, 1, 74, 0x7a, 0x7a, 3, 1]))).toEqual({ zz: 1 });
    expect(decodeBody(Buffer.from([2, 9, 1, 74, 0x7a, 0x7a, 3, 1]))).toEqual({ zz: 1 });
    // A key added in version 3 is a literal in a version-2 body, a dictionary key from version 3 on.
    expect(decodeBody(Buffer.from([2, 9, 1, 72 + 7, ...Buffer.from('warrant'), 3, 1]))).toEqual({ warrant: 1 });
    expect([...encodeBody({ warrant: 1 })]).toEqual([4, 9, 1, 73, 65]);
  });

  it('(version 3) writes fact digests 8 bytes each and a payload with facts added as its shape plus the extra keys', () => {
    const digests = ['0123456789abcdef', 'fedcba9876543210', '00000000000000ff'];
    const set = { key: '1a2b3c4d', digests, truncated: false };
    // version, shape (2), key id as 4 bytes (5: tag and bytes), digests: tag, count, 24 bytes, false.
    expect(encodeBody(set).length).toBe(1 + 2 + 5 + 2 + 24 + 1);
    const payload = { tool_name: 'lookup', tool_call_id: 'c1', args_hash: sha(), args_length: 12, arg_entities: { ...set, types: ['int', 'ident', 'uuid'] } };
    const body = encodeBody(payload);
    expect(decodeBody(body)).toEqual(payload);
    expect(Object.keys(decodeBody(body) as object)).toEqual(Object.keys(payload));
    // The four shape keys cost nothing, the extra one a byte: less than the same object with one literal key more.
    expect(body.length).toBeLessThan(encodeBody({ ...payload, x: 0 }).length - 2);
    // Not every array of strings is a digest array: mixed, upper-case, other lengths stay as they were.
    for (const v of [['0123456789abcdef', 'x'], ['0123456789ABCDEF'], ['0123456789abcde'], []]) expect(decodeBody(encodeBody(v))).toEqual(v);
    // Tags that only version 3 writes are refused in an older body.
    expect(() => decodeBody(Buffer.from([2, 16, 0]))).toThrow(/unknown tag 16/);
  });

  it('packs a closed run’s baseline stats as shape and values: a fraction of their JSON', () => {
    const stats = {
      eligible: true,
      steps: 9,
      llm_calls: 5,
      tool_calls: 4,
      retrieval_calls: 0,
      max_step_ms: { llm: 734.512, tool: 200, retrieval: null },
      first_prompt_tokens: 1200,
      last_prompt_tokens: 1804,
      prompt_growth: 1.5033333333333334,
      llm_tool_ratio: 1.25,
      total_tokens: 7435,
      wall_clock_ms: 12345.678,
    };
    const packed = encodeBody(stats);
    expect(decodeBody(packed)).toEqual(stats);
    // Keys cost nothing: version + shape (3), the values (1–3 bytes each, 9 for each of the four float64s), the nested
    // max_step_ms as a shape too: 63 bytes, where one literal key more would already make it 70+.
    expect(packed.length).toBeLessThanOrEqual(63);
    expect(packed.length * 4).toBeLessThan(JSON.stringify(stats).length);
  });

  it('is several times smaller than the JSON it replaces', () => {
    const runId = newRunId();
    const span = llmSpan(runId, rootSpan(runId).span_id, 1);
    const packed = encodeSpanBody('support-bot', Date.now(), span).length;
    expect(packed * 2).toBeLessThan(JSON.stringify(span).length);
  });
});

describe('binary COPY writer', () => {
  it('writes the header, each field with its length, NULL-free rows and the trailer', () => {
    const w = new BinaryCopyWriter();
    w.row([{ int8: -2n }, { int8bytes: Buffer.from('00000000000000ff', 'hex') }, { bool: true }, { bytea: Buffer.from([7, 8]) }]);
    const out = w.finish();
    expect(out.subarray(0, 11).toString('latin1')).toBe('PGCOPY\n\xff\r\n\0');
    let at = 19;
    expect(out.readInt16BE(at)).toBe(4);
    at += 2;
    expect([out.readInt32BE(at), out.readBigInt64BE(at + 4)]).toEqual([8, -2n]);
    at += 12;
    expect([out.readInt32BE(at), out.readBigInt64BE(at + 4)]).toEqual([8, 255n]);
    at += 12;
    expect([out.readInt32BE(at), out[at + 4]]).toEqual([1, 1]);
    at += 5;
    expect([out.readInt32BE(at), [...out.subarray(at + 4, at + 6)]]).toEqual([2, [7, 8]]);
    at += 6;
    expect(out.readInt16BE(at)).toBe(-1);
    expect(out.length).toBe(at + 2);
  });

  it('writes text, int4, float8 and NULL fields in their binary send formats', () => {
    const w = new BinaryCopyWriter();
    w.row([{ text: 'é' }, { int4: -3 }, { float8: 0.25 }, null]);
    const out = w.finish();
    let at = 21;
    expect([out.readInt32BE(at), out.subarray(at + 4, at + 6).toString('utf8')]).toEqual([2, 'é']);
    at += 6;
    expect([out.readInt32BE(at), out.readInt32BE(at + 4)]).toEqual([4, -3]);
    at += 8;
    expect([out.readInt32BE(at), out.readDoubleBE(at + 4)]).toEqual([8, 0.25]);
    at += 12;
    expect(out.readInt32BE(at)).toBe(-1);
    expect(out.readInt16BE(at + 4)).toBe(-1);
  });

  it('spills large values across buffers without losing bytes', () => {
    const w = new BinaryCopyWriter();
    const big = Buffer.alloc(200_000, 3);
    for (let i = 0; i < 3; i++) w.row([{ bytea: big }]);
    const out = w.finish();
    expect(out.length).toBe(19 + 3 * (2 + 4 + big.length) + 2);
    expect(out.subarray(19 + 6, 19 + 6 + big.length).equals(big)).toBe(true);
  });
});
