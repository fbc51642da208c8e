import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { casefold, wordTokens } from '../../src/mapping/facts/ambiguity.js';
import { groundingWords } from '../../src/mapping/facts/entities.js';

/**
 * The hand-written tokenisers of the content facts (they run over every prompt and tool result) against the
 * regex/split definitions they replaced: identical tokens in identical order, so keyed digest sets stay the same.
 */

/** The definition: NFKC, `[\p{L}\p{N}\p{M}_]+` (Python's `\w`), casefold, longer than 3 code points. */
function referenceWordTokens(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.normalize('NFKC').matchAll(/[\p{L}\p{N}\p{M}_]+/gu)) {
    const t = casefold(m[0]);
    if ([...t].length > 3) out.add(t);
  }
  return [...out];
}

const LEADING = new Set([...'"\'`([{<,;:.!?*']);
const TRAILING = new Set([...'"\'`)]}>,;:.!?*']);

/** The definition: whitespace tokens (`split(/\s+/)`), ends stripped, identifier-shaped or all digits. */
function referenceGroundingWords(t: string): string[] {
  const out: string[] = [];
  for (const raw of t.split(/\s+/)) {
    let a = 0;
    let b = raw.length;
    while (a < b && LEADING.has(raw[a])) a++;
    while (b > a && TRAILING.has(raw[b - 1])) b--;
    const w = raw.slice(a, b);
    if (w.length === 0) continue;
    if (/^\d+$/.test(w) || (w.length >= 3 && (/[_\-./:@#\d]/.test(w) || w.length >= 12))) out.push(w);
  }
  return out;
}

const groundingWordsOf = (t: string): string[] => {
  const out: string[] = [];
  groundingWords(t, (w) => out.push(w));
  return out;
};

/** Text built from the characters the tokenisers treat specially, plus any code unit (lone surrogates included). */
const tricky = fc.constantFrom(
  ...[' ', '\t', '\n', '\u00a0', '\u1680', '\u2003', '\u2028', '\u202f', '\u205f', '\u3000', '\ufeff', '\u200b', '\u0085'],
  ...['"', "'", '`', '(', ')', '[', ']', '{', '}', '<', '>', ',', ';', ':', '.', '!', '?', '*', '_', '-', '/', '@', '#'],
  ...['ß', 'ς', 'İ', 'ﬁ', 'Ⅻ', 'ｋ', '①', 'é', 'e\u0301', '\u0301', '\ud800', '\udc00', '😀', '𝐀', 'Straße', 'ΣΑΣ', 'Ǆ'],
  ...['abc', 'abcd', 'ORD-1042', '12345', 'x9', 'user@example.com', 'https://a.b/c', 'a_b', 'ABCDEFGHIJKLM', '½', '٣٤٥٦'],
);
const text = fc.oneof(
  fc.array(tricky, { maxLength: 40 }).map((xs) => xs.join('')),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ maxLength: 80 }),
);

describe('wordTokens', () => {
  it('equals the regex definition on examples', () => {
    for (const t of [
      '',
      'The Hauptstraße, ｋｅｔｔｌｅ & café_au_lait! ok 1234 123',
      'ΣΑΣ σας ﬁnance İstanbul 𝐀𝐁𝐂𝐃 😀😀😀😀 e\u0301e\u0301e\u0301e\u0301',
      'lone \ud800abcd\udc00 surrogates',
      'word',
      'abc',
    ])
      expect([...wordTokens(t)]).toEqual(referenceWordTokens(t));
  });

  it('equals the regex definition on arbitrary text', () => {
    fc.assert(
      fc.property(text, (t) => {
        expect([...wordTokens(t)]).toEqual(referenceWordTokens(t));
      }),
      { numRuns: 3000 },
    );
  });

  it('adds to a given set in order', () => {
    const s = new Set(['zzzz']);
    wordTokens('Alpha beta GAMMA alpha', s);
    expect([...s]).toEqual(['zzzz', 'alpha', 'beta', 'gamma']);
  });
});

describe('groundingWords', () => {
  it('equals the split definition on examples', () => {
    for (const t of ['', '  ', 'order ORD-1042 for "user@example.com", see (https://a.b/c).', '12 3 x9 ab_ ...', '"ABCDEFGHIJKLM"\u00a0\u3000!'])
      expect(groundingWordsOf(t)).toEqual(referenceGroundingWords(t));
  });

  it('equals the split definition on arbitrary text', () => {
    fc.assert(
      fc.property(text, (t) => {
        expect(groundingWordsOf(t)).toEqual(referenceGroundingWords(t));
      }),
      { numRuns: 3000 },
    );
  });
});
