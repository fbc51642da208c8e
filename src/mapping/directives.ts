import { SCAN_HEAD_CHARS, SCAN_TAIL_CHARS, SCAN_WHOLE_MAX } from './injection.js';

/**
 * Directive markers (vocabulary v1): the original Dunetrace's own tests for instructions planted in content an agent
 * reads back — tool outputs and retrieved documents (RETRIEVED_CONTENT_INJECTION) and memory writes
 * (MEMORY_POISONING). Computed on the raw text where it is (the processor, the SDK, the receiver before hashing);
 * only the marker codes travel and are stored, never the text.
 *
 * Phrases match as case-insensitive substrings, as the original does (`phrase in text.lower()`); the role marker is
 * its case-insensitive line-start regex; delimiters and the base64 run are regexes over the text as written. A code is
 * the phrase with spaces as `_` (a label: no whitespace, ≤ 64 chars, so it survives the signal meta rules), the
 * others are named. Bounded like the injection scan: texts up to SCAN_WHOLE_MAX chars are scanned whole, longer ones
 * as their head and tail (each part on its own).
 */

/** RETRIEVED_CONTENT_INJECTION's phrases, in the original's order. */
export const INJECTION_PHRASES: readonly string[] = [
  'ignore previous instructions',
  'ignore all previous instructions',
  'disregard previous instructions',
  'disregard all previous instructions',
  'your new task is',
  'you must',
  'you should now',
  'you are now',
];

/** MEMORY_POISONING's 24 phrases, in the original's order. */
export const POISON_PHRASES: readonly string[] = [
  'ignore previous instructions',
  'ignore all previous instructions',
  'ignore prior instructions',
  'ignore the above instructions',
  'ignore earlier instructions',
  'disregard previous instructions',
  'disregard all previous instructions',
  'disregard prior instructions',
  'disregard the above',
  'forget previous instructions',
  'forget all previous instructions',
  'forget everything above',
  'do not follow your previous',
  'do not follow the previous',
  'do not follow your original',
  'override safety',
  'override your safety',
  'override the safety',
  'bypass safety',
  'bypass your restrictions',
  'bypass all restrictions',
  'developer mode enabled',
  'jailbreak',
  'dan mode',
];

/** `system:` / `assistant:` at the start of the text or of a line. */
export const ROLE_MARKER = 'role_marker';
/** `[INST]`, `[/INST]`, `<<SYS>>`, `<</SYS>>` (both rules). */
export const INST_DELIMITER = 'inst_delimiter';
/** `<|im_start|>`, `<|system|>`, `### system` (MEMORY_POISONING's wider delimiter set only). */
export const CHAT_DELIMITER = 'chat_delimiter';
/** A run of 100+ base64 characters (RETRIEVED_CONTENT_INJECTION only). */
export const BASE64_BLOCK = 'base64_block';

export const phraseCode = (phrase: string): string => phrase.replace(/ /g, '_');

const PHRASES: readonly string[] = [...new Set([...INJECTION_PHRASES, ...POISON_PHRASES])];

const PATTERNS: ReadonlyArray<{ code: string; test: (text: string) => boolean }> = [
  { code: ROLE_MARKER, test: (t) => /(?:^|\n)\s*(?:system|assistant)\s*:/i.test(t) },
  { code: INST_DELIMITER, test: (t) => /\[\/?INST\]|<<SYS>>|<<\/SYS>>/.test(t) },
  { code: CHAT_DELIMITER, test: (t) => /<\|im_start\|>|<\|system\|>|###\s*system/.test(t) },
  { code: BASE64_BLOCK, test: hasBase64Run },
];

/** All phrases in one case-insensitive alternation: one pass over the text instead of 29 substring searches. */
const PHRASE_RE = new RegExp(PHRASES.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'gi');
const PHRASE_SET: ReadonlySet<string> = new Set(PHRASES);

const BASE64_RUN = 100;
function isBase64Char(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 47 && c <= 57) || c === 43; // A-Z a-z / 0-9 +
}

/**
 * `[A-Za-z0-9+/]{100}` without the regex's cost on prose (it retries at every position): check the last character
 * of each 100-wide window backwards; a miss at j means no run can start at or before j, so the window jumps past it.
 */
function hasBase64Run(t: string): boolean {
  let start = 0;
  while (start + BASE64_RUN <= t.length) {
    let j = start + BASE64_RUN - 1;
    while (j >= start && isBase64Char(t.charCodeAt(j))) j--;
    if (j < start) return true;
    start = j + 1;
  }
  return false;
}

/** Every code, in vocabulary order (phrases first). The decoder keeps only these. */
export const DIRECTIVE_CODES: readonly string[] = [...PHRASES.map(phraseCode), ...PATTERNS.map((p) => p.code)];
export const DIRECTIVE_CODE_SET: ReadonlySet<string> = new Set(DIRECTIVE_CODES);
export const DIRECTIVE_VOCABULARY_VERSION = 1;

/** The order RETRIEVED_CONTENT_INJECTION checks markers in, with the labels its evidence shows. */
export const INJECTION_MARKER_ORDER: ReadonlyArray<{ code: string; label: string }> = [
  ...INJECTION_PHRASES.map((p) => ({ code: phraseCode(p), label: p })),
  { code: ROLE_MARKER, label: 'embedded role marker' },
  { code: INST_DELIMITER, label: 'instruction delimiter' },
  { code: BASE64_BLOCK, label: 'long base64 block' },
];

/** The order MEMORY_POISONING checks markers in (both delimiter codes are its `instruction_delimiter`). */
export const POISON_MARKER_ORDER: ReadonlyArray<{ code: string; label: string }> = [
  ...POISON_PHRASES.map((p) => ({ code: phraseCode(p), label: p })),
  { code: ROLE_MARKER, label: 'embedded_role_marker' },
  { code: INST_DELIMITER, label: 'instruction_delimiter' },
  { code: CHAT_DELIMITER, label: 'instruction_delimiter' },
];

/** The first marker of `order` among `codes`, or null. */
export function firstMarker(codes: readonly string[], order: ReadonlyArray<{ code: string; label: string }>): { code: string; label: string } | null {
  if (codes.length === 0) return null;
  for (const m of order) if (codes.includes(m.code)) return m;
  return null;
}

function scanPart(text: string, found: Set<string>): void {
  // Phrases cannot overlap one another inside a match (none starts inside another), so a global scan sees them all.
  PHRASE_RE.lastIndex = 0;
  for (let m = PHRASE_RE.exec(text); m !== null; m = PHRASE_RE.exec(text)) {
    const p = m[0].toLowerCase();
    if (PHRASE_SET.has(p)) found.add(p);
  }
  for (const { code, test } of PATTERNS) if (!found.has(code) && test(text)) found.add(code);
}

/**
 * The directive marker codes found in `texts` (in vocabulary order), or null when none. Each text is scanned on
 * its own, so no marker is made across two of them.
 */
export function scanDirectives(texts: Iterable<string>): string[] | null {
  const found = new Set<string>();
  for (const text of texts) {
    if (text.length === 0) continue;
    if (text.length <= SCAN_WHOLE_MAX) scanPart(text, found);
    else {
      scanPart(text.slice(0, SCAN_HEAD_CHARS), found);
      scanPart(text.slice(text.length - SCAN_TAIL_CHARS), found);
    }
  }
  if (found.size === 0) return null;
  const out: string[] = [];
  for (const p of PHRASES) if (found.has(p)) out.push(phraseCode(p));
  for (const { code } of PATTERNS) if (found.has(code)) out.push(code);
  return out;
}
