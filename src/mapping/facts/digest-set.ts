import type { FactKeyer } from './keyed.js';

/**
 * Capped sets of keyed token digests. A set that would grow past its cap keeps what it has and records the overflow:
 * rules treat a truncated set as "not visible" and stay silent (fail open), never as "the token is absent".
 */

export interface DigestSet {
  /** Key id of the run key the digests were made with (keyed.ts). */
  key: string;
  digests: string[];
  truncated: boolean;
}

export const ENTITY_TYPES = ['uuid', 'email', 'url', 'path', 'int', 'ident'] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

/** Digests with the type of each token (same order): tool-argument entities and destinations. */
export interface TypedDigestSet extends DigestSet {
  types: EntityType[];
}

/** Most tokens in a tool's argument entity or destination list. */
export const ARG_SET_CAP = 64;
/** Most tokens in one grounding set (a tool result, the input, a prompt's user/system text): about 8 KB as hex. */
export const GROUNDING_SET_CAP = 512;

export function digestSet(tokens: Iterable<string>, keyer: FactKeyer, cap: number): DigestSet {
  const digests: string[] = [];
  // A Set holds each token once already (the grounding and warrant tokens come as one).
  const seen = tokens instanceof Set ? null : new Set<string>();
  let truncated = false;
  for (const t of tokens) {
    if (seen !== null) {
      if (seen.has(t)) continue;
      seen.add(t);
    }
    if (digests.length >= cap) {
      truncated = true;
      break;
    }
    digests.push(keyer.digest(t));
  }
  return { key: keyer.keyId, digests, truncated };
}

export function typedDigestSet(tokens: Iterable<{ value: string; type: EntityType }>, keyer: FactKeyer, cap: number): TypedDigestSet {
  const digests: string[] = [];
  const types: EntityType[] = [];
  const seen = new Set<string>();
  let truncated = false;
  for (const t of tokens) {
    if (seen.has(t.value)) continue;
    if (digests.length >= cap) {
      truncated = true;
      break;
    }
    seen.add(t.value);
    digests.push(keyer.digest(t.value));
    types.push(t.type);
  }
  return { key: keyer.keyId, digests, types, truncated };
}
