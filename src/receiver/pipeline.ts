import type { MappedSpan } from '../mapping/events.js';
import { assembleRun, type AssemblySpan } from '../runs/assemble.js';
import { closingStatus, RunTracker, type OpenRun } from '../runs/tracker.js';
import type { AssembledRun } from '../runs/types.js';
import type { NewSignal, SignalRow, Storage, WriteResult } from '../storage/types.js';

/** Open runs up to this many spans are live-checked on every new span; beyond, geometrically. */
const LIVE_EVERY_SPAN_UP_TO = 64;

/**
 * Whether an open run of `spans` spans, last live-checked at `checkedAt` spans, is due for another live check.
 * Re-judging a growing run on every export would cost O(length²) for long runs: small runs are checked on every new
 * span, larger ones each time they have grown by a quarter (amortised O(1) per span; a loop in a 1,000-span run is
 * then caught within 250 spans rather than at once).
 */
export function liveCheckDue(spans: number, checkedAt: number): boolean {
  return spans <= LIVE_EVERY_SPAN_UP_TO || spans >= checkedAt * 1.25;
}

/** Runs detectors over a run: all of them at completion, the live subset on an open run. */
export interface Judge {
  judge(run: AssembledRun, ctx: { customerId: string; live: boolean }): Promise<Omit<NewSignal, 'customer_id' | 'run_id' | 'agent_id' | 'agent_version'>[]>;
  /** What a closed run contributes to its agent's baseline (stored with the run), or null. */
  closedRunStats?(customerId: string, run: AssembledRun): unknown;
}

/** Where newly stored signals go (alerts, SSE). Must not throw. */
export type SignalSink = (signals: SignalRow[], run: AssembledRun) => void;

export interface PipelineLogger {
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * The stage after the durable write: tracks open runs, judges them live and on completion, stores signals once
 * per (run, failure_type) and hands new ones to the sink. Owns the RunTracker.
 */
export class RunPipeline {
  readonly tracker: RunTracker;
  private readonly liveBusy = new Set<string>();
  private readonly livePending = new Set<string>();
  /** Span count of each open run at its last live check (weak: forgotten with the run). */
  private readonly liveChecked = new WeakMap<OpenRun, number>();
  private lastFailureLog = 0;
  private failedSinceLog = 0;

  constructor(
    private readonly storage: Storage,
    private readonly judge: Judge | null,
    private readonly sink: SignalSink,
    private readonly log: PipelineLogger,
    opts: { graceMs: number; idleMs: number },
  ) {
    this.tracker = new RunTracker({
      graceMs: opts.graceMs,
      idleMs: opts.idleMs,
      onSpans: (run) => this.judgeLive(run),
      onClose: (run) => this.close(run),
      onError: (err, run) => this.completionFailed(err, run),
    });
  }

  /** One log line per 10 s while completions fail (an outage must not log a line per run). */
  private completionFailed(err: unknown, run: OpenRun): void {
    this.failedSinceLog++;
    const now = Date.now();
    if (now - this.lastFailureLog < 10_000) return;
    this.log.error(
      { err: (err as Error)?.message, run_id: run.runId, failed_completions: this.failedSinceLog },
      'run completions failing; retrying with backoff (the runs stay open in storage)',
    );
    this.lastFailureLog = now;
    this.failedSinceLog = 0;
  }

  /** After writeSpans committed: feed the spans of still-open runs to the tracker. */
  afterWrite(customerId: string, spans: { run_id: string; agent_id: string; span: MappedSpan }[], result: WriteResult): void {
    const byRun = new Map<string, { span: MappedSpan; agent_id: string }[]>();
    for (const s of spans) {
      if (result.runs.get(s.run_id)?.status !== 'open') continue; // late: stored and flagged by storage
      let list = byRun.get(s.run_id);
      if (!list) byRun.set(s.run_id, (list = []));
      list.push({ span: s.span, agent_id: s.agent_id });
    }
    for (const [runId, list] of byRun) this.tracker.observe(customerId, runId, list);
  }

