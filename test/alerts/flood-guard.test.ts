import { describe, expect, it } from 'vitest';
import { FloodGuard } from '../../src/alerts/index.js';

describe('FloodGuard', () => {
  it('passes the first `burst` alerts of a key, then holds the rest until one flush time', () => {
    const g = new FloodGuard({ burst: 3, windowMs: 60_000 });
    const kinds = Array.from({ length: 10 }, (_, i) => g.admit('a', 1_000 + i * 100));
    expect(kinds.slice(0, 3)).toEqual([{ kind: 'send' }, { kind: 'send' }, { kind: 'send' }]);
    // The digest opens at the 4th alert (t=1300) and flushes one window later, for all held alerts.
    expect(kinds.slice(3)).toEqual(Array(7).fill({ kind: 'hold', flushAt: 61_300 }));
  });

  it('keys are independent', () => {
    const g = new FloodGuard({ burst: 1 });
    expect(g.admit('a', 0).kind).toBe('send');
    expect(g.admit('a', 1).kind).toBe('hold');
    expect(g.admit('b', 2).kind).toBe('send');
  });

  it('is a sliding window: an alert older than the window frees a slot', () => {
    const g = new FloodGuard({ burst: 2, windowMs: 1_000 });
    expect(g.admit('a', 0).kind).toBe('send');
    expect(g.admit('a', 500).kind).toBe('send');
    expect(g.admit('a', 1_001).kind).toBe('send'); // t=0 left the window
    expect(g.admit('a', 1_200)).toEqual({ kind: 'hold', flushAt: 2_200 }); // 500 and 1001 in window
  });

  it('a sustained flood yields one digest per window, no trickle of individual alerts', () => {
    const g = new FloodGuard({ burst: 3, windowMs: 1_000 });
    const flushes = new Set<number>();
    let sends = 0;
    for (let t = 0; t < 5_000; t += 50) {
      const a = g.admit('a', t);
      if (a.kind === 'send') sends++;
      else flushes.add(a.flushAt);
    }
    expect(sends).toBe(3);
    expect([...flushes]).toEqual([1_150, 2_150, 3_150, 4_150, 5_150]);
  });

  it('resumes individual alerts after a quiet window', () => {
    const g = new FloodGuard({ burst: 1, windowMs: 1_000 });
    g.admit('a', 0);
    expect(g.admit('a', 10).kind).toBe('hold');
    expect(g.admit('a', 2_500).kind).toBe('send');
  });

  it('sweeps idle keys (memory stays bounded)', () => {
    const g = new FloodGuard({ burst: 2, windowMs: 1_000 });
    for (let i = 0; i < 100; i++) g.admit(`k${i}`, 0);
    expect(g.size).toBe(100);
    g.sweep(500);
    expect(g.size).toBe(100);
    g.sweep(1_000);
    expect(g.size).toBe(0);
  });

  it('rejects a bad burst', () => {
    expect(() => new FloodGuard({ burst: 0 })).toThrow(RangeError);
    expect(() => new FloodGuard({ burst: 1.5 })).toThrow(RangeError);
  });
});
