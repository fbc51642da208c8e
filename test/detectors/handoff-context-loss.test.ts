/** HANDOFF_CONTEXT_LOSS within one trace (upstream v2 §1.5, privacy version A): firing cases and near-misses, from text. */
import { describe, expect, it } from 'vitest';
import { createFactSecret, handoffEntities, handoffInput, handoffText } from '../../src/mapping/facts/index.js';
import type { AssembledRun } from '../../src/runs/types.js';
import { TEST_KEYER, detect, run } from './run-builder.js';

const INPUT = 'Refund order 48213 for jane@example.com; she was charged twice.';
const LOOKUP =
  '{"order": 48213, "customer_id": "c0ffee00-a1b2-4abc-9def-0123456789ab", "receipt": "https://shop.example/r/77120", ' +
  '"history": "two charges on the same day, the second one a duplicate of the first; the customer asked twice by mail and once by phone"}';

/** Parent: the input and one tool result; then the hand-off to `refunds` with `handed` as its input. */
function handoff(handed: string | undefined, o: { input?: string | null; result?: string } = {}): AssembledRun {
  return run({ input: o.input === undefined ? INPUT : o.input })
    .tool('lookup_order', { result: o.result ?? LOOKUP })
    .agent('refunds', { input: handed })
    .llm({ reply: 'Refund issued.' })
    .finalAnswer()
    .build();
}

const cp = (s: string): number => [...s].length;

