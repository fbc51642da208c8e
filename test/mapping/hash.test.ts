import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { asDigest, createHasher, isDigest } from '../../src/mapping/index.js';

describe('createHasher', () => {
  it('SHA-256: lowercase 32-hex, the first 128 bits of the known vector', () => {
    const h = createHasher();
    expect(h.algorithm).toBe('sha256');
    // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223 b00361a396177a9cb410ff61f20015ad
    expect(h.digest('abc')).toBe('ba7816bf8f01cfea414140de5dae2223');
    expect(h.digest('')).toBe('e3b0c44298fc1c149afbf4c8996fb924');
  });

  it('hashes the UTF-8 encoding', () => {
    const bytes = createHash('sha256')
      .update(Buffer.from([0xc3, 0xa9]))
      .digest('hex');
    expect(createHasher().digest('é')).toBe(bytes.slice(0, 32));
  });

  it('HMAC-SHA256 with a key: known vector, differs from SHA-256, stable', () => {
    const h = createHasher({ key: 'key' });
    expect(h.algorithm).toBe('hmac-sha256');
    const text = 'The quick brown fox jumps over the lazy dog';
    // HMAC-SHA256("key", text) = f7bc83f430538424b13298e6aa6fb143 ef4d59a14946175997479dbc2d1a3cd8
    expect(h.digest(text)).toBe('f7bc83f430538424b13298e6aa6fb143');
    expect(h.digest(text)).toBe(createHasher({ key: 'key' }).digest(text));
    expect(h.digest(text)).not.toBe(createHasher().digest(text));
    expect(h.digest(text)).not.toBe(createHasher({ key: 'other' }).digest(text));
    expect(isDigest(h.digest(text))).toBe(true);
  });

  it('rejects an empty key instead of silently hashing unkeyed', () => {
    expect(() => createHasher({ key: '' })).toThrow(TypeError);
  });

  it('isDigest accepts only lowercase 32-hex', () => {
    expect(isDigest('a'.repeat(32))).toBe(true);
    expect(isDigest('a'.repeat(64))).toBe(false);
    expect(isDigest('A'.repeat(32))).toBe(false);
    expect(isDigest('g'.repeat(32))).toBe(false);
    expect(isDigest('a'.repeat(31))).toBe(false);
    expect(isDigest(42)).toBe(false);
  });

  it('asDigest reads a full 64-hex digest from another sender as the digest this version computes of the same text', () => {
    const full = createHash('sha256').update('the same text', 'utf8').digest('hex');
    expect(asDigest(full)).toBe(createHasher().digest('the same text'));
    expect(asDigest(createHasher().digest('x'))).toBe(createHasher().digest('x'));
    for (const bad of ['a'.repeat(48), 'A'.repeat(64), `${'a'.repeat(63)}g`, '', 42, null]) expect(asDigest(bad)).toBeNull();
  });
});
