import type { MappedSpan } from '../mapping/events.js';
import type { RunStatus } from './types.js';

/** An open run as the tracker holds it between its first span and its completion. */
export interface OpenRun {
  customerId: string;
  runId: string;
  agentId: string;
  /** Spans seen by this process. After a restart, spans stored earlier are not here until loaded (partial). */
  spans: Map<string, MappedSpan>;
  /** True when spans stored before a restart are not in `spans`: judge only after reloading from storage. */
  partial: boolean;
  /**
   * Spans of the run stored in all, as the last write reported (several receivers may each see part of a run): more
   * than `spans.size` means peers stored some, and judging must read the run from storage.
   */
  storedSpans: number;
  rootSeen: boolean;
  timer: NodeJS.Timeout | null;
  /** The wait `timer` was armed with, so a new span can simply refresh it. */
  timerMs: number;
}

export interface RunTrackerOptions {
  /** Quiet time after the root span has arrived before the run completes (DUNETRACE_RUN_GRACE_MS). */
  graceMs: number;
  /** Quiet time after which a run whose root never came is closed as stalled (DUNETRACE_RUN_IDLE_TIMEOUT_MS). */
  idleMs: number;
  /** Called after new spans joined an open, fully loaded run: live detectors run here. Must not throw. */
  onSpans?: (run: OpenRun) => void;
  /**
   * Called once per run when it completes; the tracker has already forgotten the run. `status` is computed from the
   * spans in memory: for a partial (recovered) run, reload the spans and call closingStatus again.
   */
  onClose: (run: OpenRun, status: Exclude<RunStatus, 'open'>) => Promise<void | { retryInMs: number }>;
  /** Reports an onClose failure; the tracker retries the completion with backoff. */
  onError?: (err: unknown, run: OpenRun) => void;
}

const key = (customerId: string, runId: string) => `${customerId}\u0000${runId}`;

/**
 * Decides when a run is over. Event-driven: one timer per open run, re-armed (Timeout.refresh, O(1)) by each new span,
 * so completion fires `graceMs` after the last span of a rooted run, not on a polling cycle.
 */
export class RunTracker {
  private readonly open = new Map<string, OpenRun>();
  private readonly closing = new Set<string>();
  private readonly inFlight = new Set<Promise<void>>();
  /** Consecutive failed completions per run, for the retry backoff. */
  private readonly failures = new Map<string, number>();
  private stopped = false;

  constructor(private readonly opts: RunTrackerOptions) {}

  get openRunCount(): number {
    return this.open.size;
  }

  isOpen(customerId: string, runId: string): boolean {
    return this.open.has(key(customerId, runId));
  }

  /** Spans that were durably written for runs that storage reports as still open. */
  observe(customerId: string, runId: string, spans: { span: MappedSpan; agent_id: string }[], storedSpans = 0): void {
    if (this.stopped) return;
    const k = key(customerId, runId);
    if (this.closing.has(k)) return; // being judged right now; storage flags later arrivals as late
    let run = this.open.get(k);
    if (!run) {
      run = {
        customerId,
        runId,
        agentId: spans[0]?.agent_id ?? 'unknown',
        spans: new Map(),
        partial: false,
        storedSpans: 0,
        rootSeen: false,
        timer: null,
        timerMs: 0,
      };
      this.open.set(k, run);
    }
    run.storedSpans = Math.max(run.storedSpans, storedSpans);
    for (const { span, agent_id } of spans) {
      run.spans.set(span.span_id, span);
      if (span.parent_span_id === null && !run.rootSeen) {
        run.rootSeen = true;
        run.agentId = agent_id; // the root's agent names the run
      }
    }
    this.arm(k, run);
    if (!run.partial) this.opts.onSpans?.(run);
  }

  /** Re-adopts a run left open by an earlier process, completing it when its remaining quiet time has passed. */
  recover(r: { customerId: string; runId: string; agentId: string; rootSeen: boolean; lastSpanAt: number }, now = Date.now()): void {
    const k = key(r.customerId, r.runId);
    if (this.open.has(k)) return;
    const run: OpenRun = {
      customerId: r.customerId,
      runId: r.runId,
      agentId: r.agentId,
      spans: new Map(),
      partial: true,
      storedSpans: 0,
      rootSeen: r.rootSeen,
      timer: null,
      timerMs: 0,
    };
    this.open.set(k, run);
    const wait = (r.rootSeen ? this.opts.graceMs : this.opts.idleMs) - (now - r.lastSpanAt);
    this.arm(k, run, Math.max(0, wait));
  }

  /** Stops all timers; runs stay open in storage and are recovered at the next start. Waits for completions in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const run of this.open.values()) if (run.timer) clearTimeout(run.timer);
    this.open.clear();
    await this.idle();
  }

  /** Resolves when no completion is in flight. */
  async idle(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  private arm(k: string, run: OpenRun, ms?: number): void {
    const wait = ms ?? (run.rootSeen ? this.opts.graceMs : this.opts.idleMs);
    // A new span re-arms the same timer when the wait is unchanged; a root arriving switches idle → grace.
    if (run.timer && ms === undefined && run.timerMs === wait) {
      run.timer.refresh();
      return;
    }
    if (run.timer) clearTimeout(run.timer);
    run.timer = setTimeout(() => this.close(k), wait);
    run.timerMs = wait;
    run.timer.unref();
  }

  private close(k: string): void {
    const run = this.open.get(k);
    if (!run || this.stopped) return;
    this.open.delete(k);
    this.closing.add(k);
    run.timer = null;
    const p = this.opts
      .onClose(run, closingStatus(run.spans.values(), run.rootSeen))
      .then(
        (outcome) => {
          this.failures.delete(k);
          // Not due yet after all (a peer stored a span, or is completing it): ask again later.
          if (outcome && !this.stopped && !this.open.has(k)) {
            this.open.set(k, run);
            this.arm(k, run, Math.max(0, outcome.retryInMs));
          }
        },
        (err) => {
          this.opts.onError?.(err, run);
          this.retryLater(k, run);
        },
      )
      .finally(() => {
        this.closing.delete(k);
        this.inFlight.delete(p);
      });
    this.inFlight.add(p);
  }

  /**
   * A completion that failed (database unreachable, pool exhausted) is tried again with backoff, 1 s doubling up to
   * a minute, while this process runs; the run stays open in storage meanwhile, so a restart recovers it too.
   */
  private retryLater(k: string, run: OpenRun): void {
    if (this.stopped || this.open.has(k)) return;
    const attempt = (this.failures.get(k) ?? 0) + 1;
    this.failures.set(k, attempt);
    this.open.set(k, run);
    this.arm(k, run, Math.min(60_000, 1000 * 2 ** (attempt - 1)));
  }
}

/** How a run ends: stalled when its root never came, errored when the root span errored, else completed. */
export function closingStatus(spans: Iterable<MappedSpan>, rootSeen: boolean): Exclude<RunStatus, 'open'> {
  if (!rootSeen) return 'stalled';
  for (const s of spans) if (s.parent_span_id === null) return s.status === 'error' ? 'errored' : 'completed';
  return 'completed';
}
