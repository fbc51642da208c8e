/** Content facts (src/mapping/facts/): term bitmasks, code points, entity extraction, keyed digests, caps, precision. */
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  COMPLETION_TERMS,
  ERROR_ACK_TERMS,
  ERROR_MARKERS,
  GROUNDING_SET_CAP,
  argumentDestinations,
  argumentEntities,
  argumentEntitySet,
  codePointLength,
  createFactSecret,
  firstTerm,
  groundingSet,
  groundingTokens,
  replyTerms,
  subsetMask,
  termMask,
  toolTerms,
} from '../../src/mapping/facts/index.js';

const keyer = createFactSecret(Buffer.from('facts-test')).forRun('trace-1');

/** The original's membership test: every argument entity is a case-insensitive substring of the corpus. */
const substringGrounded = (entity: string, corpus: string) => corpus.toLowerCase().includes(entity.toLowerCase());
/** Ours: token equality of keyed digests. */
const digestGrounded = (args: string, corpus: string) => {
  const g = groundingSet([corpus], keyer);
  const ents = argumentEntitySet(args, keyer);
  return ents === null || ents.digests.every((d) => g?.digests.includes(d) === true);
};

describe('term bitmasks', () => {
  it('bit i is word i, case-insensitive substring; the first set bit is the first word in vocabulary order', () => {
    const m = termMask('Your MEETING is Booked and Confirmed', COMPLETION_TERMS);
    expect(m).toBe((1 << COMPLETION_TERMS.indexOf('booked')) | (1 << COMPLETION_TERMS.indexOf('confirmed')));
    expect(firstTerm(m, COMPLETION_TERMS)).toBe('booked');
    expect(termMask("I couldn't do it", ERROR_ACK_TERMS)).toBe(1 << ERROR_ACK_TERMS.indexOf("couldn't"));
    expect(termMask('', ERROR_MARKERS)).toBe(0);
    // Substring, as the original: "errors" contains "error", "undone" contains "done".
    expect(firstTerm(termMask('no errors', ERROR_MARKERS), ERROR_MARKERS)).toBe('error');
    expect(firstTerm(termMask('undone', COMPLETION_TERMS), COMPLETION_TERMS)).toBe('done');
  });

  it('a configured subset masks the bits', () => {
    const m = termMask('sent and saved', COMPLETION_TERMS);
    expect(m & subsetMask(['saved'], COMPLETION_TERMS)).toBe(1 << COMPLETION_TERMS.indexOf('saved'));
    expect(m & subsetMask(['booked'], COMPLETION_TERMS)).toBe(0);
  });

  it('reply and tool terms carry the vocabulary version; a missing text is null, not 0', () => {
    expect(replyTerms('Booked 🎉')).toEqual({ v: 1, completion: 1 << 1, ack: 0, length: 8 });
    expect(toolTerms(null, 'Traceback (most recent call last)')).toEqual({ v: 1, error: null, output: 1 << ERROR_MARKERS.indexOf('traceback') });
    expect(toolTerms(null, null)).toBeNull();
  });

  it('lengths are code points (Python len), not UTF-16 units', () => {
    expect(codePointLength('a🎉b')).toBe(3);
    expect('a🎉b'.length).toBe(4);
    expect(codePointLength('\ud800x')).toBe(2); // a lone surrogate counts once
  });
});

describe('entity extraction (the original patterns)', () => {
  it('leaf values only, patterns first, then the identifier-shaped whole value; small ints and allowlisted words dropped', () => {
    expect(
      argumentEntities('{"order_id": "ORD-4521", "page": 2, "n": 0, "who": "Admin", "to": "Bob@X.io", "uuid": "123e4567-e89b-12d3-a456-426614174000"}'),
    ).toEqual([
      { value: '4521', type: 'int' },
      { value: 'ord-4521', type: 'ident' },
      { value: '0', type: 'int' },
      { value: 'bob@x.io', type: 'email' },
      { value: '123e4567-e89b-12d3-a456-426614174000', type: 'uuid' },
      { value: '426614174000', type: 'int' }, // the original's \b\d+\b also hits inside a uuid (not "12" of "12d3")
    ]);
  });

  it('unparseable arguments: text patterns and identifier-shaped quoted strings', () => {
    expect(argumentEntities(`delete('acct_77x', force=True)`).map((e) => e.value)).toEqual(['acct_77x']);
  });

  it('destinations: full emails and normalised URL hosts (no port, trailing dot; IDNA)', () => {
    expect(argumentDestinations('{"to": "Eve@Evil.Example", "hook": "https://Hooks.Bücher.example.:8443/x"}')).toEqual([
      { value: 'eve@evil.example', type: 'email' },
      { value: 'hooks.xn--bcher-kva.example', type: 'url' },
    ]);
  });

  it('grounding: what a value copied verbatim re-extracts to, on prose, JSON and Python reprs', () => {
    for (const corpus of ['Your order ORD-4521 ships today.', '{"orders": [{"id": "ORD-4521"}]}', "[{'id': 'ORD-4521'}]"]) {
      expect(digestGrounded('{"id": "ORD-4521"}', corpus), corpus).toBe(true);
    }
    expect(groundingTokens('mail me at bob@mail.corp.com')).toEqual(new Set(['bob@mail.corp.com', 'mail.corp.com', 'corp.com']));
  });
});

