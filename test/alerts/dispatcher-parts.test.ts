import { afterEach, describe, expect, it, vi } from 'vitest';
import { decideRetry, isExpired, type RetryPolicy } from '../../src/alerts/backoff.js';
import { Claims } from '../../src/alerts/claims.js';
import { BackgroundTasks, SendSlots } from '../../src/alerts/concurrency.js';
import { resolveConfig } from '../../src/alerts/config.js';
import { floodKey } from '../../src/alerts/flood-guard.js';
import { buildDigest, fallbackExplanation } from '../../src/alerts/messages.js';
import { errorText } from '../../src/alerts/redact.js';
import { WakeTimer } from '../../src/alerts/scheduler.js';
import { explain, makeSignal } from './helpers.js';

// The pieces AlertDispatcher is composed of, each on its own; dispatcher.test.ts covers them together over real HTTP.

afterEach(() => {
  vi.useRealTimers();
});

describe('resolveConfig', () => {
  const base = { slackWebhookUrl: null, webhookUrl: null, dashboardUrl: null };

  it('applies the defaults; the lease outlasts two request timeouts', () => {
    const { settings, channels } = resolveConfig({ ...base, webhookUrl: 'https://hooks.example.com/x?token=1', dashboardUrl: 'http://dash//' });
    expect(channels).toEqual([{ name: 'webhook', url: 'https://hooks.example.com/x?token=1', host: 'hooks.example.com', min: 'LOW' }]);
    expect(settings).toMatchObject({
      slackMinSeverity: 'HIGH',
      burst: 10,
      floodWindowMs: 60_000,
      maxAttempts: 12,
      leaseMs: 60_000,
      dashboardUrl: 'http://dash',
    });
    expect(resolveConfig({ ...base, timeoutMs: 45_000 }).settings.leaseMs).toBe(90_000);
    expect(resolveConfig({ ...base, webhookSecret: '' }).settings.webhookSecret).toBeNull();
  });

  it('lists every problem in one RangeError, naming channels but never their URLs', () => {
    const bad = () =>
      resolveConfig({
        ...base,
        slackWebhookUrl: 'ftp://files.example.com/SECRET',
        webhookUrl: 'not a url SECRET',
        webhookMinSeverity: 'URGENT' as never,
        burst: 1.5,
        maxConcurrent: 0,
        scanLimit: -1,
        floodWindowMs: 0,
      });
    expect(bad).toThrow(RangeError);
    expect(bad).toThrow(
      'invalid alert configuration: slack URL is not an http(s) URL; webhook URL is not an http(s) URL; unknown severity URGENT; ' +
        'burst must be a positive integer; floodWindowMs must be positive; maxConcurrent must be a positive integer; scanLimit must be a positive integer',
    );
    expect(bad).not.toThrow(/SECRET/);
  });
});

describe('decideRetry and isExpired', () => {
  const policy: RetryPolicy = { maxAttempts: 3, maxRetryAfterMs: 10_000, backoff: { baseMs: 100, jitter: 0 }, maxAgeMs: 1_000 };
  const never = () => {
    throw new Error('random must not be drawn');
  };

  it('retries with backoff, or after Retry-After capped; gives up when permanent or out of attempts', () => {
    expect(decideRetry({ kind: 'retryable', retryAfterMs: null }, 1, policy, () => 0)).toEqual({ kind: 'retry', delayMs: 100 });
    expect(decideRetry({ kind: 'retryable', retryAfterMs: null }, 2, policy, () => 0)).toEqual({ kind: 'retry', delayMs: 200 });
    expect(decideRetry({ kind: 'retryable', retryAfterMs: 0 }, 1, policy, never)).toEqual({ kind: 'retry', delayMs: 0 });
    expect(decideRetry({ kind: 'retryable', retryAfterMs: 3_600_000 }, 1, policy, never)).toEqual({ kind: 'retry', delayMs: 10_000 });
    expect(decideRetry({ kind: 'retryable', retryAfterMs: null }, 3, policy, never)).toEqual({ kind: 'give-up' });
    expect(decideRetry({ kind: 'permanent' }, 1, policy, never)).toEqual({ kind: 'give-up' });
  });

  it('a delivery expires strictly after maxAgeMs, on the clock passed in', () => {
    const created = new Date(10_000);
    expect(isExpired(created, 11_000, policy)).toBe(false);
    expect(isExpired(created, 11_001, policy)).toBe(true);
  });
});

describe('Claims and floodKey', () => {
  it('a pair is claimed once until released', () => {
    const c = new Claims();
    expect(c.take(1, 'slack')).toBe(true);
    expect(c.take(1, 'slack')).toBe(false);
    expect(c.take(1, 'webhook')).toBe(true);
    c.release([{ signal_id: 1, channel: 'slack' }]);
    expect(c.take(1, 'slack')).toBe(true);
  });

  it('flood keys separate channel, customer, agent and failure type, and cannot be forged by joining fields', () => {
    const s = makeSignal({ customer_id: 'c', agent_id: 'a', failure_type: 'TOOL_LOOP' });
    const keys = new Set([
      floodKey('slack', s),
      floodKey('webhook', s),
      floodKey('slack', { ...s, customer_id: 'c2' }),
      floodKey('slack', { ...s, agent_id: 'a2' }),
      floodKey('slack', { ...s, failure_type: 'RETRY_STORM' }),
      floodKey('slack', { ...s, customer_id: 'c\u0000a', agent_id: '' }),
    ]);
    expect(keys.size).toBe(6);
    expect(floodKey('slack', makeSignal({ customer_id: 'c', agent_id: 'a', failure_type: 'TOOL_LOOP' }))).toBe(floodKey('slack', s)); // other run, same key
  });
});

