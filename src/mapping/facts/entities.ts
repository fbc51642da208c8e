import { parseStructured } from './json.js';
import type { EntityType } from './digest-set.js';

/**
 * Entity tokens, normalised (lower-cased: the original matches case-insensitively), from raw text. The SAME
 * extractor runs on both sides of a membership test (a tool's arguments, and the text that could ground them), so a
 * value copied verbatim from the input or a tool result is re-extracted identically and its digest matches. What
 * this loses against the original's substring test is listed in docs/content-codec.md ("Precision against the
 * original").
 */

export interface Entity {
  value: string;
  type: EntityType;
}

// The original's patterns (Python `re`). JS `\w`/`\b` are ASCII-only where Python's are Unicode.
const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
const EMAIL = /\b[\w.+-]+@[\w-]+\.[\w.-]+\b/g;
const URL_RE = /\bhttps?:\/\/[^\s"'<>]+/g;
const PATH = /\b[\w.-]+(?:\/[\w.-]+)+\b/g;
const INT = /\b\d+\b/g;
const QUOTED = /"([^"]{3,})"|'([^']{3,})'/g;
/** UNGROUNDED_DESTINATION's email pattern (ends on a word character or '-'). */
const DEST_EMAIL = /\b[\w.+-]+@[\w-]+\.[\w.-]*[\w-]\b/g;
/** Domain-shaped tokens (grounding only): labels joined by dots, ending in a letter label. */
const DOMAIN = /\b(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z0-9]\b/gi;

/** Small integers are not entities: "3 results", "page 2" (the original's SMALL_INT_MIN..MAX, fixed here). */
export const SMALL_INT_MIN = 1;
export const SMALL_INT_MAX = 100;
/** A whole value with no separator or digit is an id only from this length on (the original's MIN_OPAQUE_LEN). */
export const MIN_OPAQUE_LEN = 12;
/** Words that are never fabricated (the original's ALLOWLIST default), applied in the process. */
export const ENTITY_ALLOWLIST: ReadonlySet<string> = new Set([
  'user',
  'admin',
  'system',
  'root',
  'guest',
  'test',
  'hello',
  'world',
  'today',
  'tomorrow',
  'yesterday',
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
  'sunday',
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
]);

const MAX_DEPTH = 12;
const MAX_NODES = 5000;
/** Texts longer than this are not scanned for grounding (the set is marked truncated: the rule fails open). */
export const MAX_GROUNDING_CHARS = 1_000_000;

/** The original's "identifier-shaped": ≥ 3 chars, no whitespace, and a separator or digit, or ≥ MIN_OPAQUE_LEN. */
export function isIdentifierShaped(s: string): boolean {
  if (s.length < 3 || /\s/.test(s)) return false;
  return /[_\-./:@#\d]/.test(s) || s.length >= MIN_OPAQUE_LEN;
}

/** String and number leaves (values, never keys), depth- and count-bounded. */
function leaves(v: unknown, out: string[], depth = 0): void {
  if (out.length >= MAX_NODES || depth > MAX_DEPTH) return;
  if (typeof v === 'string') out.push(v);
  else if (typeof v === 'number' && Number.isFinite(v)) out.push(String(v));
  else if (Array.isArray(v)) for (const x of v) leaves(x, out, depth + 1);
  else if (typeof v === 'object' && v !== null) for (const x of Object.values(v)) leaves(x, out, depth + 1);
}

function* matches(re: RegExp, text: string): Generator<string> {
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) yield m[0];
}

function isSmallInt(s: string): boolean {
  if (s.length > 3) return false;
  const n = Number(s);
  return n >= SMALL_INT_MIN && n <= SMALL_INT_MAX;
}

const HAS_DIGIT = /\d/;

/**
 * The original's per-value patterns: uuid, email, url, path, integers outside the small range. Each pattern only runs
 * when the text holds the character it cannot match without (prose mostly holds none): same result, a fraction of
 * the cost.
 */
function patternEntities(text: string, push: (value: string, type: EntityType) => void): void {
  const digit = HAS_DIGIT.test(text);
  if (digit && text.includes('-')) for (const m of matches(UUID, text)) push(m, 'uuid');
  const at = text.includes('@');
  if (at) for (const m of matches(EMAIL, text)) push(m, 'email');
  const slash = text.includes('/');
  if (slash && text.includes('://')) for (const m of matches(URL_RE, text)) push(m, 'url');
  if (slash) for (const m of matches(PATH, text)) push(m, 'path');
  if (digit) for (const m of matches(INT, text)) if (!isSmallInt(m)) push(m, 'int');
}

