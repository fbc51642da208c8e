/**
 * Predicates for the shapes stored values take, shared by the stages that read them back (mapping codecs, detectors,
 * storage) so each shape is defined once.
 */

/** A JSON object (not null, not an array). */
export const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const FACT_DIGEST = /^[0-9a-f]{16}$/;
const KEY_ID = /^[0-9a-f]{8}$/;

/** A keyed fact digest: 16 lowercase hex (HMAC-SHA256, first 64 bits; mapping/facts/keyed.ts). */
export function isFactDigest(v: unknown): v is string {
  return typeof v === 'string' && v.length === 16 && FACT_DIGEST.test(v);
}

/** The 8-hex id of the run key a fact digest was made under. */
export function isKeyId(v: unknown): v is string {
  return typeof v === 'string' && KEY_ID.test(v);
}
