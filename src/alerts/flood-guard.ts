import type { StoredSignal } from './types.js';

/**
 * Flood guard, pure (no timers; `now` is passed in). Per key — the dispatcher uses (channel, customer, agent,
 * failure_type) — over a sliding window (60 s by default):
 * - while fewer than `burst` alerts were admitted in the last window, an alert is sent individually;
 * - otherwise it is held and folded into a digest that flushes when its window ends (opened at the first held alert,
 *   flushAt = that time + window); every later alert of the key joins that digest until it flushes.
 * Held alerts count toward the rate too, so a sustained flood yields one digest per window, not a trickle of
 * individual messages; individual alerts resume once the rate has been below `burst` for a full window.
 * Memory per key is O(burst): only the last `burst` admission times are kept. Idle keys are swept.
 */

export interface FloodGuardOptions {
  /** Alerts per window sent individually (DUNETRACE_ALERT_BURST, default 10). */
  burst: number;
  /** Default 60 000. */
  windowMs?: number;
}

export type Admission = { kind: 'send' } | { kind: 'hold'; flushAt: number };

interface KeyState {
  /** The last ≤ burst admission times, oldest first. */
  times: number[];
  /** When an open digest flushes; 0 when none is open. */
  digestUntil: number;
}

const SWEEP_EVERY = 256;

/** The dispatcher's flood key: alerts of one (channel, customer, agent, failure_type) share a rate and a digest. */
export function floodKey(channel: string, s: Pick<StoredSignal, 'customer_id' | 'agent_id' | 'failure_type'>): string {
  return [channel, s.customer_id, s.agent_id, s.failure_type].join('\u0000');
}

export class FloodGuard {
  readonly burst: number;
  readonly windowMs: number;
  private readonly keys = new Map<string, KeyState>();
  private admits = 0;

  constructor(options: FloodGuardOptions) {
    if (!Number.isInteger(options.burst) || options.burst < 1) throw new RangeError('burst must be a positive integer');
    const windowMs = options.windowMs ?? 60_000;
    if (!(windowMs > 0)) throw new RangeError('windowMs must be positive');
    this.burst = options.burst;
    this.windowMs = windowMs;
  }

  /** Decides for one new alert of `key` at `now` and records it. */
  admit(key: string, now: number): Admission {
    if (++this.admits % SWEEP_EVERY === 0) this.sweep(now);
    let st = this.keys.get(key);
    if (!st) this.keys.set(key, (st = { times: [], digestUntil: 0 }));

    let decision: Admission;
    if (st.digestUntil > now) {
      decision = { kind: 'hold', flushAt: st.digestUntil };
    } else if (st.times.length >= this.burst && st.times[0] > now - this.windowMs) {
      st.digestUntil = now + this.windowMs;
      decision = { kind: 'hold', flushAt: st.digestUntil };
    } else {
      decision = { kind: 'send' };
    }
    st.times.push(now);
    if (st.times.length > this.burst) st.times.shift();
    return decision;
  }

  /** Forgets keys with no admission in the last window and no open digest. */
  sweep(now: number): void {
    for (const [key, st] of this.keys) {
      const last = st.times[st.times.length - 1] ?? 0;
      if (last <= now - this.windowMs && st.digestUntil <= now) this.keys.delete(key);
    }
  }

  /** Keys currently tracked (for tests and metrics). */
  get size(): number {
    return this.keys.size;
  }
}
