import type { Hasher } from '../hash.js';

/**
 * A digest function that hashes each distinct string once per span (the same value often feeds two facts, and
 * redaction hashes the values the facts were derived from).
 */
export function memoDigest(hasher: Hasher): (text: string) => string {
  let lastText: string | null = null;
  let lastHash = '';
  let cache: Map<string, string> | null = null;
  // The common case is one or two values per span: remember the last one, and only build a Map past that.
  return (text) => {
    if (text === lastText) return lastHash;
    let h: string | undefined;
    if (lastText !== null) {
      cache ??= new Map([[lastText, lastHash]]);
      h = cache.get(text);
    }
    if (h === undefined) {
      h = hasher.digest(text);
      cache?.set(text, h);
    }
    lastText = text;
    lastHash = h;
    return h;
  };
}
