import type { Vocabulary } from './vocabularies.js';

/**
 * Term bitmasks: which words of a vocabulary occur in a text, as the original tests them (case-insensitive substring
 * of the lower-cased text). Exact against the original for the words of the vocabulary; a word an operator adds
 * later needs a vocabulary version (see vocabularies.ts).
 */

/** Bit i set when vocabulary word i is a substring of the lower-cased text. Vocabularies have at most 31 words. */
export function termMask(text: string, vocabulary: Vocabulary): number {
  if (text.length === 0) return 0;
  const lower = text.toLowerCase();
  let mask = 0;
  for (let i = 0; i < vocabulary.length; i++) if (lower.includes(vocabulary[i])) mask |= 1 << i;
  return mask;
}

/** Bits of the words in `subset` (words not in the vocabulary are ignored). */
export function subsetMask(subset: readonly string[], vocabulary: Vocabulary): number {
  let mask = 0;
  for (const w of subset) {
    const i = vocabulary.indexOf(w.toLowerCase());
    if (i >= 0) mask |= 1 << i;
  }
  return mask;
}

/** The first word (in vocabulary order) whose bit is set, or null. */
export function firstTerm(mask: number, vocabulary: Vocabulary): string | null {
  for (let i = 0; i < vocabulary.length; i++) if ((mask & (1 << i)) !== 0) return vocabulary[i];
  return null;
}

/** Length in Unicode code points (Python's `len`), not UTF-16 units. */
export function codePointLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // A high surrogate followed by a low one is one code point.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}
