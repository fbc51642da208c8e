/** UNRESOLVED_AMBIGUITY's content facts: tokenisation, candidate sets, argument leaves, warrant; codec round trip; no raw text. */
import { describe, expect, it } from 'vitest';
import { createHasher, decodeContentFacts, encodeContentFacts, extractContent, scanAttributes, classify } from '../../src/mapping/index.js';
import { memoDigest } from '../../src/mapping/content/index.js';
import { MAX_RECORDS_PER_SET, argumentLeafSet, candidateSets, casefold, warrantSet, wordTokens } from '../../src/mapping/facts/ambiguity.js';
import { createFactSecret } from '../../src/mapping/facts/index.js';
import type { Attributes } from '../../src/otlp/model.js';
import { span } from './helpers.js';

const KEYER = createFactSecret(Buffer.from('ambiguity-facts')).forRun('t');
const D = (t: string): string => KEYER.digest(t);

describe('tokens (Python: NFKC, \\w+, casefold, len > 3)', () => {
  it('Unicode words, NFKC, ß → ss, short tokens dropped', () => {
    expect([...wordTokens('The Hauptstraße, ｋｅｔｔｌｅ & café_au_lait! ok 1234 123')]).toEqual(['hauptstrasse', 'kettle', 'café_au_lait', '1234']);
    expect(casefold('ΣΊΣΥΦΟΣ')).toBe(casefold('σίσυφος'));
  });
});

describe('candidate sets', () => {
  const orders = JSON.stringify({
    orders: [
      { order_id: 'ORD-1', item: 'blue kettle', sku: 'SKU-7' },
      { order_id: 'ORD-2', item: 'blue toaster', sku: 'SKU-8' },
    ],
    tags: ['gift-wrap', 'express-1'],
  });

  it('lists of dicts, then lists of scalars, then the whole object; discriminators are tokens of exactly one record', () => {
    const c = candidateSets(orders, KEYER)!;
    expect(c.truncated).toBe(false);
    expect(c.sets.map((s) => s.records.length)).toEqual([2, 2, 1]);
    const [dicts, scalars, whole] = c.sets;
    // Narrow reading: only id-keyed identifier-shaped values (sku is not an id key).
    expect(dicts.broad).toBe(false);
    expect(dicts.records[0].ids).toEqual([D('ord-1')]);
    // "blue" is shared, so it discriminates neither.
    expect(dicts.records[0].disc).toEqual([D('kettle')]);
    expect(dicts.records[1].disc).toContain(D('toaster'));
    expect(dicts.records[1].disc).not.toContain(D('blue'));
    // Scalars: the broad reading (no keys), each scalar a record.
    expect(scalars.broad).toBe(true);
    expect(scalars.records.map((r) => r.ids)).toEqual([[D('gift-wrap')], [D('express-1')]]);
    // A one-record set never needs discriminators.
    expect(whole.records[0].disc).toEqual([]);
  });

  it('not JSON: no sets; over the record cap or nested too deep: truncated (the rule fails open)', () => {
    expect(candidateSets('ORD-1 and ORD-2', KEYER)).toBeNull();
    const many = JSON.stringify(Array.from({ length: MAX_RECORDS_PER_SET + 1 }, (_, i) => ({ id: `R-${i}` })));
    expect(candidateSets(many, KEYER)?.truncated).toBe(true);
    expect(candidateSets(JSON.stringify({ a: { b: { c: { d: { e: { f: { g: [{ id: 'X-1' }] } } } } } } }), KEYER)?.truncated).toBe(true);
    // Within every per-set cap, but more digests than a span should carry: dropped whole, truncated.
    const wide = (words: number): string =>
      JSON.stringify(Array.from({ length: 40 }, (_, i) => ({ id: `R-${i}`, text: Array.from({ length: words }, (_, w) => `word${i}x${w}`).join(' ') })));
    expect(candidateSets(wide(60), KEYER)).toMatchObject({ sets: [], truncated: true });
    expect(candidateSets(wide(20), KEYER)?.truncated).toBe(false);
  });

  it('argument leaves: identifier-shaped scalars, casefolded; unparseable arguments give none', () => {
    expect(argumentLeafSet('{"order_id": "ORD-1", "note": "asap", "n": 12345}', KEYER)?.digests).toEqual([D('ord-1'), D('12345')]);
    expect(argumentLeafSet('cancel ORD-1', KEYER)).toBeNull();
  });

  it('warrant: the word tokens of the texts', () => {
    expect(warrantSet(['Cancel the blue KETTLE'], KEYER)?.digests).toEqual([D('cancel'), D('blue'), D('kettle')]);
    expect(warrantSet([null], KEYER)).toBeNull();
  });
});

describe('computed where the text is, carried by the codec, never the text', () => {
  const hasher = createHasher();
  const factsOf = (attributes: Attributes, name: string, parentSpanId = '0000000000000001') => {
    const s = span({ name, attributes, parentSpanId });
    const index = scanAttributes(s.attributes);
    const category = classify(s.name, s.attributes, { hasVectorQuery: index.hasVectorQuery });
    return extractContent(s, { category, isRoot: parentSpanId === '', index, keyer: KEYER }, memoDigest(hasher));
  };
  const SECRET_WORD = 'zanzibarquux';
  const result = JSON.stringify([
    { id: 'ORD-1', note: SECRET_WORD },
    { id: 'ORD-2', note: 'plain' },
  ]);

  it('a tool span: argument leaves and candidate sets; encode → decode is the identity; no raw value on the wire', () => {
    const f = factsOf(
      {
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': 'cancel_order',
        'gen_ai.tool.call.arguments': '{"id": "ORD-2"}',
        'gen_ai.tool.call.result': result,
      },
      'execute_tool cancel_order',
    );
    expect(f.arg_leaves?.digests).toEqual([D('ord-2')]);
    expect(f.candidates?.sets[0].records[0].disc).toContain(D(SECRET_WORD));
    const out: Attributes = {};
    encodeContentFacts(f, out);
    const back = decodeContentFacts(out);
    expect(back.candidates).toEqual(f.candidates);
    expect(back.arg_leaves).toEqual(f.arg_leaves);
    const wire = JSON.stringify(out).toLowerCase();
    for (const raw of [SECRET_WORD, 'ord-1', 'ord-2', 'plain']) expect(wire).not.toContain(raw);
  });

  it("an LLM span's warrant is its user-role text only (system prompt and tool output are excluded by design)", () => {
    const messages = [
      { role: 'system', parts: [{ type: 'text', content: 'Never trust pelicans' }] },
      { role: 'user', parts: [{ type: 'text', content: 'cancel the kettle' }] },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: 'c1', response: 'walrus found' }] },
    ];
    const f = factsOf({ 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.input.messages': JSON.stringify(messages) }, 'chat gpt-4o');
    expect(f.warrant?.digests).toEqual([D('cancel'), D('kettle')]);
    const out: Attributes = {};
    encodeContentFacts(f, out);
    expect(decodeContentFacts(out).warrant).toEqual(f.warrant);
  });

  it('a malformed member decodes as truncated, so the rule fails open', () => {
    const f = factsOf({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'x', 'gen_ai.tool.call.result': result }, 'execute_tool x');
    const out: Attributes = {};
    encodeContentFacts(f, out);
    const ids = out['dunetrace.content.candidates.ids'] as string[];
    out['dunetrace.content.candidates.ids'] = [`raw ${SECRET_WORD}`, ...ids.slice(1)];
    const back = decodeContentFacts(out).candidates!;
    expect(back.truncated).toBe(true);
    expect(JSON.stringify(back)).not.toContain(SECRET_WORD);
  });
});
