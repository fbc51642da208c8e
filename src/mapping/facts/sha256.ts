/**
 * HMAC-SHA256 truncated to 64 bits, for the per-token fact digests (keyed.ts): the same function as
 * `createHmac('sha256', key).update(token, 'utf8').digest('hex').slice(0, 16)` (test/mapping/sha256.test.ts compares
 * them), computed from the key's inner and outer pads hashed once per run key (the "midstates" node:crypto has no
 * API for). A token of up to 55 UTF-8 bytes then costs two SHA-256 compressions in place, instead of two one-shot
 * hashes over freshly concatenated buffers: tokens are short and there are dozens per span.
 */

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74,
  0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d,
  0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e,
  0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5,
  0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const IV = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);

/** Message schedule scratch (one compression at a time: this code never yields). */
const W = new Uint32Array(64);

/** SHA-256 compression of the 16 big-endian words in W[0..15] into `state`. */
function compress(state: Uint32Array): void {
  for (let i = 16; i < 64; i++) {
    const x = W[i - 15];
    const y = W[i - 2];
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    W[i] = (W[i - 16] + s0 + W[i - 7] + s1) | 0;
  }
  let a = state[0];
  let b = state[1];
  let c = state[2];
  let d = state[3];
  let e = state[4];
  let f = state[5];
  let g = state[6];
  let h = state[7];
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i] + W[i]) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = (state[0] + a) | 0;
  state[1] = (state[1] + b) | 0;
  state[2] = (state[2] + c) | 0;
  state[3] = (state[3] + d) | 0;
  state[4] = (state[4] + e) | 0;
  state[5] = (state[5] + f) | 0;
  state[6] = (state[6] + g) | 0;
  state[7] = (state[7] + h) | 0;
}

/** The state after one 64-byte block (a pad) from the IV. */
function midstate(block: Uint8Array): Uint32Array {
  for (let i = 0; i < 16; i++) W[i] = (block[4 * i] << 24) | (block[4 * i + 1] << 16) | (block[4 * i + 2] << 8) | block[4 * i + 3];
  const s = IV.slice();
  compress(s);
  return s;
}

const state = new Uint32Array(8);
/** UTF-8 bytes of the token, then SHA-256 padding: up to the largest token seen (grown on demand). */
let bytes = new Uint8Array(128);
const HEX = [...'0123456789abcdef'].map((c) => c.charCodeAt(0));

/** The token's UTF-8 bytes into `bytes`; returns the length. ASCII in a loop, anything else through Buffer. */
function utf8(token: string): number {
  const n = token.length;
  if (bytes.length < n + 72) bytes = new Uint8Array(2 * n + 72);
  for (let i = 0; i < n; i++) {
    const c = token.charCodeAt(i);
    if (c > 127) {
      // Lone surrogates become U+FFFD, as Buffer.from(token, 'utf8') and createHmac's update(token, 'utf8') do.
      const b = Buffer.from(token, 'utf8');
      if (bytes.length < b.length + 72) bytes = new Uint8Array(2 * b.length + 72);
      bytes.set(b);
      return b.length;
    }
    bytes[i] = c;
  }
  return n;
}

/** `(token) => first 16 hex of HMAC-SHA256(key, utf8(token))`; `key` at most 64 bytes (ours are 32). */
export function hmacSha256Hex64(key: Uint8Array): (token: string) => string {
  if (key.length > 64) throw new RangeError('hmacSha256Hex64: keys longer than a block are hashed first; not supported');
  const ipad = new Uint8Array(64).fill(0x36);
  const opad = new Uint8Array(64).fill(0x5c);
  for (let i = 0; i < key.length; i++) {
    ipad[i] ^= key[i];
    opad[i] ^= key[i];
  }
  const inner0 = midstate(ipad);
  const outer0 = midstate(opad);
  return (token) => {
    // Inner hash: ipad block (done), then the token, 0x80, zeros, and the bit length of pad + token (64-bit BE).
    const len = utf8(token);
    const total = len + 9;
    const blocks = Math.ceil(total / 64);
    const end = blocks * 64;
    bytes[len] = 0x80;
    bytes.fill(0, len + 1, end - 4);
    const bits = (64 + len) * 8;
    // Tokens are far below 2^29 bytes: the length's high 32 bits are zero (filled above).
    bytes[end - 4] = bits >>> 24;
    bytes[end - 3] = bits >>> 16;
    bytes[end - 2] = bits >>> 8;
    bytes[end - 1] = bits;
    state.set(inner0);
    for (let o = 0; o < end; o += 64) {
      for (let i = 0; i < 16; i++) {
        const p = o + 4 * i;
        W[i] = (bytes[p] << 24) | (bytes[p + 1] << 16) | (bytes[p + 2] << 8) | bytes[p + 3];
      }
      compress(state);
    }
    // Outer hash: opad block (done), then the 32-byte inner digest, 0x80, zeros, bit length 768.
    for (let i = 0; i < 8; i++) W[i] = state[i];
    W[8] = 0x80000000;
    for (let i = 9; i < 15; i++) W[i] = 0;
    W[15] = (64 + 32) * 8;
    state.set(outer0);
    compress(state);
    const a = state[0];
    const b = state[1];
    return String.fromCharCode(
      HEX[a >>> 28],
      HEX[(a >>> 24) & 15],
      HEX[(a >>> 20) & 15],
      HEX[(a >>> 16) & 15],
      HEX[(a >>> 12) & 15],
      HEX[(a >>> 8) & 15],
      HEX[(a >>> 4) & 15],
      HEX[a & 15],
      HEX[b >>> 28],
      HEX[(b >>> 24) & 15],
      HEX[(b >>> 20) & 15],
      HEX[(b >>> 16) & 15],
      HEX[(b >>> 12) & 15],
      HEX[(b >>> 8) & 15],
      HEX[(b >>> 4) & 15],
      HEX[b & 15],
    );
  };
}
