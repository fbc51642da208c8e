/** Small pure helpers shared by the detectors, the config loader and the explainer. */

/** Longest string a name may have in evidence; longer names are cut (names are identifiers, not content). */
export const MAX_NAME_LENGTH = 64;
/** Most names listed in one evidence array. */
export const MAX_LISTED_NAMES = 10;

/** A finite number, or null. */
export function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** A non-empty string, or null. */
export function str(v: unknown): string | null {
  return typeof v === 'string' && v.length > 0 ? v : null;
}

export function bool(v: unknown): boolean | null {
  return typeof v === 'boolean' ? v : null;
}

/** A short, printable identifier for evidence: control characters dropped, cut to MAX_NAME_LENGTH. */
export function safeName(v: unknown, fallback = 'unknown'): string {
  const s = typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : '';
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  if (clean.length === 0) return fallback;
  return clean.length > MAX_NAME_LENGTH ? clean.slice(0, MAX_NAME_LENGTH) : clean;
}

/** Distinct safe names, first-appearance order, at most `max`. */
export function nameList(values: Iterable<unknown>, max = MAX_LISTED_NAMES): string[] {
  const out: string[] = [];
  for (const v of values) {
    const n = safeName(v);
    if (!out.includes(n)) out.push(n);
    if (out.length >= max) break;
  }
  return out;
}

/** Rounds to `dp` decimals; non-finite input gives 0 (evidence never carries NaN/Infinity). */
export function round(v: number, dp = 2): number {
  if (!Number.isFinite(v)) return 0;
  const f = 10 ** dp;
  return Math.round(v * f) / f;
}

const globCache = new Map<string, RegExp>();

/** Glob match over the whole string: `*` any run of characters (also empty), `?` exactly one; all else literal. */
export function globMatch(pattern: string, value: string, caseInsensitive = false): boolean {
  const cacheKey = (caseInsensitive ? 'i:' : 's:') + pattern;
  let re = globCache.get(cacheKey);
  if (!re) {
    let src = '';
    for (const ch of pattern) {
      if (ch === '*') src += '.*';
      else if (ch === '?') src += '.';
      else src += ch.replace(/[.+^${}()|[\]\\/-]/g, '\\$&');
    }
    re = new RegExp(`^${src}$`, caseInsensitive ? 'is' : 's');
    if (globCache.size > 1000) globCache.clear();
    globCache.set(cacheKey, re);
  }
  return re.test(value);
}

export function isGlob(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('?');
}

/** Levenshtein distance, for "did you mean" hints in config errors. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}