/**
 * The entities of a tool call's arguments (TOOL_ARGUMENT_FABRICATION): per JSON leaf value the patterns plus the
 * whole value when identifier-shaped; unparseable arguments are scanned as text plus their identifier-shaped quoted
 * strings. Lower-cased, de-duplicated, allowlisted words dropped, in first-appearance order.
 */
export function argumentEntities(args: string): Entity[] {
  const out: Entity[] = [];
  const seen = new Set<string>();
  const push = (value: string, type: EntityType): void => {
    const v = value.toLowerCase();
    if (seen.has(v) || ENTITY_ALLOWLIST.has(v)) return;
    seen.add(v);
    out.push({ value: v, type });
  };
  const parsed = parseStructured(args);
  if (parsed !== undefined) {
    const values: string[] = [];
    leaves(parsed, values);
    for (const leaf of values) {
      patternEntities(leaf, push);
      if (isIdentifierShaped(leaf)) push(leaf, 'ident');
    }
  } else {
    patternEntities(args, push);
    for (const m of matches(QUOTED, args)) {
      const inner = m.slice(1, -1);
      if (isIdentifierShaped(inner)) push(inner, 'ident');
    }
  }
  return out;
}

/** Host of an http(s) URL, normalised (lower-case, IDNA, no userinfo/port/trailing dot); null when unparseable. */
export function urlHost(url: string): string | null {
  try {
    const h = new URL(url).hostname.toLowerCase().replace(/\.$/, '');
    return h.length > 0 ? h : null;
  } catch {
    return null;
  }
}

/**
 * Destinations in a tool call's arguments (UNGROUNDED_DESTINATION): full email addresses and URL hosts from the
 * string leaves (values only); unparseable arguments are scanned as text.
 */
export function argumentDestinations(args: string): Entity[] {
  const out: Entity[] = [];
  const seen = new Set<string>();
  const push = (value: string, type: EntityType): void => {
    if (seen.has(value)) return;
    seen.add(value);
    out.push({ value, type });
  };
  const parsed = parseStructured(args);
  const texts: string[] = [];
  if (parsed !== undefined) leaves(parsed, texts);
  else texts.push(args);
  for (const t of texts) {
    for (const m of matches(DEST_EMAIL, t)) push(m.toLowerCase(), 'email');
    for (const m of matches(URL_RE, t)) {
      const h = urlHost(m);
      if (h !== null) push(h, 'url');
    }
  }
  return out;
}

/** JS `\s` (what `split(/\s+/)` splits on): ASCII and Unicode spaces, line terminators, BOM. */
function isSpace(c: number): boolean {
  if (c < 0x80) return c === 32 || (c >= 9 && c <= 13);
  return (
    c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff
  );
}

/** Quotes, brackets and punctuation stripped from a whitespace token's ends (all ASCII: tables by char code). */
const LEADING_ASCII = asciiTable('"\'`([{<,;:.!?*');
const TRAILING_ASCII = asciiTable('"\'`)]}>,;:.!?*');

function asciiTable(chars: string): Uint8Array {
  const t = new Uint8Array(128);
  for (let i = 0; i < chars.length; i++) t[chars.charCodeAt(i)] = 1;
  return t;
}

/** ASCII classes for groundingWords: 1 = JS `\s`, 2 = a digit or an isGroundingRange separator. */
const CLASS_ASCII = new Uint8Array(128);
for (const c of [9, 10, 11, 12, 13, 32]) CLASS_ASCII[c] = 1;
for (const ch of '0123456789_-./:@#') CLASS_ASCII[ch.charCodeAt(0)] = 2;

/**
 * Every whitespace-separated token of `t` (`split(/\s+/)`), quotes/punctuation stripped from its ends, that is
 * identifier-shaped or a number, in order (pinned by test/mapping/tokenisers.test.ts). One pass over the text;
 * only a token holding a digit or separator, or of MIN_OPAQUE_LEN characters, is looked at again: prose is mostly
 * words that are neither.
 */
export function groundingWords(t: string, add: (w: string) => void): void {
  const n = t.length;
  let start = 0;
  let maybe = false;
  for (let i = 0; i < n; i++) {
    const c = t.charCodeAt(i);
    let k: number;
    if (c < 128) k = CLASS_ASCII[c];
    else k = c >= 0xa0 && isSpace(c) ? 1 : 0;
    if (k === 2) maybe = true;
    else if (k === 1) {
      if (i > start && (maybe || i - start >= MIN_OPAQUE_LEN)) groundingToken(t, start, i, add);
      start = i + 1;
      maybe = false;
    }
  }
  if (n > start && (maybe || n - start >= MIN_OPAQUE_LEN)) groundingToken(t, start, n, add);
}

