import { describe, expect, it } from 'vitest';
import { severitiesAtLeast } from '../../src/model/index.js';
import { parseSince } from '../../src/receiver/api/params.js';

describe('query parameter helpers', () => {
  it('since: durations back from now and ISO-8601 times; anything else is refused', () => {
    const now = Date.UTC(2025, 0, 31, 12, 0, 0);
    expect(parseSince('90s', now)?.toISOString()).toBe('2025-01-31T11:58:30.000Z');
    expect(parseSince('30m', now)?.toISOString()).toBe('2025-01-31T11:30:00.000Z');
    expect(parseSince('1h', now)?.toISOString()).toBe('2025-01-31T11:00:00.000Z');
    expect(parseSince('7d', now)?.toISOString()).toBe('2025-01-24T12:00:00.000Z');
    expect(parseSince('2w', now)?.toISOString()).toBe('2025-01-17T12:00:00.000Z');
    expect(parseSince('2025-01-30T08:15:00Z', now)?.toISOString()).toBe('2025-01-30T08:15:00.000Z');
    expect(parseSince('2025-01-30T08:15:00.123+02:00', now)?.toISOString()).toBe('2025-01-30T06:15:00.123Z');
    expect(parseSince('2025-01-30', now)?.toISOString()).toBe('2025-01-30T00:00:00.000Z');
    for (const bad of ['', 'yesterday', '1 h', '-1h', '1y', '1.5h', '2025-13-45', 'Jan 30 2025', '1738224000']) {
      expect(parseSince(bad, now), bad).toBeNull();
    }
  });

  it('a severity filter is a minimum', () => {
    expect(severitiesAtLeast('LOW')).toEqual(['LOW', 'MEDIUM', 'HIGH', 'CRITICAL']);
    expect(severitiesAtLeast('HIGH')).toEqual(['HIGH', 'CRITICAL']);
    expect(severitiesAtLeast('CRITICAL')).toEqual(['CRITICAL']);
  });
});
