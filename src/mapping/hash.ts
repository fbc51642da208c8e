import { createHash, createHmac, hash as oneShotHash } from 'node:crypto';

/**
 * Content digests. Every string that could carry user content leaves the mapping core as one of these:
 * lowercase 64-hex SHA-256 of the UTF-8 text, or HMAC-SHA256 with a deployment key (so digests of short,
 * guessable strings cannot be reversed by a dictionary attack on the stored data).
 */
export interface Hasher {
  readonly algorithm: 'sha256' | 'hmac-sha256';
  /** Lowercase 64-hex digest of the UTF-8 encoding of `text`. Pure and stable for a given key. */
  digest(text: string): string;
}

export interface HasherOptions {
  /** HMAC key. When given (non-empty), digests are HMAC-SHA256; else plain SHA-256. */
  key?: string;
}

export function createHasher(opts: HasherOptions = {}): Hasher {
  const { key } = opts;
  if (key !== undefined) {
    if (typeof key !== 'string' || key.length === 0) {
      // An empty key would silently give a keyed-looking but trivially reproducible digest: fail fast.
      throw new TypeError('createHasher: key must be a non-empty string when given');
    }
    return {
      algorithm: 'hmac-sha256',
      digest: (text) => createHmac('sha256', key).update(text, 'utf8').digest('hex'),
    };
  }
  // crypto.hash (Node ≥ 20.12) is a one-shot without the Hash object allocation; fall back otherwise.
  const digest =
    typeof oneShotHash === 'function'
      ? (text: string) => oneShotHash('sha256', text, 'hex')
      : (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
  return { algorithm: 'sha256', digest };
}

/** True for a lowercase 64-hex string, the only shape a digest has. */
export function isDigest(value: unknown): value is string {
  if (typeof value !== 'string' || value.length !== 64) return false;
  for (let i = 0; i < 64; i++) {
    const c = value.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}
