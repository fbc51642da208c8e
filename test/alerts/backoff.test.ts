import { describe, expect, it } from 'vitest';
import { backoffDelay, classifyStatus, parseRetryAfter } from '../../src/alerts/index.js';

describe('backoffDelay', () => {
  it.each([
    [1, 1_000],
    [2, 2_000],
    [3, 4_000],
    [9, 256_000],
    [10, 300_000], // capped at 5 min
    [50, 300_000],
    [0, 1_000], // clamped to the first attempt
  ])('attempt %i without jitter → %i ms', (attempts, ms) => {
    expect(backoffDelay(attempts, { jitter: 0 })).toBe(ms);
  });

  it('jitter removes up to 20% by default, via the injected random', () => {
    expect(backoffDelay(3, {}, () => 0)).toBe(4_000);
    expect(backoffDelay(3, {}, () => 0.5)).toBe(3_600);
    expect(backoffDelay(3, {}, () => 0.999999)).toBe(3_200);
  });

  it('takes base, factor and cap', () => {
    expect(backoffDelay(4, { baseMs: 10, factor: 3, maxMs: 200, jitter: 0 })).toBe(200);
    expect(backoffDelay(3, { baseMs: 10, factor: 3, maxMs: 200, jitter: 0 })).toBe(90);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it.each([
    ['1', 1_000],
    [' 120 ', 120_000],
    ['0', 0],
    ['Thu, 01 Jan 2026 00:00:30 GMT', 30_000],
    ['Wed, 31 Dec 2025 23:59:00 GMT', 0], // in the past
    ['', null],
    ['soon', null],
    ['-5', null],
    ['1.5', null],
    [undefined, null],
    [null, null],
  ])('%j → %j', (header, ms) => {
    expect(parseRetryAfter(header, now)).toBe(ms);
  });
});

describe('classifyStatus', () => {
  it.each([
    [200, 'delivered'],
    [201, 'delivered'],
    [204, 'delivered'],
    [429, 'retryable'],
    [500, 'retryable'],
    [502, 'retryable'],
    [503, 'retryable'],
    [504, 'retryable'],
    [400, 'permanent'],
    [401, 'permanent'],
    [403, 'permanent'],
    [404, 'permanent'],
    [410, 'permanent'],
    [301, 'permanent'],
    [302, 'permanent'],
  ] as const)('%i → %s', (status, outcome) => {
    expect(classifyStatus(status)).toBe(outcome);
  });
});