describe('precision against the original (docs/content-codec.md): token equality loses accidental substring hits', () => {
  it.each([
    ['a number inside a longer number', '{"id": 12345}', 'ticket 123456 is open'],
    ['an id followed by a possessive', '{"name": "smith-jones"}', "Dr. smith-jones's office"],
    ['an id glued to other text', '{"sku": "AB-12"}', 'see catalogue entry xAB-12y'],
  ])('%s: grounded by the original, not here', (_name, args, corpus) => {
    const entity = argumentEntities(args)[0].value;
    expect(substringGrounded(entity, corpus)).toBe(true);
    expect(digestGrounded(args, corpus)).toBe(false);
  });

  it('ASCII word boundaries: an integer after a non-ASCII letter is an entity here (none in the original, Unicode \\b)', () => {
    expect(argumentEntities('{"ref": "zü1234"}').map((e) => e.value)).toEqual(['1234', 'zü1234']);
    expect(digestGrounded('{"ref": "zü1234"}', 'ticket zü1234')).toBe(true);
  });

  it('a host inside a longer host is not grounding here (it is, by substring, in the original)', () => {
    const host = argumentDestinations('{"url": "https://corp.com/x"}')[0].value;
    expect(substringGrounded(host, 'write to admin@notcorp.com')).toBe(true);
    const g = groundingSet(['write to admin@notcorp.com'], keyer);
    expect(g?.digests).not.toContain(keyer.digest(host));
  });
});

describe('keyed digests', () => {
  const ids = Array.from({ length: 50 }, (_, i) => String(100_000 + i * 17_389));

  it('short ids: never their plain SHA-256 (or a prefix of it), 16 hex, stable within a run', () => {
    for (const id of ids) {
      const d = keyer.digest(id);
      expect(d).toMatch(/^[0-9a-f]{16}$/);
      const plain = createHash('sha256').update(id).digest('hex');
      expect(plain.startsWith(d)).toBe(false);
      expect(plain).not.toContain(d);
      expect(keyer.digest(id)).toBe(d);
    }
  });

  it('are HMAC-SHA256 under the run key, truncated to 64 bits', () => {
    const secret = Buffer.from('facts-test');
    const runKey = createHmac('sha256', secret).update('dunetrace.facts.run:trace-1').digest();
    for (const id of ids.slice(0, 5)) expect(keyer.digest(id)).toBe(createHmac('sha256', runKey).update(id).digest('hex').slice(0, 16));
  });

  it('differ across runs and across processes (random secret); the key id tells keys apart', () => {
    const other = createFactSecret(Buffer.from('facts-test')).forRun('trace-2');
    const otherProcess = createFactSecret().forRun('trace-1');
    for (const id of ids) {
      expect(other.digest(id)).not.toBe(keyer.digest(id));
      expect(otherProcess.digest(id)).not.toBe(keyer.digest(id));
    }
    expect(new Set([keyer.keyId, other.keyId, otherProcess.keyId]).size).toBe(3);
    expect(createFactSecret(Buffer.from('facts-test')).forRun('trace-1').keyId).toBe(keyer.keyId);
  });
});

describe('caps', () => {
  it('a grounding set over its cap keeps the cap and says it overflowed', () => {
    const text = Array.from({ length: GROUNDING_SET_CAP + 10 }, (_, i) => `ID-${i}`).join(' ');
    const g = groundingSet([text], keyer);
    expect(g?.digests).toHaveLength(GROUNDING_SET_CAP);
    expect(g?.truncated).toBe(true);
  });

  it('argument entities over 64: the first 64 kept, overflow recorded', () => {
    const args = JSON.stringify(Array.from({ length: 70 }, (_, i) => `X-${i}`));
    const s = argumentEntitySet(args, keyer);
    expect(s?.digests).toHaveLength(64);
    expect(s?.truncated).toBe(true);
  });

  it('an empty, complete set is not a set', () => {
    expect(groundingSet(['just words here'], keyer)).toBeNull();
    expect(groundingSet([null], keyer)).toBeNull();
  });
});
