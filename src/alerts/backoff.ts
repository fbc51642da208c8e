/**
 * Retry policy as pure functions (`now` passed in): delay per attempt, Retry-After parsing, what an HTTP status means,
 * what follows a failed attempt, and when a delivery is too old to send.
 */

export interface BackoffOptions {
  /** Delay after the first failed attempt. Default 1 s. */
  baseMs?: number;
  /** Growth per attempt. Default 2. */
  factor?: number;
  /** Cap on the computed delay. Default 5 min. */
  maxMs?: number;
  /** Fraction removed at random: the delay lies in [d·(1−jitter), d]. Default 0.2; 0 = deterministic. */
  jitter?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = { baseMs: 1_000, factor: 2, maxMs: 300_000, jitter: 0.2 };

/**
 * Delay before the next try, after `attempts` failed tries (1 after the first failure): base·factor^(attempts−1),
 * capped, minus up to `jitter` of it. `random` returns [0, 1) and is injectable for tests.
 */
export function backoffDelay(attempts: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const o = { ...DEFAULT_BACKOFF, ...options };
  const n = Math.max(1, Math.floor(attempts));
  const raw = Math.min(o.maxMs, o.baseMs * o.factor ** (n - 1));
  const jitter = Math.min(1, Math.max(0, o.jitter));
  return Math.max(0, Math.round(raw * (1 - jitter * random())));
}

/**
 * Retry-After (RFC 9110 §10.2.3) in ms from `now` (epoch ms): delay-seconds or an HTTP-date. A date in the past is 0.
 * Missing or malformed is null (the caller falls back to its backoff).
 */
export function parseRetryAfter(header: string | null | undefined, now: number): number | null {
  if (header == null) return null;
  const v = header.trim();
  if (v === '') return null;
  if (/^\d+$/.test(v)) return Number(v) * 1_000;
  // Only date-looking values: Date.parse accepts many odd strings ("1.5" would parse as a year).
  if (!/[a-z]{3}/i.test(v)) return null;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now);
}

export type AttemptOutcome = 'delivered' | 'retryable' | 'permanent';

/** 2xx delivered; 429 and 5xx retryable (as are network errors and timeouts, decided by the sender); the rest permanent. */
export function classifyStatus(status: number): AttemptOutcome {
  if (status >= 200 && status < 300) return 'delivered';
  if (status === 429 || (status >= 500 && status < 600)) return 'retryable';
  return 'permanent';
}

/** When a delivery is retried, and when it is given up. */
export interface RetryPolicy {
  /** HTTP attempts per delivery before it is given up. */
  maxAttempts: number;
  /** Cap on an honoured Retry-After. */
  maxRetryAfterMs: number;
  backoff: BackoffOptions;
  /** Pending deliveries older than this are given up unsent. */
  maxAgeMs: number;
}

export type RetryDecision = { kind: 'give-up' } | { kind: 'retry'; delayMs: number };

/**
 * What follows failed attempt number `attempt` (1-based): a permanent failure or the last allowed attempt gives up;
 * otherwise retry after the server's Retry-After (capped) or else the backoff delay.
 */
export function decideRetry(
  failure: { kind: 'permanent' } | { kind: 'retryable'; retryAfterMs: number | null },
  attempt: number,
  policy: RetryPolicy,
  random: () => number,
): RetryDecision {
  if (failure.kind === 'permanent' || attempt >= policy.maxAttempts) return { kind: 'give-up' };
  const delayMs = failure.retryAfterMs !== null ? Math.min(failure.retryAfterMs, policy.maxRetryAfterMs) : backoffDelay(attempt, policy.backoff, random);
  return { kind: 'retry', delayMs };
}

/** A delivery created at `createdAt` is too old to send at `now` (no stale alert storm after an outage). */
export function isExpired(createdAt: Date, now: number, policy: Pick<RetryPolicy, 'maxAgeMs'>): boolean {
  return now - createdAt.getTime() > policy.maxAgeMs;
}
