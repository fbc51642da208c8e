import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures: `X-Dunetrace-Signature: hex(HMAC-SHA256(secret, raw body))`, lowercase hex, no prefix, no
 * timestamp (upstream-compatible). Receivers must verify over the raw request bytes, before any JSON parsing.
 */

export const SIGNATURE_HEADER = 'X-Dunetrace-Signature';

export function sign(body: string | Uint8Array, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/**
 * True when `header` is the signature of `body` under `secret`. Compares in constant time; accepts upper- or lowercase
 * hex and an optional `sha256=` prefix. A missing, malformed or wrong-length header is false, never an exception.
 */
export function verifySignature(body: string | Uint8Array, secret: string, header: string | readonly string[] | null | undefined): boolean {
  const value: unknown = typeof header === 'string' || header == null ? header : header[0];
  if (typeof value !== 'string' || secret.length === 0) return false;
  const hex = value.trim().replace(/^sha256=/i, '');
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) return false;
  const expected = Buffer.from(sign(body, secret), 'hex');
  const given = Buffer.from(hex, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
