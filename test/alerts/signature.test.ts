import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sign, verifySignature } from '../../src/alerts/index.js';

describe('sign / verifySignature', () => {
  const body = '{"schema_version":"1.0","event":"failure_signal"}';

  it('is lowercase hex HMAC-SHA256 of the raw body, no prefix', () => {
    const expected = createHmac('sha256', 's3cret').update(body).digest('hex');
    expect(sign(body, 's3cret')).toBe(expected);
    expect(sign(Buffer.from(body), 's3cret')).toBe(expected);
    expect(expected).toMatch(/^[0-9a-f]{64}$/);
  });

  it('verifies a good signature, uppercase and sha256= prefixed too', () => {
    const sig = sign(body, 'k');
    expect(verifySignature(body, 'k', sig)).toBe(true);
    expect(verifySignature(body, 'k', sig.toUpperCase())).toBe(true);
    expect(verifySignature(body, 'k', `sha256=${sig}`)).toBe(true);
    expect(verifySignature(body, 'k', [sig])).toBe(true);
  });

  it.each([
    ['wrong secret', 'other', undefined],
    ['tampered body', 'k', body + ' '],
    ['missing header', 'k', null],
    ['empty secret', '', undefined],
  ])('rejects: %s', (_name, secret, otherBody) => {
    const sig = sign(body, 'k');
    const header = _name === 'missing header' ? undefined : sig;
    expect(verifySignature(otherBody ?? body, secret, header)).toBe(false);
  });

  it.each(['', 'abc', 'zz'.repeat(32), sign(body, 'k').slice(0, 63), sign(body, 'k') + '0'])('rejects a malformed header %j without throwing', (h) => {
    expect(verifySignature(body, 'k', h)).toBe(false);
  });
});
