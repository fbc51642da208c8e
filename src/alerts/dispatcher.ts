import { Histogram } from '../metrics/histogram.js';
import { decideRetry, isExpired, type RetryDecision } from './backoff.js';
import { Claims, pairKey } from './claims.js';
import { BackgroundTasks, SendSlots } from './concurrency.js';
import { resolveConfig, type AlertDispatcherConfig, type ChannelTarget, type DispatchSettings } from './config.js';
import { FloodGuard, floodKey } from './flood-guard.js';
import { jobPairs, jobsFromRows, rowIds, type Job } from './jobs.js';
import { buildJobRequest, fallbackExplanation } from './messages.js';
import type { Delivery, Outbox } from './outbox.js';
import { errorText } from './redact.js';
import { WakeTimer } from './scheduler.js';
import { postJson, type PostFn, type SendResult } from './sender.js';
import { emptyStats, type AlertStats } from './stats.js';
import { atLeast, type AlertLogger, type Severity, type StoredSignal, type Channel, type ExplainFn, type Explanation } from './types.js';

/**
 * Event-driven alert delivery. notify() records one outbox row per (signal, channel) and POSTs at once; failures are
 * retried from the outbox with capped exponential backoff (Retry-After wins) by ONE unref'd timer armed for the
 * earliest due row — no polling interval. start() takes over what a previous process left pending. A flood guard per
 * (channel, customer, agent, failure_type) folds alerts beyond `burst` a window into one digest per window.
 *
 * Guarantees: at most one row per (signal, channel) ever (the outbox's unique key), so never a second alert for a
 * signal once its row is delivered; at-least-once otherwise (a crash between a 2xx and markDelivered resends once
 * after restart; webhook receivers can drop it by X-Dunetrace-Delivery). Nothing configured → nothing recorded.
 * notify/start/close never reject. Logs never contain a body or a URL beyond its host.
 *
 * One dispatcher per outbox: start() takes over every pending row, including rows another live process may be sending.
 *
 * This class sequences the parts: config.ts (checks), claims.ts and flood-guard.ts (what is sent, and when),
 * jobs.ts (rows → sends), scheduler.ts (the timer), backoff.ts (retry policy), messages.ts (what is sent),
 * concurrency.ts (how many at once), redact.ts (what an error may log), stats.ts (the counters).
 */

export interface AlertDispatcherDeps {
  outbox: Outbox;
  explain: ExplainFn;
  /** Loads a stored signal for resends and digests; null when it no longer exists. */
  loadSignal: (id: number) => Promise<StoredSignal | null>;
  logger?: AlertLogger;
  /** Epoch ms. Timers still run on real time; the clock stamps rows, windows and Retry-After dates. */
  clock?: () => number;
  /** [0, 1), for backoff jitter. */
  random?: () => number;
  /** The HTTP transport (default: postJson over global fetch). */
  post?: PostFn;
}

/** After a failed scan, the outbox is tried again this much later. */
const ERROR_RESCAN_MS = 5_000;
const GIVE_UP: RetryDecision = { kind: 'give-up' };

export class AlertDispatcher {
  private readonly cfg: DispatchSettings;
  private readonly channels: ChannelTarget[];
  private readonly guard: FloodGuard;
  private readonly claims = new Claims();
  private readonly slots: SendSlots;
  /** Every background promise (notify, scans, sends); close() waits for them. */
  private readonly tasks = new BackgroundTasks();
  private readonly timer: WakeTimer;
  private readonly outbox: Outbox;
  private readonly explain: ExplainFn;
  private readonly loadSignal: (id: number) => Promise<StoredSignal | null>;
  private readonly log: AlertLogger;
  private readonly clock: () => number;
  private readonly random: () => number;
  private readonly post: PostFn;
  private readonly counters: AlertStats = emptyStats();
  /** Seconds from a signal's detection to its delivery (2xx), per delivered signal. */
  readonly deliverySeconds = new Histogram();

  private scanning = false;
  private rescan = false;
  private started: Promise<void> | null = null;
  private closed = false;
  private closing: Promise<void> | null = null;

