import { parseStructured } from './json.js';
import { digestSet, type DigestSet } from './digest-set.js';
import { isIdentifierShaped } from './entities.js';
import type { FactKeyer } from './keyed.js';
import { codePointLength } from './terms.js';

/**
 * UNRESOLVED_AMBIGUITY's content facts (upstream v2 §1.9, privacy version). The rule is set algebra on equality, so
 * keyed digests reproduce it provided both sides tokenise identically; every token here goes through `casefold` and
 * `wordTokens`, computed where the text is:
 *  - per tool result, its candidate record sets: per record the digests of its identifiers and of its
 *    discriminators (tokens that occur in exactly one record of the set: they depend on the set alone);
 *  - per tool call, the digests of its identifier-shaped argument leaves;
 *  - per warrant surface (the run's input, the user turns of a prompt), the digests of its word tokens.
 * Sets that would overflow a cap, or records nested past MAX_DEPTH, mark the facts truncated: the rule fails open.
 */

/** The original's MAX_DEPTH for candidate sets. */
export const CANDIDATE_MAX_DEPTH = 6;
/** Most records in one set (the original's MAX_CANDIDATES_PER_RUN also bounds each set). */
export const MAX_RECORDS_PER_SET = 50;
/** Most candidate sets recorded per tool result. */
export const MAX_CANDIDATE_SETS = 16;
/** Most discriminator / identifier digests per record. */
export const MAX_RECORD_DIGESTS = 64;
/** Most digests (identifiers + discriminators) per tool result: bounds the span's facts to ~35 KB on the wire. */
export const MAX_CANDIDATE_DIGESTS = 2048;
/** Results longer than this are not parsed (the original's server MAX_OUTPUT_CHARS). */
export const MAX_CANDIDATE_OUTPUT_CHARS = 200_000;
/** The original's MIN_TOKEN_LEN: tokens longer than this count. */
export const MIN_TOKEN_LEN = 3;
/** Most warrant tokens per surface. */
export const WARRANT_SET_CAP = 512;
/** Most argument leaves per call. */
export const ARG_LEAF_CAP = 64;

/** One record of a candidate set: keyed digests of its identifiers and its discriminators. */
export interface CandidateRecord {
  ids: string[];
  disc: string[];
}

export interface CandidateSet {
  /** True when no record had id-keyed values and `ids` are every identifier-shaped value (the broad reading). */
  broad: boolean;
  records: CandidateRecord[];
}

export interface CandidateSets {
  key: string;
  /** In the original's order: lists of dicts, then lists of scalars, then the whole object as one record. */
  sets: CandidateSet[];
  /** A set, a record or the text overflowed a cap, or a record nested past CANDIDATE_MAX_DEPTH. */
  truncated: boolean;
}

/** Python's `str.casefold` for what `toLowerCase` misses in practice (ß → ss, final sigma). */
export function casefold(s: string): string {
  return s.toLowerCase().replace(/ß/g, 'ss').replace(/ς/g, 'σ');
}

// Python's `\w` approximated: letters, numbers, marks, underscore (docs/content-codec.md). One code point, sticky:
// the tokeniser below classifies ASCII itself and asks the regex only about the other code points.
const WORD_CHAR = /[\p{L}\p{N}\p{M}_]/uy;
const NON_ASCII = /[\u0080-\uffff]/;

/**
 * NFKC, `\w+`, casefolded, longer than MIN_TOKEN_LEN code points: the original's tokens. The same output as
 * `text.normalize('NFKC').matchAll(/[\p{L}\p{N}\p{M}_]+/gu)` → casefold → length filter (pinned by
 * test/mapping/tokenisers.test.ts), without a match object per word: this runs over every prompt and tool result.
 * ASCII text is already NFKC; an ASCII word's casefold is toLowerCase and its length in code points is `.length`.
 */
