import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { FloodGuard } from './flood-guard.js';
import type { Delivery, Outbox } from './outbox.js';
import { DEFAULT_SEND_TIMEOUT_MS, postJson, type SendResult } from './sender.js';
import { buildSlackDigestMessage, buildSlackMessage } from './slack.js';
import {
  atLeast,
  SEVERITY_RANK,
  type AlertDigest,
  type AlertLogger,
  type AlertSeverity,
  type AlertSignal,
  type Channel,
  type ExplainFn,
  type Explanation,
} from './types.js';
import { buildWebhookDigestRequest, buildWebhookRequest } from './webhook.js';

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
 */

export interface AlertDispatcherConfig {
  /** SLACK_WEBHOOK_URL (a secret: only its host is ever logged). */
  slackWebhookUrl: string | null;
  /** SLACK_MIN_SEVERITY, default HIGH. */
  slackMinSeverity?: AlertSeverity;
  /** WEBHOOK_URL */
  webhookUrl: string | null;
  /** WEBHOOK_SECRET: signs bodies (X-Dunetrace-Signature). */
  webhookSecret?: string | null;
  /** WEBHOOK_MIN_SEVERITY, default LOW. */
  webhookMinSeverity?: AlertSeverity;
  /** DUNETRACE_DASHBOARD_URL: "View run" → <dashboardUrl>/runs/<run_id>; no button when null. */
  dashboardUrl: string | null;
  /** DUNETRACE_ALERT_BURST: alerts per (agent, failure_type) and window sent individually, default 10. */
  burst?: number;

  // Tuning (defaults in DISPATCH_DEFAULTS).
  /** Flood-guard window. */
  floodWindowMs?: number;
  /** Per-request timeout. */
  timeoutMs?: number;
  backoff?: BackoffOptions;
  /** HTTP attempts per delivery before it is marked failed. */
  maxAttempts?: number;
  /** Cap on an honoured Retry-After. */
  maxRetryAfterMs?: number;
  /** Pending rows older than this are marked failed ('expired') instead of sent (no stale alert storms after an outage). */
  maxAgeMs?: number;
  /** Requests in flight at once (all channels). */
  maxConcurrent?: number;
  /** How long a row being sent is hidden from scans; must exceed timeoutMs. */
  leaseMs?: number;
  /** Rows per outbox scan. */
  scanLimit?: number;
}

export const DISPATCH_DEFAULTS = {
  slackMinSeverity: 'HIGH' as AlertSeverity,
  webhookMinSeverity: 'LOW' as AlertSeverity,
  burst: 10,
  floodWindowMs: 60_000,
  timeoutMs: DEFAULT_SEND_TIMEOUT_MS,
  maxAttempts: 12, // 1+2+4+…+256 s, then 5 min twice: gives up after ~18 min
  maxRetryAfterMs: 15 * 60_000,
  maxAgeMs: 24 * 3_600_000,
  maxConcurrent: 8,
  leaseMs: 60_000,
  scanLimit: 500,
} as const;

export type PostFn = (url: string, body: string, headers: Record<string, string>, options: { timeoutMs: number; now: () => number }) => Promise<SendResult>;

export interface AlertDispatcherDeps {
  outbox: Outbox;
  explain: ExplainFn;
  /** Loads a stored signal for resends and digests; null when it no longer exists. */
  loadSignal: (id: number) => Promise<AlertSignal | null>;
  logger?: AlertLogger;
  /** Epoch ms. Timers still run on real time; the clock stamps rows, windows and Retry-After dates. */
  clock?: () => number;
  /** [0, 1), for backoff jitter. */
  random?: () => number;
  /** The HTTP transport (default: postJson over global fetch). */
  post?: PostFn;
}

export interface AlertStats {
  /** Outbox rows created. */
  enqueued: number;
  /** (signal, channel) pairs skipped: shadow signal, below the channel's minimum, or already recorded. */
  skipped_shadow: number;
  skipped_severity: number;
  duplicates: number;
  /** Rows folded into digests, and digest messages delivered. */
  held: number;
  digests_delivered: number;
  /** Individual messages delivered. */
  delivered: number;
  /** Failed attempts that were rescheduled, and deliveries given up. */
  retries: number;
  failed: number;
  suppressed: number;
  /** Outbox/loader errors (each logged). */
  errors: number;
}