  /** Re-adopts runs left open by an earlier process. */
  async recover(): Promise<number> {
    const rows = await this.storage.listOpenRuns();
    for (const r of rows) {
      this.tracker.recover({ customerId: r.customer_id, runId: r.run_id, agentId: r.agent_id, rootSeen: r.root_seen, lastSpanAt: r.last_span_at });
    }
    return rows.length;
  }

  async stop(): Promise<void> {
    await this.tracker.stop();
  }

  private async close(run: OpenRun): Promise<void> {
    let spans: AssemblySpan[];
    if (run.partial) {
      const stored = await this.storage.loadRunSpans(run.customerId, run.runId);
      spans = stored.filter((s) => !s.late).map((s) => ({ span: s.span }));
      const root = stored.find((s) => s.span.parent_span_id === null);
      if (root) run.agentId = root.agent_id;
    } else {
      spans = [...run.spans.values()].map((span) => ({ span }));
    }
    const status = closingStatus(
      spans.map((s) => s.span),
      run.rootSeen,
    );
    const assembled = assembleRun(spans, { runId: run.runId, agentId: run.agentId, status });
    // Signals first, then the status: once a run is not open its signals are final.
    await this.storeSignals(run.customerId, assembled, false);
    await this.storage.closeRun({
      customer_id: run.customerId,
      run_id: run.runId,
      status: assembled.status as Exclude<typeof assembled.status, 'open'>,
      exit_reason: assembled.exit_reason ?? 'completed',
      agent_id: assembled.agent_id,
      agent_version: assembled.agent_version,
      started_at: assembled.started_at,
      ended_at: assembled.ended_at,
      step_count: assembled.step_count,
      stats: this.judge?.closedRunStats?.(run.customerId, assembled) ?? null,
    });
  }

  /** Live detection on an open run; at most one check in flight per run, later arrivals coalesce into one re-check. */
  private judgeLive(run: OpenRun): void {
    // Live checks are for runs still in flight. Once the root has arrived the run is over and is judged whole
    // within the grace period: judging it as "open" would, e.g., call a finished 60-step run a runaway.
    if (!this.judge || run.rootSeen) return;
    if (!liveCheckDue(run.spans.size, this.liveChecked.get(run) ?? 0)) return;
    const k = `${run.customerId}\u0000${run.runId}`;
    if (this.liveBusy.has(k)) {
      this.livePending.add(k);
      return;
    }
    this.liveBusy.add(k);
    this.liveChecked.set(run, run.spans.size);
    const assembled = assembleRun(
      [...run.spans.values()].map((span) => ({ span })),
      { runId: run.runId, agentId: run.agentId, status: 'open' },
    );
    this.storeSignals(run.customerId, assembled, true)
      .catch((err: unknown) => this.log.warn({ err, run_id: run.runId }, 'live detection failed; the run is judged again at completion'))
      .finally(() => {
        this.liveBusy.delete(k);
        // Re-check only while the run is still open: after completion its signals are final.
        if (this.livePending.delete(k) && this.tracker.isOpen(run.customerId, run.runId)) this.judgeLive(run);
      });
  }

  private async storeSignals(customerId: string, run: AssembledRun, live: boolean): Promise<void> {
    if (!this.judge) return;
    const found = await this.judge.judge(run, { customerId, live });
    if (!found.length) return;
    const rows = found.map((s) => ({ ...s, customer_id: customerId, run_id: run.run_id, agent_id: run.agent_id, agent_version: run.agent_version }));
    const stored = await this.storage.saveSignals(rows);
    if (stored.length) this.sink(stored, run);
    if (!live && stored.length < rows.length) {
      // Already signalled live: keep the one signal (and its alert), but with the whole run's step and evidence.
      const isNew = new Set(stored.map((s) => s.failure_type));
      await this.storage.refreshLiveSignals(rows.filter((r) => !isNew.has(r.failure_type)));
    }
  }
}