  constructor(config: AlertDispatcherConfig, deps: AlertDispatcherDeps) {
    ({ settings: this.cfg, channels: this.channels } = resolveConfig(config));
    this.guard = new FloodGuard({ burst: this.cfg.burst, windowMs: this.cfg.floodWindowMs });
    this.slots = new SendSlots(this.cfg.maxConcurrent);
    this.outbox = deps.outbox;
    this.explain = deps.explain;
    this.loadSignal = deps.loadSignal;
    this.log = deps.logger ?? { error: () => undefined, warn: () => undefined };
    this.clock = deps.clock ?? Date.now;
    this.random = deps.random ?? Math.random;
    this.post = deps.post ?? postJson;
    this.timer = new WakeTimer(() => void this.track(this.scan()), this.clock);
  }

  /** Channels that will receive alerts (for a startup log line); hosts only. */
  describe(): { channel: Channel; host: string; minSeverity: Severity }[] {
    return this.channels.map((c) => ({ channel: c.name, host: c.host, minSeverity: c.min }));
  }

  stats(): Readonly<AlertStats> {
    return { ...this.counters };
  }

  /**
   * Records and sends alerts for newly stored signals. Resolves once each new delivery had its first attempt (or was
   * held for a digest); never rejects. Callers on a hot path need not await it.
   */
  notify(signals: readonly StoredSignal[]): Promise<void> {
    if (this.closed || this.channels.length === 0 || signals.length === 0) return Promise.resolve();
    return this.track(this.doNotify(signals, this.clock()));
  }

  /** Takes over every pending delivery left by an earlier process and arms the retry timer. Never rejects. */
  start(): Promise<void> {
    this.started ??= this.closed ? Promise.resolve() : this.track(this.doStart());
    return this.started;
  }

  /** Resolves when no notify, scan or send is in flight (timers for later retries may remain armed). */
  idle(): Promise<void> {
    return this.tasks.idle();
  }

  /** Stops the timer, drops queued (unstarted) sends — they stay pending in the outbox — and waits for sends in flight. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      this.timer.stop();
      this.slots.close();
      await this.idle();
    })();
    return this.closing;
  }

  // --- notify ---

  private async doNotify(signals: readonly StoredSignal[], now: number): Promise<void> {
    const candidates = this.claimNew(signals);
    if (candidates.length === 0) return;
    const rows = await this.record(candidates, now);

    const sends: Job[] = [];
    const holds = new Map<number, Delivery[]>();
    for (const { signal, channel } of candidates) {
      const pair = { signal_id: signal.id, channel: channel.name };
      const row = rows?.get(pairKey(signal.id, channel.name));
      if (rows && !row) {
        this.claims.release([pair]); // recorded earlier (another notify, another process): not ours to send
        this.counters.duplicates++;
        continue;
      }
      const admission = this.guard.admit(floodKey(channel.name, signal), now);
      if (admission.kind === 'send') {
        sends.push({ kind: 'single', channel, rows: row ? [row] : [], signal, attempts: 0 });
      } else if (row) {
        const held = holds.get(admission.flushAt);
        if (held) held.push(row);
        else holds.set(admission.flushAt, [row]);
      } else {
        // Held for a digest, but without a row there is nothing to fold it into.
        this.claims.release([pair]);
        this.counters.failed++;
      }
    }

    const sent = sends.map((job) => this.run(job));
    for (const [flushAt, held] of holds) await this.hold(held, flushAt, now);
    await Promise.all(sent);
  }

  /** Claims the (signal, channel) pairs to alert: not shadow, at or above the channel's minimum, not being handled already. */
  private claimNew(signals: readonly StoredSignal[]): { signal: StoredSignal; channel: ChannelTarget }[] {
    const claimed: { signal: StoredSignal; channel: ChannelTarget }[] = [];
    for (const signal of signals) {
      if (signal.shadow) {
        this.counters.skipped_shadow += this.channels.length;
        continue;
      }
      for (const channel of this.channels) {
        if (!atLeast(signal.severity, channel.min)) this.counters.skipped_severity++;
        else if (!this.claims.take(signal.id, channel.name)) this.counters.duplicates++;
        else claimed.push({ signal, channel });
      }
    }
    return claimed;
  }