export function wordTokens(text: string, out: Set<string> = new Set<string>()): Set<string> {
  const s = NON_ASCII.test(text) ? text.normalize('NFKC') : text;
  const n = s.length;
  let start = -1;
  let ascii = true;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? s.charCodeAt(i) : -1;
    let width = 1;
    let word: boolean;
    if (c < 0x80) {
      const l = c | 32;
      word = (l >= 97 && l <= 122) || (c >= 48 && c <= 57) || c === 95;
    } else {
      WORD_CHAR.lastIndex = i;
      word = WORD_CHAR.test(s);
      if (word) width = WORD_CHAR.lastIndex - i;
    }
    if (word) {
      if (start < 0) {
        start = i;
        ascii = true;
      }
      if (c >= 0x80) ascii = false;
      i += width - 1;
      continue;
    }
    if (start < 0) continue;
    // An ASCII word of MIN_TOKEN_LEN characters or fewer stays that short: not even sliced.
    if (ascii) {
      if (i - start > MIN_TOKEN_LEN) out.add(s.slice(start, i).toLowerCase());
    } else {
      const t = casefold(s.slice(start, i));
      if (t.length > MIN_TOKEN_LEN && codePointLength(t) > MIN_TOKEN_LEN) out.add(t);
    }
    start = -1;
  }
  return out;
}

/** The keyed word tokens of warrant texts (null texts skipped); null when there is no text. */
export function warrantSet(texts: readonly (string | null)[], keyer: FactKeyer): DigestSet | null {
  const tokens = new Set<string>();
  let any = false;
  for (const t of texts) {
    if (t === null) continue;
    any = true;
    wordTokens(t, tokens);
  }
  if (!any) return null;
  const set = digestSet(tokens, keyer, WARRANT_SET_CAP);
  return set.digests.length === 0 && !set.truncated ? null : set;
}

type Scalar = string | number | boolean;
const isScalar = (v: unknown): v is Scalar => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean';
const isDict = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const scalarText = (v: Scalar): string => (typeof v === 'boolean' ? (v ? 'True' : 'False') : String(v));

/** The original's id keys: id, uuid, guid, key, code, ref, identifier, `*_id`, `id_*` (casefolded). */
export function isIdKey(key: string): boolean {
  const k = casefold(key);
  return ['id', 'uuid', 'guid', 'key', 'code', 'ref', 'identifier'].includes(k) || k.endsWith('_id') || k.startsWith('id_');
}

/** Scalar leaves of a value (depth-bounded from `depth`); returns false when the bound was hit. */
function scalarLeaves(v: unknown, out: string[], depth: number): boolean {
  if (isScalar(v)) {
    out.push(scalarText(v));
    return true;
  }
  if (depth > CANDIDATE_MAX_DEPTH) return false;
  let ok = true;
  if (Array.isArray(v)) for (const x of v) ok = scalarLeaves(x, out, depth + 1) && ok;
  else if (isDict(v)) for (const x of Object.values(v)) ok = scalarLeaves(x, out, depth + 1) && ok;
  return ok;
}

interface RawRecord {
  narrow: string[];
  broad: string[];
  tokens: ReadonlySet<string>;
}

const NO_TOKENS: ReadonlySet<string> = new Set();

/** A record's identifiers, and its word tokens when `tokensOf` is given (only sets of 2+ records need them). */
function recordOf(v: unknown, depth: number, tokensOf: ((leaf: string) => ReadonlySet<string>) | null): RawRecord | null {
  const leaves: string[] = [];
  if (!scalarLeaves(v, leaves, depth)) return null;
  const narrow: string[] = [];
  if (isDict(v))
    for (const [k, x] of Object.entries(v)) if (isScalar(x) && isIdKey(k) && isIdentifierShaped(scalarText(x))) narrow.push(casefold(scalarText(x)));
  const broad = leaves.filter(isIdentifierShaped).map(casefold);
  let tokens = NO_TOKENS;
  if (tokensOf !== null) {
    // One leaf (a list of scalars): its memoised token set as is, never modified.
    if (leaves.length === 1) tokens = tokensOf(leaves[0]);
    else {
      const all = new Set<string>();
      for (const l of leaves) for (const t of tokensOf(l)) all.add(t);
      tokens = all;
    }
  }
  return { narrow, broad, tokens };
}

/** Capped, de-duplicated digests; null on overflow. */
function digestsOf(tokens: Iterable<string>, keyer: FactKeyer): string[] | null {
  const set = digestSet(tokens, keyer, MAX_RECORD_DIGESTS);
  return set.truncated ? null : set.digests;
}