interface ChannelTarget {
  name: Channel;
  url: string;
  host: string;
  min: AlertSeverity;
}

type Job =
  | { kind: 'single'; channel: ChannelTarget; rows: Delivery[]; signal: AlertSignal; keys: string[]; attempts: number }
  | { kind: 'digest'; channel: ChannelTarget; rows: Delivery[]; signals: AlertSignal[]; keys: string[]; attempts: number };

const ERROR_RESCAN_MS = 5_000;
const MAX_TIMER_MS = 2_147_483_647;

export class AlertDispatcher {
  private readonly cfg: Required<Omit<AlertDispatcherConfig, 'slackWebhookUrl' | 'webhookUrl' | 'webhookSecret' | 'dashboardUrl' | 'backoff'>> & {
    backoff: BackoffOptions;
    webhookSecret: string | null;
    dashboardUrl: string | null;
  };
  private readonly channels: ChannelTarget[] = [];
  private readonly guard: FloodGuard;
  private readonly outbox: Outbox;
  private readonly explain: ExplainFn;
  private readonly loadSignal: (id: number) => Promise<AlertSignal | null>;
  private readonly log: AlertLogger;
  private readonly clock: () => number;
  private readonly random: () => number;
  private readonly post: PostFn;

  /** (signal, channel) pairs this process is handling right now; scans skip them. */
  private readonly claimed = new Set<string>();
  /** Every background promise (notify, scans, sends); close() waits for them. */
  private readonly tasks = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  private scanning = false;
  private rescan = false;
  private started: Promise<void> | null = null;
  private closed = false;
  private closing: Promise<void> | null = null;
  private active = 0;
  private readonly waiting: ((go: boolean) => void)[] = [];
  private readonly counters: AlertStats = {
    enqueued: 0,
    skipped_shadow: 0,
    skipped_severity: 0,
    duplicates: 0,
    held: 0,
    digests_delivered: 0,
    delivered: 0,
    retries: 0,
    failed: 0,
    suppressed: 0,
    errors: 0,
  };

  constructor(config: AlertDispatcherConfig, deps: AlertDispatcherDeps) {
    const d = DISPATCH_DEFAULTS;
    this.cfg = {
      slackMinSeverity: config.slackMinSeverity ?? d.slackMinSeverity,
      webhookMinSeverity: config.webhookMinSeverity ?? d.webhookMinSeverity,
      webhookSecret: config.webhookSecret || null,
      dashboardUrl: config.dashboardUrl ? config.dashboardUrl.replace(/\/+$/, '') : null,
      burst: config.burst ?? d.burst,
      floodWindowMs: config.floodWindowMs ?? d.floodWindowMs,
      timeoutMs: config.timeoutMs ?? d.timeoutMs,
      backoff: { ...DEFAULT_BACKOFF, ...config.backoff },
      maxAttempts: config.maxAttempts ?? d.maxAttempts,
      maxRetryAfterMs: config.maxRetryAfterMs ?? d.maxRetryAfterMs,
      maxAgeMs: config.maxAgeMs ?? d.maxAgeMs,
      maxConcurrent: config.maxConcurrent ?? d.maxConcurrent,
      leaseMs: config.leaseMs ?? Math.max(d.leaseMs, (config.timeoutMs ?? d.timeoutMs) * 2),
      scanLimit: config.scanLimit ?? d.scanLimit,
    };
    const problems: string[] = [];
    const target = (name: Channel, url: string | null, min: AlertSeverity) => {
      if (!url) return;
      let parsed: URL | null = null;
      try {
        parsed = new URL(url);
      } catch {
        // reported below without the value: webhook URLs are secrets
      }
      if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
        problems.push(`${name} URL is not an http(s) URL`);
        return;
      }
      this.channels.push({ name, url, host: parsed.host, min });
    };
    target('slack', config.slackWebhookUrl, this.cfg.slackMinSeverity);
    target('webhook', config.webhookUrl, this.cfg.webhookMinSeverity);
    for (const sev of [this.cfg.slackMinSeverity, this.cfg.webhookMinSeverity]) {
      if (!(sev in SEVERITY_RANK)) problems.push(`unknown severity ${String(sev)}`);
    }
    const c = this.cfg;
    if (!Number.isInteger(c.burst) || c.burst < 1) problems.push('burst must be a positive integer');
    if (!(c.floodWindowMs > 0)) problems.push('floodWindowMs must be positive');
    if (!(c.timeoutMs > 0)) problems.push('timeoutMs must be positive');
    if (!Number.isInteger(c.maxAttempts) || c.maxAttempts < 1) problems.push('maxAttempts must be a positive integer');
    if (!Number.isInteger(c.maxConcurrent) || c.maxConcurrent < 1) problems.push('maxConcurrent must be a positive integer');
    if (!(c.leaseMs > c.timeoutMs)) problems.push('leaseMs must exceed timeoutMs');
    if (!Number.isInteger(c.scanLimit) || c.scanLimit < 1) problems.push('scanLimit must be a positive integer');
    if (problems.length > 0) throw new RangeError(`invalid alert configuration: ${problems.join('; ')}`);