/** The token `t.slice(a, b)`, its ends stripped, when it is kept. */
function groundingToken(t: string, a: number, b: number, add: (w: string) => void): void {
  let c: number;
  while (a < b && (c = t.charCodeAt(a)) < 128 && LEADING_ASCII[c] === 1) a++;
  while (b > a && (c = t.charCodeAt(b - 1)) < 128 && TRAILING_ASCII[c] === 1) b--;
  if (isGroundingRange(t, a, b)) add(a === 0 && b === t.length ? t : t.slice(a, b));
}

/** isIdentifierShaped or all digits, for `t.slice(a, b)` without slicing it or a regex per token. */
function isGroundingRange(t: string, a: number, b: number): boolean {
  const len = b - a;
  if (len === 0) return false;
  let digits = 0;
  let sep = false;
  for (let i = a; i < b; i++) {
    const c = t.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c === 95 || c === 45 || c === 46 || c === 47 || c === 58 || c === 64 || c === 35) sep = true;
  }
  if (digits === len) return true;
  return len >= 3 && (sep || digits > 0 || len >= MIN_OPAQUE_LEN);
}

/** A host and its parent domains of two or more labels ("mail.corp.com" → also "corp.com"). */
function hostAndParents(host: string, add: (t: string) => void): void {
  add(host);
  let rest = host;
  for (let i = rest.indexOf('.'); i >= 0; i = rest.indexOf('.')) {
    rest = rest.slice(i + 1);
    if (!rest.includes('.')) break;
    add(rest);
  }
}

/**
 * The tokens a text grounds: the argument extractor's patterns over the whole text and over each JSON leaf, every
 * JSON string leaf whole, every whitespace-separated token with its surrounding quotes/punctuation stripped that is
 * identifier-shaped or a number, and for destinations every email address, its domain, URL hosts and domain-shaped
 * tokens with their parent domains. Lower-cased. Returns null when the text is too long to scan (fail open).
 */
export function groundingTokens(text: string): Set<string> | null {
  if (text.length > MAX_GROUNDING_CHARS) return null;
  const out = new Set<string>();
  const add = (t: string): void => {
    if (t.length > 0) out.add(t.toLowerCase());
  };
  const scan = (t: string): void => {
    patternEntities(t, add);
    if (t.includes('@')) {
      for (const m of matches(DEST_EMAIL, t)) {
        const email = m.toLowerCase();
        add(email);
        hostAndParents(email.slice(email.lastIndexOf('@') + 1), add);
      }
    }
    if (t.includes('://')) {
      for (const m of matches(URL_RE, t)) {
        const h = urlHost(m);
        if (h !== null) hostAndParents(h, add);
      }
    }
    // A domain has a dot followed by a letter: prose whose only dots end sentences is skipped by the regex quickly.
    if (/\.[a-z]/i.test(t)) for (const m of matches(DOMAIN, t)) hostAndParents(m.toLowerCase(), add);
  };
  scan(text);
  const words = (t: string): void => groundingWords(t, add);
  const parsed = parseStructured(text);
  if (parsed !== undefined) {
    const values: string[] = [];
    leaves(parsed, values);
    // Whole values an argument may copy verbatim (the patterns already ran over the text they are in), and the
    // words of each value (the raw JSON's whitespace tokens would carry its quotes and brackets).
    for (const leaf of values) {
      if (isIdentifierShaped(leaf)) add(leaf);
      words(leaf);
    }
  } else {
    words(text);
  }
  return out;
}

/** HANDOFF_CONTEXT_LOSS's entities (the original's four patterns): UUIDs, emails, URLs and integers of 3+ digits. */
const LONG_INT = /\b\d{3,}\b/g;

/**
 * The entities a hand-off should carry over (HANDOFF_CONTEXT_LOSS, upstream v2 §1.5): UUID, email, URL and
 * `\b\d{3,}\b` matches, lower-cased and de-duplicated in first-appearance order. Null when the text is too long to
 * scan (the caller marks the set truncated: the rule fails open).
 */
export function handoffEntities(text: string): string[] | null {
  if (text.length > MAX_GROUNDING_CHARS) return null;
  const out = new Set<string>();
  // Each pattern only runs when the text holds a character it cannot match without (as patternEntities does):
  // prose mostly holds none, and a skipped pattern has no match, so the order of the output is unchanged.
  if (text.includes('-')) for (const m of matches(UUID, text)) out.add(m.toLowerCase());
  if (text.includes('@')) for (const m of matches(EMAIL, text)) out.add(m.toLowerCase());
  if (text.includes('://')) for (const m of matches(URL_RE, text)) out.add(m.toLowerCase());
  if (HAS_DIGIT.test(text)) for (const m of matches(LONG_INT, text)) out.add(m.toLowerCase());
  return [...out];
}
