import { assembleRun, type AssemblySpan } from '../runs/assemble.js';
import { hasGaps, runIngestHealth } from '../runs/ingest-health.js';
import { closingStatus, type OpenRun, type RunTracker } from '../runs/tracker.js';
import type { AssembledRun } from '../runs/types.js';
import { liveCheckDue } from './live-check.js';
import type { Judge, PipelineLogger, RunSignal, SignalSink, StorageAccess } from './types.js';

/**
 * The judging stage: live detection on open runs and full judgement at completion. Stores each signal once per
 * (run, failure_type) and hands only newly stored ones to the sink, so alerts and the SSE feed see each once.
 */
export class RunJudging {
  private readonly liveBusy = new Set<string>();
  private readonly livePending = new Set<string>();
  /** Span count of each open run at its last live check (weak: forgotten with the run). */
  private readonly liveChecked = new WeakMap<OpenRun, number>();

  constructor(
    private readonly storage: StorageAccess,
    private readonly judge: Judge | null,
    private readonly sink: SignalSink,
    private readonly log: PipelineLogger,
    private readonly isOpen: RunTracker['isOpen'],
  ) {}

  /** Completion: assemble the whole run (reloading it when this process only saw part), judge, store, then close. */
  async complete(run: OpenRun): Promise<void> {
    const storage = this.storage();
    let spans: AssemblySpan[];
    if (run.partial) {
      const stored = await storage.loadRunSpans(run.customerId, run.runId);
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
    const health = runIngestHealth(
      spans.map((s) => s.span),
      assembled,
    );
    // Signals first, then the status: once a run is not open its signals are final.
    await this.storeSignals(run.customerId, assembled, false);
    await storage.closeRun({
      customer_id: run.customerId,
      run_id: run.runId,
      status,
      exit_reason: assembled.exit_reason ?? 'completed',
      agent_id: assembled.agent_id,
      agent_version: assembled.agent_version,
      started_at: assembled.started_at,
      ended_at: assembled.ended_at,
      step_count: assembled.step_count,
      stats: this.judge?.closedRunStats?.(run.customerId, assembled) ?? null,
      ingest_health: hasGaps(health) ? health : null,
    });
  }

  /** Live detection on an open run; at most one check in flight per run, later arrivals coalesce into one re-check. */
  live(run: OpenRun): void {
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
    this.liveView(run)
      .then((spans) => spans && this.storeSignals(run.customerId, assembleRun(spans, { runId: run.runId, agentId: run.agentId, status: 'open' }), true))
      .catch((err: unknown) => this.log.warn({ err, run_id: run.runId }, 'live detection failed; the run is judged again at completion'))
      .finally(() => {
        this.liveBusy.delete(k);
        // Re-check only while the run is still open: after completion its signals are final.
        if (this.livePending.delete(k) && this.isOpen(run.customerId, run.runId)) this.live(run);
      });
  }

  /**
   * The open run as live detection judges it: the spans this process saw, or — when peers stored spans of it too
   * (several receivers, no routing by trace) — all of them from storage, so a fragment is never judged as the run.
   * null when storage shows the run's root arrived at a peer: the run is over and is judged at completion.
   */
  private async liveView(run: OpenRun): Promise<AssemblySpan[] | null> {
    if (run.storedSpans <= run.spans.size) return [...run.spans.values()].map((span) => ({ span }));
    const stored = (await this.storage().loadRunSpans(run.customerId, run.runId)).filter((s) => !s.late);
    if (stored.some((s) => s.span.parent_span_id === null)) return null;
    return stored.map((s) => ({ span: s.span }));
  }

  private async storeSignals(customerId: string, run: AssembledRun, live: boolean): Promise<void> {
    if (!this.judge) return;
    const found = await this.judge.judge(run, { customerId, live });
    if (!found.length) return;
    const rows: RunSignal[] = found.map((s) => ({
      ...s,
      customer_id: customerId,
      run_id: run.run_id,
      agent_id: run.agent_id,
      agent_version: run.agent_version,
    }));
    const storage = this.storage();
    const stored = await storage.saveSignals(rows);
    if (stored.length) this.sink(stored, run);
    if (!live && stored.length < rows.length) {
      // Already signalled live: keep the one signal (and its alert), but with the whole run's step and evidence.
      const isNew = new Set(stored.map((s) => s.failure_type));
      await storage.refreshLiveSignals(rows.filter((r) => !isNew.has(r.failure_type)));
    }
  }
}