/**
 * The candidate record sets of a tool result (JSON; anything else has none): every list of objects, then every list
 * of scalars (each scalar a record), then the top-level object as one record. Null when the result has no set.
 */
export function candidateSets(result: string, keyer: FactKeyer): CandidateSets | null {
  const empty = (): CandidateSets => ({ key: keyer.keyId, sets: [], truncated: true });
  if (result.length > MAX_CANDIDATE_OUTPUT_CHARS) return empty();
  const parsed = parseStructured(result);
  if (parsed === undefined) return null;
  const dictLists: unknown[][] = [];
  const scalarLists: unknown[][] = [];
  let truncated = false;
  const walk = (v: unknown, depth: number): void => {
    if (depth > CANDIDATE_MAX_DEPTH) {
      if (!isScalar(v) && v !== null) truncated = true;
      return;
    }
    if (Array.isArray(v)) {
      if (v.length > 0 && v.every(isDict)) dictLists.push(v);
      else if (v.length > 0 && v.every(isScalar)) scalarLists.push(v);
      for (const x of v) walk(x, depth + 1);
    } else if (isDict(v)) for (const x of Object.values(v)) walk(x, depth + 1);
  };
  walk(parsed, 0);
  const raw: { items: unknown[]; depth: number }[] = [...dictLists, ...scalarLists].map((items) => ({ items, depth: 1 }));
  if (isDict(parsed)) raw.push({ items: [parsed], depth: 0 });
  if (raw.length > MAX_CANDIDATE_SETS) truncated = true;
  // A leaf can be in several records (a list's, and the whole object's): each leaf is tokenised once.
  const leafTokens = new Map<string, Set<string>>();
  const tokensOf = (leaf: string): Set<string> => {
    let t = leafTokens.get(leaf);
    if (t === undefined) leafTokens.set(leaf, (t = wordTokens(leaf)));
    return t;
  };
  const sets: CandidateSet[] = [];
  for (const { items, depth } of raw.slice(0, MAX_CANDIDATE_SETS)) {
    if (items.length > MAX_RECORDS_PER_SET) {
      truncated = true;
      continue;
    }
    const records: RawRecord[] = [];
    for (const item of items) {
      const r = recordOf(item, depth, items.length > 1 ? tokensOf : null);
      if (r === null) truncated = true;
      else records.push(r);
    }
    const broad = !records.some((r) => r.narrow.length > 0);
    // Discriminators: a record's tokens found in no other record of the set (a one-record set never needs them).
    const count = new Map<string, number>();
    if (records.length > 1) for (const r of records) for (const t of r.tokens) count.set(t, (count.get(t) ?? 0) + 1);
    const out: CandidateRecord[] = [];
    for (const r of records) {
      const ids = digestsOf(broad ? r.broad : r.narrow, keyer);
      const disc =
        records.length > 1
          ? digestsOf(
              [...r.tokens].filter((t) => count.get(t) === 1),
              keyer,
            )
          : [];
      if (ids === null || disc === null) truncated = true;
      out.push({ ids: ids ?? [], disc: disc ?? [] });
    }
    sets.push({ broad, records: out });
  }
  if (sets.length === 0 && !truncated) return null;
  let total = 0;
  for (const set of sets) for (const r of set.records) total += r.ids.length + r.disc.length;
  // Too many to carry: nothing is kept, and the rule fails open on the result.
  if (total > MAX_CANDIDATE_DIGESTS) return empty();
  return { key: keyer.keyId, sets, truncated };
}

/** Keyed digests of a tool call's identifier-shaped scalar argument leaves (casefolded); null when unparseable. */
export function argumentLeafSet(args: string, keyer: FactKeyer): DigestSet | null {
  const parsed = parseStructured(args);
  if (parsed === undefined) return null;
  const leaves: string[] = [];
  const complete = scalarLeaves(parsed, leaves, 0);
  const set = digestSet(leaves.filter(isIdentifierShaped).map(casefold), keyer, ARG_LEAF_CAP);
  if (!complete) set.truncated = true;
  return set.digests.length === 0 && !set.truncated ? null : set;
}