    this.guard = new FloodGuard({ burst: c.burst, windowMs: c.floodWindowMs });
    this.outbox = deps.outbox;
    this.explain = deps.explain;
    this.loadSignal = deps.loadSignal;
    this.log = deps.logger ?? { error: () => undefined, warn: () => undefined };
    this.clock = deps.clock ?? Date.now;
    this.random = deps.random ?? Math.random;
    this.post = deps.post ?? postJson;
  }

  /** Channels that will receive alerts (for a startup log line); hosts only. */
  describe(): { channel: Channel; host: string; minSeverity: AlertSeverity }[] {
    return this.channels.map((c) => ({ channel: c.name, host: c.host, minSeverity: c.min }));
  }

  stats(): Readonly<AlertStats> {
    return { ...this.counters };
  }

  /**
   * Records and sends alerts for newly stored signals. Resolves once each new delivery had its first attempt (or was
   * held for a digest); never rejects. Callers on a hot path need not await it.
   */
  notify(signals: readonly AlertSignal[]): Promise<void> {
    if (this.closed || this.channels.length === 0 || signals.length === 0) return Promise.resolve();
    return this.track(this.doNotify(signals, this.clock()));
  }

  /** Takes over every pending delivery left by an earlier process and arms the retry timer. Never rejects. */
  start(): Promise<void> {
    this.started ??= this.closed ? Promise.resolve() : this.track(this.doStart());
    return this.started;
  }

  /** Resolves when no notify, scan or send is in flight (timers for later retries may remain armed). */
  async idle(): Promise<void> {
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks]);
  }

  /** Stops the timer, drops queued (unstarted) sends — they stay pending in the outbox — and waits for sends in flight. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      for (const go of this.waiting.splice(0)) go(false);
      await this.idle();
    })();
    return this.closing;
  }

  // --- notify ---

  private async doNotify(signals: readonly AlertSignal[], now: number): Promise<void> {
    const candidates: { signal: AlertSignal; channel: ChannelTarget; key: string }[] = [];
    for (const signal of signals) {
      if (signal.shadow) {
        this.counters.skipped_shadow += this.channels.length;
        continue;
      }
      for (const channel of this.channels) {
        if (!atLeast(signal.severity, channel.min)) {
          this.counters.skipped_severity++;
          continue;
        }
        const key = claimKey(signal.id, channel.name);
        if (this.claimed.has(key)) {
          this.counters.duplicates++;
          continue;
        }
        this.claimed.add(key);
        candidates.push({ signal, channel, key });
      }
    }
    if (candidates.length === 0) return;

    let rows: Map<string, Delivery> | null;
    try {
      const created = await this.outbox.enqueue(
        candidates.map((c) => ({
          customer_id: c.signal.customer_id,
          signal_id: c.signal.id,
          channel: c.channel.name,
          next_attempt_at: new Date(now + this.cfg.leaseMs),
        })),
      );
      rows = new Map(created.map((r) => [claimKey(r.signal_id, r.channel), r]));
      this.counters.enqueued += created.length;
    } catch (err) {
      // Without durable state an alert is still worth one attempt; it cannot be retried or deduplicated later.
      this.counters.errors++;
      this.log.error({ err: errorText(err), deliveries: candidates.length }, 'could not record alert deliveries; sending once without retry');
      rows = null;
    }

    const sends: Job[] = [];
    const holds = new Map<number, { ids: number[]; keys: string[] }>();
    for (const c of candidates) {
      const row = rows?.get(c.key);
      if (rows && !row) {
        this.claimed.delete(c.key); // recorded earlier (another notify, another process): not ours to send
        this.counters.duplicates++;
        continue;
      }
      const admission = this.guard.admit(guardKey(c.channel.name, c.signal), now);
      if (admission.kind === 'send') {
        sends.push({ kind: 'single', channel: c.channel, rows: row ? [row] : [], signal: c.signal, keys: [c.key], attempts: 0 });
      } else if (row) {
        let h = holds.get(admission.flushAt);
        if (!h) holds.set(admission.flushAt, (h = { ids: [], keys: [] }));
        h.ids.push(row.id);
        h.keys.push(c.key);
      } else {
        this.claimed.delete(c.key);
        this.counters.failed++;
      }
    }

    const sent = sends.map((job) => this.run(job));
    for (const [flushAt, h] of holds) {
      try {
        await this.outbox.hold(h.ids, new Date(flushAt));
        this.counters.held += h.ids.length;
        this.arm(flushAt);
      } catch (err) {
        // The rows keep their lease and are sent individually when it ends.
        this.counters.errors++;
        this.log.error({ err: errorText(err), deliveries: h.ids.length }, 'could not hold alerts for a digest');
        this.arm(now + this.cfg.leaseMs);
      } finally {
        for (const k of h.keys) this.claimed.delete(k);
      }
    }
    await Promise.all(sent);
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
      this.arm(this.clock() + ERROR_RESCAN_MS);
    } finally {
      this.scanning = false;
    }
  }

  private async armFromOutbox(): Promise<void> {
    const next = await this.outbox.nextDueAt();
    if (next) this.arm(next.getTime());
  }

  /** Claims, loads and starts sending rows taken from the outbox; returns the send promises. */
  private async dispatchRows(rows: readonly Delivery[], now: number): Promise<Promise<void>[]> {
    const mine = rows.filter((r) => {
      const key = claimKey(r.signal_id, r.channel);
      if (this.claimed.has(key)) return false;
      this.claimed.add(key);
      return true;
    });
    if (mine.length === 0) return [];
    const release = (rs: readonly Delivery[]) => rs.forEach((r) => this.claimed.delete(claimKey(r.signal_id, r.channel)));

    const unconfigured = mine.filter((r) => !this.channel(r.channel));
    const expired = mine.filter((r) => this.channel(r.channel) && now - r.created_at.getTime() > this.cfg.maxAgeMs);
    const live = mine.filter((r) => this.channel(r.channel) && now - r.created_at.getTime() <= this.cfg.maxAgeMs);
    try {
      if (unconfigured.length) {
        await this.outbox.markSuppressed(ids(unconfigured), 'channel not configured');
        this.counters.suppressed += unconfigured.length;
      }
      if (expired.length) {
        await this.outbox.markFailed(ids(expired), 'expired');
        this.counters.failed += expired.length;
      }
    } catch (err) {
      this.counters.errors++;
      this.log.error({ err: errorText(err) }, 'could not record alert outcome');
    } finally {
      release(unconfigured);
      release(expired);
    }

    const loaded = await Promise.all(
      live.map(async (row) => {
        try {
          return { row, signal: await this.loadSignal(row.signal_id) };
        } catch (err) {
          // Left claimed by nobody and leased in the outbox: it comes due again.
          this.counters.errors++;
          this.log.error({ err: errorText(err), signal_id: row.signal_id }, 'could not load signal for an alert');
          release([row]);
          return null;
        }
      }),
    );
    const gone: Delivery[] = [];
    const singles: Job[] = [];
    const groups = new Map<string, { rows: Delivery[]; signals: AlertSignal[]; keys: string[]; attempts: number; channel: ChannelTarget }>();
    for (const l of loaded) {
      if (!l) continue;
      const { row, signal } = l;
      const channel = this.channel(row.channel)!;
      const key = claimKey(row.signal_id, row.channel);
      if (!signal) {
        gone.push(row);
      } else if (!row.digest) {
        singles.push({ kind: 'single', channel, rows: [row], signal, keys: [key], attempts: row.attempts });
      } else {
        const gk = guardKey(row.channel, signal);
        let g = groups.get(gk);
        if (!g) groups.set(gk, (g = { rows: [], signals: [], keys: [], attempts: 0, channel }));
        g.rows.push(row);
        g.signals.push(signal);
        g.keys.push(key);
        g.attempts = Math.max(g.attempts, row.attempts);
      }
    }
    if (gone.length) {
      try {
        await this.outbox.markFailed(ids(gone), 'signal not found');
        this.counters.failed += gone.length;
      } catch (err) {
        this.counters.errors++;
        this.log.error({ err: errorText(err) }, 'could not record alert outcome');
      } finally {
        release(gone);
      }
    }
    const jobs: Job[] = [...singles, ...[...groups.values()].map((g) => ({ kind: 'digest' as const, ...g }))];
    return jobs.map((job) => this.track(this.run(job)));
  }

  private arm(at: number): void {
    if (this.closed) return;
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, at - this.clock()));
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerAt = Infinity;
      void this.track(this.scan());
    }, delay);
    this.timer.unref();
  }

  // --- one attempt ---

  /** Runs a job under the concurrency limit; a job dropped by close() stays pending in the outbox. */
  private async run(job: Job): Promise<void> {
    const go = await this.acquire();
    try {
      if (go) await this.attempt(job);
    } finally {
      if (go) this.releaseSlot();
      for (const k of job.keys) this.claimed.delete(k);
    }
  }

  private async attempt(job: Job): Promise<void> {
    const sentAt = this.clock();
    const rowIds = ids(job.rows);
    const attempt = job.attempts + 1;
    let request: { body: string; headers: Record<string, string> } | null = null;
    let buildError = '';
    try {
      request = this.build(job, sentAt);
    } catch (err) {
      buildError = `could not build message: ${errorText(err)}`;
    }
    const res: SendResult = request
      ? await this.post(job.channel.url, request.body, request.headers, { timeoutMs: this.cfg.timeoutMs, now: this.clock })
      : { kind: 'permanent', status: null, error: buildError, durationMs: 0 };
    try {
      if (res.kind === 'delivered') {
        await this.outbox.markDelivered(rowIds, new Date(this.clock()));
        if (job.kind === 'digest') this.counters.digests_delivered++;
        else this.counters.delivered++;
        return;
      }
      const base = {
        channel: job.channel.name,
        host: job.channel.host,
        status: res.status,
        error: res.error,
        attempt,
        kind: job.kind,
        deliveries: rowIds.length,
        signal_id: job.kind === 'single' ? job.signal.id : undefined,
      };
      const giveUp = res.kind === 'permanent' || attempt >= this.cfg.maxAttempts || rowIds.length === 0;
      if (giveUp) {
        await this.outbox.markFailed(rowIds, res.error);
        this.counters.failed += Math.max(1, rowIds.length);
        this.log.warn({ ...base, gave_up: true }, 'alert delivery failed');
        return;
      }
      const delay =
        res.kind === 'retryable' && res.retryAfterMs !== null
          ? Math.min(res.retryAfterMs, this.cfg.maxRetryAfterMs)
          : backoffDelay(attempt, this.cfg.backoff, this.random);
      const next = this.clock() + delay;
      await this.outbox.markRetry(rowIds, new Date(next), res.error);
      this.counters.retries++;
      this.log.warn({ ...base, retry_in_ms: delay }, 'alert delivery failed');
      this.arm(next);
    } catch (err) {
      // The outcome is not recorded; the rows' lease brings them back (a delivered one may then be sent twice).
      this.counters.errors++;
      this.log.error({ err: errorText(err), channel: job.channel.name, deliveries: rowIds.length }, 'could not record alert outcome');
      this.arm(this.clock() + this.cfg.leaseMs);
    }
  }

  private build(job: Job, sentAt: number): { body: string; headers: Record<string, string> } {
    if (job.kind === 'single') {
      const explanation = this.explainSafe(job.signal);
      if (job.channel.name === 'slack') return slackRequest(buildSlackMessage(job.signal, explanation, this.cfg.dashboardUrl));
      return buildWebhookRequest(job.signal, explanation, {
        secret: this.cfg.webhookSecret,
        sentAt: new Date(sentAt),
        deliveryId: `signal-${job.signal.id}`,
      });
    }
    const digest = this.digestOf(job.signals);
    if (job.channel.name === 'slack') return slackRequest(buildSlackDigestMessage(digest, this.cfg.dashboardUrl));
    return buildWebhookDigestRequest(digest, {
      secret: this.cfg.webhookSecret,
      sentAt: new Date(sentAt),
      deliveryId: `digest-${Math.min(...job.signals.map((s) => s.id))}-${job.signals.length}`,
    });
  }

  private digestOf(signals: AlertSignal[]): AlertDigest {
    const sorted = [...signals].sort((a, b) => a.detected_at.getTime() - b.detected_at.getTime() || a.id - b.id);
    const first = sorted[0];
    const severity_counts: Partial<Record<AlertSeverity, number>> = {};
    let severity: AlertSeverity = 'LOW';
    for (const s of sorted) {
      severity_counts[s.severity] = (severity_counts[s.severity] ?? 0) + 1;
      if (SEVERITY_RANK[s.severity] > SEVERITY_RANK[severity]) severity = s.severity;
    }
    return {
      customer_id: first.customer_id,
      agent_id: first.agent_id,
      failure_type: first.failure_type,
      severity,
      count: sorted.length,
      run_ids: sorted.map((s) => s.run_id),
      severity_counts,
      first_detected_at: first.detected_at,
      last_detected_at: sorted[sorted.length - 1].detected_at,
      title: this.explainSafe(first).title,
      burst: this.cfg.burst,
      window_ms: this.cfg.floodWindowMs,
    };
  }

  private explainSafe(signal: AlertSignal): Explanation {
    try {
      return this.explain(signal);
    } catch (err) {
      this.counters.errors++;
      this.log.error({ err: errorText(err), failure_type: signal.failure_type }, 'explain failed; sending a minimal alert');
      return {
        title: `${signal.failure_type} detected`,
        what: `Detector ${signal.failure_type} fired at step ${signal.step_index}.`,
        why_it_matters: 'No explanation is available for this failure type.',
        evidence_summary: '',
        suggested_fixes: [],
      };
    }
  }

  // --- plumbing ---

  private channel(name: string): ChannelTarget | undefined {
    return this.channels.find((c) => c.name === name);
  }

  private acquire(): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    if (this.active < this.cfg.maxConcurrent) {
      this.active++;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private releaseSlot(): void {
    const next = this.waiting.shift();
    if (next)
      next(true); // the slot passes on
    else this.active--;
  }

  /** Registers a background promise for idle()/close() and turns any rejection into a log line. */
  private track(p: Promise<unknown>): Promise<void> {
    const t: Promise<void> = p.then(
      () => undefined,
      (err: unknown) => {
        this.counters.errors++;
        this.log.error({ err: errorText(err) }, 'alert dispatch failed');
      },
    );
    this.tasks.add(t);
    void t.finally(() => this.tasks.delete(t));
    return t;
  }
}

function slackRequest(message: object): { body: string; headers: Record<string, string> } {
  return { body: JSON.stringify(message), headers: { 'Content-Type': 'application/json', 'User-Agent': 'dunetrace-otel' } };
}

function claimKey(signalId: number, channel: string): string {
  return `${signalId}:${channel}`;
}

function guardKey(channel: string, s: AlertSignal): string {
  return [channel, s.customer_id, s.agent_id, s.failure_type].join('\u0000');
}

function ids(rows: readonly Delivery[]): number[] {
  return rows.map((r) => r.id);
}

/** An error's class and message only: never a stack, and URLs (a DSN, a webhook) cut to scheme and host. */
function errorText(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi, redactUrl);
}

function redactUrl(u: string): string {
  try {
    const url = new URL(u);
    return `${url.protocol}//${url.host}/…`;
  } catch {
    return '<url>';
  }
}