  /** Creates the outbox rows, leased to this process; returns the new ones by pair, or null when the outbox failed. */
  private async record(candidates: readonly { signal: StoredSignal; channel: ChannelTarget }[], now: number): Promise<Map<string, Delivery> | null> {
    try {
      const created = await this.outbox.enqueue(
        candidates.map((c) => ({
          customer_id: c.signal.customer_id,
          signal_id: c.signal.id,
          channel: c.channel.name,
          next_attempt_at: new Date(now + this.cfg.leaseMs),
        })),
      );
      this.counters.enqueued += created.length;
      return new Map(created.map((r) => [pairKey(r.signal_id, r.channel), r]));
    } catch (err) {
      // Without durable state an alert is still worth one attempt; it cannot be retried or deduplicated later.
      this.counters.errors++;
      this.log.error({ err: errorText(err), deliveries: candidates.length }, 'could not record alert deliveries; sending once without retry');
      return null;
    }
  }

  /** Folds rows into the digest that flushes at `flushAt`. */
  private async hold(rows: readonly Delivery[], flushAt: number, now: number): Promise<void> {
    try {
      await this.outbox.hold(rowIds(rows), new Date(flushAt));
      this.counters.held += rows.length;
      this.timer.arm(flushAt);
    } catch (err) {
      // The rows keep their lease and are sent individually when it ends.
      this.counters.errors++;
      this.log.error({ err: errorText(err), deliveries: rows.length }, 'could not hold alerts for a digest');
      this.timer.arm(now + this.cfg.leaseMs);
    } finally {
      this.claims.release(rows);
    }
  }

  // --- restart and retries ---

  private async doStart(): Promise<void> {
    const now = this.clock();
    const rows = await this.outbox.pending();
    // Rows a dead process was sending (leased) or waiting to retry are taken over now; digests keep their flush time.
    const ready = rows.filter((r) => !r.digest || r.next_attempt_at.getTime() <= now);
    if (ready.length > 0) this.log.info?.({ deliveries: ready.length }, 'resending pending alerts');
    const sends = await this.dispatchRows(ready, now);
    await this.armFromOutbox();
    await Promise.all(sends);
  }

  /** Sends what is due; a wake-up during a scan makes it scan again rather than run twice at once. */
  private async scan(): Promise<void> {
    if (this.scanning) {
      this.rescan = true;
      return;
    }
    this.scanning = true;
    try {
      do {
        this.rescan = false;
        const now = this.clock();
        const rows = await this.outbox.due(new Date(now), this.cfg.scanLimit, new Date(now + this.cfg.leaseMs));
        await this.dispatchRows(rows, now).then(() => undefined); // the sends themselves run in the background (tracked)
        if (rows.length >= this.cfg.scanLimit) this.rescan = true;
      } while (this.rescan && !this.closed);
      await this.armFromOutbox();
    } catch (err) {
      this.counters.errors++;
      this.log.error({ err: errorText(err) }, 'alert outbox scan failed; retrying');
      this.timer.arm(this.clock() + ERROR_RESCAN_MS);
    } finally {
      this.scanning = false;
    }
  }

  private async armFromOutbox(): Promise<void> {
    const next = await this.outbox.nextDueAt();
    if (next) this.timer.arm(next.getTime());
  }

  /** Claims, loads and starts sending rows taken from the outbox; returns the send promises. */
  private async dispatchRows(rows: readonly Delivery[], now: number): Promise<Promise<void>[]> {
    const unconfigured: Delivery[] = [];
    const expired: Delivery[] = [];
    const live: { row: Delivery; channel: ChannelTarget }[] = [];
    for (const row of rows) {
      if (!this.claims.take(row.signal_id, row.channel)) continue;
      const channel = this.channels.find((c) => c.name === row.channel);
      if (!channel) unconfigured.push(row);
      else if (isExpired(row.created_at, now, this.cfg)) expired.push(row);
      else live.push({ row, channel });
    }
    await this.settle(unconfigured, (ids) => this.outbox.markSuppressed(ids, 'channel not configured'), 'suppressed');
    await this.settle(expired, (ids) => this.outbox.markFailed(ids, 'expired'), 'failed');

    const loaded = await Promise.all(live.map(async (l) => ({ ...l, signal: await this.load(l.row) })));
    const gone = loaded.filter((l) => l.signal === null).map((l) => l.row);
    await this.settle(gone, (ids) => this.outbox.markFailed(ids, 'signal not found'), 'failed');

    const jobs = jobsFromRows(loaded.flatMap((l) => (l.signal ? [{ row: l.row, channel: l.channel, signal: l.signal }] : [])));
    return jobs.map((job) => this.track(this.run(job)));
  }

