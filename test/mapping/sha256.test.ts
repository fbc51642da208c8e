import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFactSecret } from '../../src/mapping/facts/keyed.js';
import { hmacSha256Hex64 } from '../../src/mapping/facts/sha256.js';

/** The per-token fact digest is HMAC-SHA256 truncated to 64 bits: the JS midstate version must equal node:crypto's. */
const reference = (key: Uint8Array, token: string): string => createHmac('sha256', key).update(token, 'utf8').digest('hex').slice(0, 16);

describe('hmacSha256Hex64', () => {
  it('equals createHmac at the padding boundaries and on non-ASCII text', () => {
    const key = new Uint8Array(32).map((_, i) => i * 7 + 1);
    const mac = hmacSha256Hex64(key);
    const tokens = ['', 'a', 'order-1042', 'é', 'ß', '😀', '\ud800', 'a\udc00b', 'ｋｅｔｔｌｅ'];
    for (const n of [54, 55, 56, 63, 64, 65, 118, 119, 120, 127, 128, 129, 1000]) tokens.push('x'.repeat(n), 'é'.repeat(n));
    for (const t of tokens) expect(mac(t)).toBe(reference(key, t));
  });

  it('equals createHmac on arbitrary keys and tokens', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 64 }),
        fc.array(fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: 'binary', maxLength: 80 })), { maxLength: 8 }),
        (key, tokens) => {
          const mac = hmacSha256Hex64(key);
          for (const t of tokens) expect(mac(t)).toBe(reference(key, t));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('is what a run keyer digests with (run key = HMAC(secret, "dunetrace.facts.run:" + run id))', () => {
    const secret = new Uint8Array(32).fill(3);
    const runKey = createHmac('sha256', secret).update('dunetrace.facts.run:trace-1', 'utf8').digest();
    const keyer = createFactSecret(secret).forRun('trace-1');
    for (const t of ['invoice', 'ord-1042', 'user@example.com', 'x'.repeat(300)]) expect(keyer.digest(t)).toBe(reference(runKey, t));
  });
});