describe('WakeTimer (fake timers)', () => {
  it('one timer for the earliest time asked for; later asks change nothing; stop() cancels for good', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: 1_000 });
    const wakes: number[] = [];
    const t = new WakeTimer(() => wakes.push(Date.now()), Date.now);
    t.arm(1_500);
    t.arm(1_900); // later: ignored
    t.arm(1_200); // earlier: moves the timer
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(wakes).toEqual([1_200]); // once, at the earliest time
    t.arm(500); // in the past: at once
    await vi.advanceTimersByTimeAsync(0);
    expect(wakes).toEqual([1_200, 2_000]);
    t.arm(2_100);
    t.stop();
    t.arm(2_050);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(wakes).toHaveLength(2);
  });

  it('caps a far-away time at setTimeout’s limit instead of firing at once', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: 0 });
    let woke = false;
    new WakeTimer(() => (woke = true), Date.now).arm(30 * 24 * 3_600_000);
    await vi.advanceTimersByTimeAsync(24 * 3_600_000);
    expect(woke).toBe(false);
  });
});

describe('SendSlots and BackgroundTasks', () => {
  it('grants up to the limit, hands a released slot to the oldest waiter, and turns waiters away on close', async () => {
    const slots = new SendSlots(2);
    const order: string[] = [];
    const a = await slots.acquire();
    const b = await slots.acquire();
    const c = slots.acquire().then((g) => order.push(`c:${g}`));
    const d = slots.acquire().then((g) => order.push(`d:${g}`));
    const e = slots.acquire().then((g) => order.push(`e:${g}`));
    expect([a, b]).toEqual([true, true]);
    await Promise.resolve();
    expect(order).toEqual([]);
    slots.release();
    await c;
    expect(order).toEqual(['c:true']);
    slots.close();
    await Promise.all([d, e]);
    expect(order).toEqual(['c:true', 'd:false', 'e:false']);
    expect(await slots.acquire()).toBe(false);
  });

  it('idle() also waits for tasks started by tracked tasks; a rejection goes to onError, never to the caller', async () => {
    const tasks = new BackgroundTasks();
    const errors: unknown[] = [];
    const onError = (e: unknown) => errors.push(e);
    const done: string[] = [];
    const tick = () => new Promise((r) => setImmediate(r));
    void tasks.track(
      (async () => {
        await tick();
        void tasks.track(
          tick().then(() => done.push('child')),
          onError,
        );
        done.push('parent');
      })(),
      onError,
    );
    const failed = tasks.track(Promise.reject(new Error('boom')), onError);
    await expect(failed).resolves.toBeUndefined();
    await tasks.idle();
    expect(done).toEqual(['parent', 'child']);
    expect(errors).toEqual([new Error('boom')]);
  });
});

describe('errorText', () => {
  it('keeps class and message, cuts every URL to scheme and host, and drops the stack', () => {
    const err = new TypeError('connect to postgres://user:pw@db.internal:5432/app failed; hook https://hooks.slack.com/services/T/B/SECRET?x=1');
    const text = errorText(err);
    expect(text).toBe('TypeError: connect to postgres://db.internal:5432/… failed; hook https://hooks.slack.com/…');
    expect(text).not.toMatch(/pw|SECRET|at /);
    expect(errorText('plain http://[bad/url')).toBe('plain <url>');
    expect(errorText(42)).toBe('42');
  });
});

describe('buildDigest and fallbackExplanation', () => {
  it('folds oldest first, takes the highest severity, counts severities, and titles from the oldest', () => {
    const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
    const sigs = [
      makeSignal({ severity: 'LOW', detected_at: t(3) }),
      makeSignal({ severity: 'CRITICAL', detected_at: t(1), failure_type: 'RETRY_STORM' }),
      makeSignal({ severity: 'LOW', detected_at: t(2) }),
    ];
    const titled: number[] = [];
    const d = buildDigest(sigs, (s) => (titled.push(s.id), explain(s)), { dashboardUrl: null, webhookSecret: null, burst: 3, floodWindowMs: 60_000 });
    expect(d).toMatchObject({
      severity: 'CRITICAL',
      count: 3,
      run_ids: [sigs[1].run_id, sigs[2].run_id, sigs[0].run_id],
      severity_counts: { CRITICAL: 1, LOW: 2 },
      first_detected_at: t(1),
      last_detected_at: t(3),
      failure_type: 'RETRY_STORM',
      title: 'Tool loop: RETRY_STORM',
      burst: 3,
      window_ms: 60_000,
    });
    expect(titled).toEqual([sigs[1].id]);
  });

  it('the fallback explanation carries no evidence, only the failure type and step', () => {
    const s = makeSignal({ evidence: { secret_marker: 'CANARY-123' }, step_index: 4 });
    const text = JSON.stringify(fallbackExplanation(s));
    expect(text).toContain('TOOL_LOOP');
    expect(text).toContain('step 4');
    expect(text).not.toContain('CANARY-123');
  });
});