  /** The row's signal, null when it no longer exists, or undefined (released, logged) when loading failed. */
  private async load(row: Delivery): Promise<StoredSignal | null | undefined> {
    try {
      return await this.loadSignal(row.signal_id);
    } catch (err) {
      // Left claimed by nobody and leased in the outbox: it comes due again.
      this.counters.errors++;
      this.log.error({ err: errorText(err), signal_id: row.signal_id }, 'could not load signal for an alert');
      this.claims.release([row]);
      return undefined;
    }
  }

  /** Records the outcome of rows that are not sent, counts them, and lets go of them. */
  private async settle(rows: readonly Delivery[], mark: (ids: number[]) => Promise<void>, counter: 'suppressed' | 'failed'): Promise<void> {
    if (rows.length === 0) return;
    try {
      await mark(rowIds(rows));
      this.counters[counter] += rows.length;
    } catch (err) {
      this.counters.errors++;
      this.log.error({ err: errorText(err) }, 'could not record alert outcome');
    } finally {
      this.claims.release(rows);
    }
  }

  // --- one attempt ---

  /** Runs a job under the concurrency limit; a job dropped by close() stays pending in the outbox. */
  private async run(job: Job): Promise<void> {
    const granted = await this.slots.acquire();
    try {
      if (granted) await this.attempt(job);
    } finally {
      if (granted) this.slots.release();
      this.claims.release(jobPairs(job));
    }
  }

  private async attempt(job: Job): Promise<void> {
    const ids = rowIds(job.rows);
    const attempt = job.attempts + 1;
    const res = await this.send(job);
    try {
      if (res.kind === 'delivered') {
        await this.outbox.markDelivered(ids, new Date(this.clock()));
        if (job.kind === 'digest') this.counters.digests_delivered++;
        else this.counters.delivered++;
        const now = this.clock();
        for (const s of job.kind === 'single' ? [job.signal] : job.signals) this.deliverySeconds.observe((now - s.detected_at.getTime()) / 1000);
        return;
      }
      const base = {
        channel: job.channel.name,
        host: job.channel.host,
        status: res.status,
        error: res.error,
        attempt,
        kind: job.kind,
        deliveries: ids.length,
        signal_id: job.kind === 'single' ? job.signal.id : undefined,
      };
      // Without a row (the outbox failed at notify) there is nothing to retry from.
      const decision = ids.length === 0 ? GIVE_UP : decideRetry(res, attempt, this.cfg, this.random);
      if (decision.kind === 'give-up') {
        await this.outbox.markFailed(ids, res.error);
        this.counters.failed += Math.max(1, ids.length);
        this.log.warn({ ...base, gave_up: true }, 'alert delivery failed');
        return;
      }
      const next = this.clock() + decision.delayMs;
      await this.outbox.markRetry(ids, new Date(next), res.error);
      this.counters.retries++;
      this.log.warn({ ...base, retry_in_ms: decision.delayMs }, 'alert delivery failed');
      this.timer.arm(next);
    } catch (err) {
      // The outcome is not recorded; the rows' lease brings them back (a delivered one may then be sent twice).
      this.counters.errors++;
      this.log.error({ err: errorText(err), channel: job.channel.name, deliveries: ids.length }, 'could not record alert outcome');
      this.timer.arm(this.clock() + this.cfg.leaseMs);
    }
  }

  /** Builds and posts the job's message; a message that cannot be built is a permanent failure. */
  private async send(job: Job): Promise<SendResult> {
    let request: { body: string; headers: Record<string, string> };
    try {
      request = buildJobRequest(job, (s) => this.explainSafe(s), this.cfg, this.clock());
    } catch (err) {
      return { kind: 'permanent', status: null, error: `could not build message: ${errorText(err)}`, durationMs: 0 };
    }
    return this.post(job.channel.url, request.body, request.headers, { timeoutMs: this.cfg.timeoutMs, now: this.clock });
  }

  private explainSafe(signal: StoredSignal): Explanation {
    try {
      return this.explain(signal);
    } catch (err) {
      this.counters.errors++;
      this.log.error({ err: errorText(err), failure_type: signal.failure_type }, 'explain failed; sending a minimal alert');
      return fallbackExplanation(signal);
    }
  }

  /** Registers a background promise for idle()/close() and turns any rejection into a log line. */
  private track(p: Promise<unknown>): Promise<void> {
    return this.tasks.track(p, (err) => {
      this.counters.errors++;
      this.log.error({ err: errorText(err) }, 'alert dispatch failed');
    });
  }
}
