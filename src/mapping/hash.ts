import { createHash, createHmac, hash as oneShotHash } from 'node:crypto';

/**
 * Content digests. Every string that could carry user content leaves the mapping core as one of these: the first
 * 128 bits (32 lowercase hex) of the SHA-256 of the UTF-8 text, or of its HMAC-SHA256 under a deployment key (so
 * digests of short, guessable strings cannot be reversed by a dictionary attack on the stored data).
 *
 * Why 128 bits: digests are compared for equality within a run or an agent (the same tool arguments again, the same
 * output again); a collision among 2^64 digests is as unlikely as it needs to be, and each digest stored costs 16
 * bytes instead of 32 (two or three per span: ~10 % of a stored span). A full 64-hex SHA-256 from elsewhere (an older
 * SpanProcessor, a Collector's OTTL SHA256) is the same digest once cut to its first 32 hex (`asDigest`).
 */
export interface Hasher {
  readonly algorithm: 'sha256' | 'hmac-sha256';
  /** 32 lowercase hex: the first 128 bits of the digest of the UTF-8 encoding of `text`. Pure and stable for a key. */
  digest(text: string): string;
}

export interface HasherOptions {
  /** HMAC key. When given (non-empty), digests are HMAC-SHA256; else plain SHA-256. */
  key?: string;
}

/** Hex characters of a digest. */
export const DIGEST_HEX = 32;
/** The digest of a full SHA-256 / HMAC-SHA256 output: its first 128 bits as hex. */
const first128 = (full: Buffer): string => full.toString('hex', 0, DIGEST_HEX / 2);

export function createHasher(opts: HasherOptions = {}): Hasher {
  const { key } = opts;
  if (key !== undefined) {
    if (typeof key !== 'string' || key.length === 0) {
      // An empty key would silently give a keyed-looking but trivially reproducible digest: fail fast.
      throw new TypeError('createHasher: key must be a non-empty string when given');
    }
    return {
      algorithm: 'hmac-sha256',
      digest: (text) => first128(createHmac('sha256', key).update(text, 'utf8').digest()),
    };
  }
  // crypto.hash (Node ≥ 20.12) is a one-shot without the Hash object allocation; fall back otherwise.
  const digest =
    typeof oneShotHash === 'function'
      ? (text: string) => first128(oneShotHash('sha256', text, 'buffer'))
      : (text: string) => first128(createHash('sha256').update(text, 'utf8').digest());
  return { algorithm: 'sha256', digest };
}

function lowerHex(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/** True for a lowercase 32-hex string, the only shape a digest has. */
export function isDigest(value: unknown): value is string {
  return typeof value === 'string' && value.length === DIGEST_HEX && lowerHex(value);
}

/**
 * A digest as sent by another process: 32-hex as is, a full 64-hex SHA-256 / HMAC-SHA256 (an older SpanProcessor or
 * SDK, a Collector's OTTL) cut to its first 128 bits — the digest this version computes of the same text — else null.
 */
export function asDigest(value: unknown): string | null {
  if (typeof value !== 'string' || (value.length !== DIGEST_HEX && value.length !== 2 * DIGEST_HEX) || !lowerHex(value)) return null;
  return value.length === DIGEST_HEX ? value : value.slice(0, DIGEST_HEX);
}
