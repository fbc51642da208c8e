import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBody, encodeBody } from '../../src/storage/codec.js';

/**
 * The span body codec reads back what JSON would keep, whatever the value: floats in particular, now that a float near
 * the previous one is written as a difference of bit patterns (version 4) — any two doubles, any order, exactly.
 */
const viaJson = (v: unknown): unknown => JSON.parse(JSON.stringify(v)) as unknown;

describe('span body codec (property)', () => {
  it('any sequence of doubles reads back bit for bit (finite ones; others as null, as JSON)', () => {
    const near = fc.tuple(fc.double({ noNaN: true }), fc.array(fc.integer({ min: -(2 ** 20), max: 2 ** 20 }), { maxLength: 6 })).map(([x, steps]) => {
      // Neighbours of x, a few ulps to ~2^20 ulps away: the delta form.
      const out = [x];
      for (const s of steps) out.push(x + s * (Math.abs(x) * 2 ** -52 || 5e-324));
      return out;
    });
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.double(), near), { maxLength: 8 }), (groups) => {
        const xs = groups.flat();
        const back = decodeBody(encodeBody(xs)) as (number | null)[];
        expect(back).toHaveLength(xs.length);
        xs.forEach((x, i) => {
          if (!Number.isFinite(x)) expect(back[i]).toBeNull();
          else expect(Object.is(back[i], x === 0 ? 0 : x)).toBe(true);
        });
      }),
      { numRuns: 2_000 },
    );
  });

  it('any JSON-like value reads back as JSON keeps it', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(decodeBody(encodeBody(v))).toEqual(viaJson(v));
      }),
      { numRuns: 1_000 },
    );
  });
});