describe('HANDOFF_CONTEXT_LOSS', () => {
  it('a bare summary handed on: HIGH, every parent entity missing, lengths in code points, digests not values', () => {
    const handed = 'Please process a refund 🙏';
    const s = detect('HANDOFF_CONTEXT_LOSS', handoff(handed));
    // Parent entities, per text in pattern order (UUID, email, URL, number): jane@example.com, 48213 (input), the
    // UUID, the URL, 77120 (tool result: 48213 again is counted once).
    const parent = cp(INPUT) + 1 + cp(LOOKUP);
    expect(s).toMatchObject({
      failure_type: 'HANDOFF_CONTEXT_LOSS',
      severity: 'HIGH',
      confidence: 1,
      step_index: 1,
      evidence: {
        child_agent: 'refunds',
        parent_context_length: parent,
        child_input_length: cp(handed),
        size_drop_ratio: Math.round(((parent - cp(handed)) / parent) * 1000) / 1000,
        missing_entity_count: 5,
      },
    });
    expect(s?.evidence.missing_entity_digests).toEqual(
      ['jane@example.com', '48213', 'c0ffee00-a1b2-4abc-9def-0123456789ab', 'https://shop.example/r/77120', '77120'].map((v) => TEST_KEYER.digest(v)),
    );
    expect(JSON.stringify(s)).not.toMatch(/48213|jane|c0ffee00|shop\.example/);
  });

  it.each([
    // [name, handed input, missing count or null (silent)]
    ['one entity kept, the rest lost: conf 0.5 + 0.15·4', 'Refund order 48213 please.', 4],
    [
      'entities matched case-insensitively and through punctuation',
      'Refund (ORDER 48213) for JANE@EXAMPLE.COM, customer c0ffee00-a1b2-4abc-9def-0123456789ab.',
      2,
    ],
    ['only the URL lost: conf 0.65', 'Refund 48213, jane@example.com, c0ffee00-a1b2-4abc-9def-0123456789ab, receipt 77120', 1],
    ['every entity carried over: silent', 'Refund 48213 jane@example.com c0ffee00-a1b2-4abc-9def-0123456789ab https://shop.example/r/77120 77120', null],
    ['input not much smaller (drop ≤ 0.5): silent, entities missing or not', 'x'.repeat(cp(INPUT) + 1 + cp(LOOKUP)), null],
  ])('%s', (_name, handed, missing) => {
    const s = detect('HANDOFF_CONTEXT_LOSS', handoff(handed));
    if (missing === null) expect(s).toBeNull();
    else expect(s).toMatchObject({ confidence: Math.min(1, Math.round((0.5 + 0.15 * missing) * 100) / 100), evidence: { missing_entity_count: missing } });
  });

  it('the drop threshold is strict (> 0.5) and tunable; so is the entity count', () => {
    const parent = cp(INPUT) + 1 + cp(LOOKUP);
    const half = 'y'.repeat(Math.ceil(parent / 2));
    const drop = (parent - half.length) / parent;
    expect(drop).toBeLessThanOrEqual(0.5);
    expect(detect('HANDOFF_CONTEXT_LOSS', handoff(half))).toBeNull();
    expect(detect('HANDOFF_CONTEXT_LOSS', handoff(half), { size_drop_threshold: drop - 0.01 })).not.toBeNull();
    expect(detect('HANDOFF_CONTEXT_LOSS', handoff('Refund 48213.'), { min_missing_entities: 5 })).toBeNull();
    expect(detect('HANDOFF_CONTEXT_LOSS', handoff('Refund it.'), { min_missing_entities: 5 })).not.toBeNull();
  });

  it.each([
    ['the child input was not captured', handoff(undefined)],
    ['the parent had no entity at all', handoff('ok', { input: 'please refund my last purchase, it was a duplicate', result: '{"status": "found"}' })],
    ['no parent text captured', run({ input: null }).agent('refunds', { input: 'go' }).finalAnswer().build()],
  ])('silent when %s', (_name, r) => {
    expect(detect('HANDOFF_CONTEXT_LOSS', r)).toBeNull();
  });

  it('only outputs that ended before the child started are parent context', () => {
    // The lookup result comes AFTER the hand-off: its UUID and URL are not the parent's yet, the size drop shrinks.
    const r = run({ input: INPUT }).agent('refunds', { input: 'Refund order 48213.' }).tool('lookup_order', { result: LOOKUP }).finalAnswer().build();
    const s = detect('HANDOFF_CONTEXT_LOSS', r);
    expect(s).toMatchObject({ evidence: { parent_context_length: cp(INPUT), missing_entity_count: 1 } });
    expect(s?.evidence.missing_entity_digests).toEqual([TEST_KEYER.digest('jane@example.com')]);
  });

  it('an LLM reply is parent context too; the worst of several hand-offs is reported', () => {
    const r = run({ input: 'Check account 90210.' })
      .llm({ reply: 'Account 90210 belongs to ops@corp.example, ticket 5512.' })
      .agent('billing', { input: 'Check account 90210, ticket 5512.' })
      .agent('support', { input: 'Help the user.' })
      .finalAnswer()
      .build();
    expect(detect('HANDOFF_CONTEXT_LOSS', r)).toMatchObject({ evidence: { child_agent: 'support', missing_entity_count: 3 } });
  });

  it('fails open: an overflowed set, or sets under different run keys', () => {
    const many = Array.from({ length: 600 }, (_, i) => `${1000 + i}`).join(' ');
    expect(detect('HANDOFF_CONTEXT_LOSS', handoff('Refund it.', { result: many }))).toBeNull();
    const r = handoff('Refund it.');
    const other = createFactSecret(Buffer.from('another process')).forRun('run');
    const ev = r.events.find((e) => e.event_type === 'external.signal')!;
    (ev.payload as { handoff_input?: unknown }).handoff_input = handoffInput('Refund it.', other);
    expect(detect('HANDOFF_CONTEXT_LOSS', r)).toBeNull();
  });

  it('malformed stored facts read as absent, never as "empty"', () => {
    const r = handoff('Refund it.');
    const ev = r.events.find((e) => e.event_type === 'external.signal')!;
    (ev.payload as { handoff_input?: unknown }).handoff_input = { length: -1, tokens: { key: 'zz', digests: 'x' } };
    expect(detect('HANDOFF_CONTEXT_LOSS', r)).toBeNull();
  });
});

describe('hand-off facts', () => {
  it('the four patterns, lower-cased and de-duplicated; 2-digit numbers and words are not entities', () => {
    expect(handoffEntities('Order 042 and 042, id 7, see HTTPS://X.io/a, Bob@Corp.COM, C0FFEE00-A1B2-4ABC-9DEF-0123456789AB, ref 99')).toEqual([
      'c0ffee00-a1b2-4abc-9def-0123456789ab',
      'bob@corp.com',
      '042',
    ]);
    // (URL_RE is lower-case http only, as the original's \bhttps?:// without IGNORECASE.)
    expect(handoffEntities('see https://x.io/a')).toEqual(['https://x.io/a']);
  });

  it('lengths are code points; the child set holds the entities and punctuation-stripped words', () => {
    expect(handoffText('né 🙏 123', TEST_KEYER).length).toBe(8);
    const child = handoffInput('Ask (ref-77 "48213").', TEST_KEYER);
    expect(child.tokens.digests).toContain(TEST_KEYER.digest('48213'));
    expect(child.tokens.digests).toContain(TEST_KEYER.digest('ref-77'));
    expect(child.tokens.truncated).toBe(false);
  });
});
