import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { isRetryable } from '../errors/index.js';
import { canonicalRunId, createHasher, mapDunetraceEvent, mapSpan, type Hasher } from '../mapping/index.js';
import { Histogram } from '../metrics/histogram.js';
import { RunTracker } from '../runs/tracker.js';
import { Admission } from './admission.js';
import { RunJudging } from './judging.js';
import { mapUnits } from './map-units.js';
import { prepareUnits } from './prepare-units.js';
import { withoutUnusedFacts } from './stored-facts.js';
import type { SplitDiagnosis } from '../runs/split-traces.js';
import type { ConsumeResult, IngestUnit, Judge, MappedUnit, PipelineLogger, SignalSink, StorageAccess } from './types.js';

export interface PipelineOptions {
  storage: StorageAccess;
  /** null: store and track runs, detect nothing. */
  judge: Judge | null;
  sink: SignalSink;
  log: PipelineLogger;
  /** Quiet time after a run's root span before it is judged (DUNETRACE_RUN_GRACE_MS). */
  graceMs: number;
  /** Quiet time after which a run whose root never came is closed as stalled (DUNETRACE_RUN_IDLE_TIMEOUT_MS). */
  idleMs: number;
  /** Write slots in flight and queued before ways in are refused (backpressure). */
  admission?: Admission;
  /** Keyed digests; default SHA-256 (see mapping/hash.ts). */
  hasher?: Hasher;
  /**
   * Several receivers on one database: how often to look for runs a dead peer left open (ms); null: never (one
   * receiver, or an embedded database only this process can open).
   */
  sweepMs?: number | null;
  /** How long a completion claim holds before peers may take the run over (default 30 s). */
  claimLeaseMs?: number;
}

/** A batch from one request of a way in. */
export interface IngestBatch {
  units: readonly IngestUnit[];
  /** Units the way in's decoder already rejected (counted, reported by the way in). */
  rejectedByDecoder?: number;
}

export interface PipelineStats {
  openRuns: number;
  writesInFlight: number;
  writesQueued: number;
  spansAccepted: number;
  spansDuplicate: number;
  spansRejected: number;
  /** Requests refused with a retryable "saturated" answer. */
  exportsThrottled: number;
  runsCompleted: number;
  /** Seconds each completion took: reload if needed, assemble, judge, store signals, close the run. */
  completionSeconds: Histogram;
}

/**
 * The one ingest pipeline every way in feeds (OTLP/HTTP today; OTLP/gRPC, /v1/ingest and the SDK go through it too):
 *
 *   way in: decode + authenticate → consume(units) → map → durable write → run tracking → live / completion judging
 *                                                                         → signals stored once → sink (alerts, SSE)
 *
 * consume() resolves only after the durable commit, so a way in acknowledges nothing that could be lost. It throws
 * only the error model's errors: RetryableError (storage down, saturated) or a bug.
 */
export interface Pipeline {
  /** A write slot: call before reading a request body; release after consume() settled. Throws SaturatedError. */
  admit(): Promise<() => void>;
  consume(batch: IngestBatch): Promise<ConsumeResult>;
  /** Re-adopts runs an earlier process left open (call once storage is open). */
  recover(): Promise<number>;
  /** Stops run timers and waits for completions in flight; open runs stay open in storage for the next start. */
  stop(): Promise<void>;
  stats(): PipelineStats;
}

export function createPipeline(opts: PipelineOptions): Pipeline {
  const admission = opts.admission ?? new Admission(8, 32);
  const hasher = opts.hasher ?? createHasher({});
  const plain = createHasher({}); // run ids are derived the same way by the API: never keyed
  const sha256 = (text: string) => plain.digest(text);
  const mapUnit = (u: IngestUnit) => {
    // Facts no detector of any agent can read are not computed (config reloads take effect on the next export).
    if (u.kind === 'otlp_span') return { run_id: u.span.traceId, span: mapSpan(u.span, { hasher, skipFacts: opts.judge?.uncomputedFacts?.() }) };
    const runId = canonicalRunId(u.event.run_id, sha256);
    return { run_id: runId, span: mapDunetraceEvent(u.event, runId, { hasher, receivedAt: u.receivedAt }) };
  };
  const counters = { spansAccepted: 0, spansDuplicate: 0, spansRejected: 0, runsCompleted: 0 };
  const completionSeconds = new Histogram();
  let lastFailureLog = 0;
  let failedSinceLog = 0;

  // Runs are completed once across all receivers sharing the database: each completion is claimed there first.
  const claim = {
    owner: `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`,
    leaseMs: opts.claimLeaseMs ?? 30_000,
    graceMs: opts.graceMs,
    idleMs: opts.idleMs,
  };

  const tracker: RunTracker = new RunTracker({
    graceMs: opts.graceMs,
    idleMs: opts.idleMs,
    onSpans: (run) => judging.live(run),
    onClose: async (run) => {
      const started = performance.now();
      const c = await opts.storage().claimCompletion(run.customerId, run.runId, claim);
      if (c.state === 'gone') return; // a peer completed it
      if (c.state === 'wait') return { retryInMs: c.retry_in_ms };
      // Peers stored spans this process did not see: judge the whole run, from storage.
      if (c.span_count > run.spans.size) run.partial = true;
      run.rootSeen ||= c.root_seen;
      await judging.complete(run);
      completionSeconds.observe((performance.now() - started) / 1000);
      counters.runsCompleted++;
    },
    // One log line per 10 s while completions fail (an outage must not log a line per run).
    onError: (err, run) => {
      failedSinceLog++;
      const now = Date.now();
      if (now - lastFailureLog < 10_000) return;
      opts.log.error(
        { err: (err as Error)?.message, run_id: run.runId, failed_completions: failedSinceLog },
        'run completions failing; retrying with backoff (the runs stay open in storage)',
      );
      lastFailureLog = now;
      failedSinceLog = 0;
    },
  });
  // A split emitter (runs/split-traces.ts) is reported once per service and scope every 10 minutes, not per export.
  const diagnosed = new Map<string, number>();
  const diagnose = (d: SplitDiagnosis) => {
    const key = `${d.service ?? ''}\u0000${d.scope}`;
    const now = Date.now();
    if (now - (diagnosed.get(key) ?? -Infinity) < 600_000) return;
    diagnosed.set(key, now);
    opts.log.warn({ service: d.service, scope: d.scope, spans: d.spans, grouped: d.grouped, ungrouped: d.ungrouped }, d.advice);
  };
  const judging = new RunJudging(opts.storage, opts.judge, opts.sink, opts.log, (c, r) => tracker.isOpen(c, r));

  /** After a durable write: feed the spans of still-open runs to the tracker (late spans are stored and flagged). */
  const track = (customerId: string, units: MappedUnit[], openRuns: (runId: string) => boolean, stored: (runId: string) => number) => {
    const byRun = new Map<string, MappedUnit[]>();
    for (const u of units) {
      if (!openRuns(u.run_id)) continue;
      let list = byRun.get(u.run_id);
      if (!list) byRun.set(u.run_id, (list = []));
      list.push(u);
    }
    for (const [runId, list] of byRun) tracker.observe(customerId, runId, list, stored(runId));
  };

  /** Runs a peer that died left open: adopted here, and completed (claimed first, like any completion). */
  let sweeping = false;
  const sweep = async () => {
    if (sweeping) return;
    sweeping = true;
    try {
      const rows = await opts.storage().listOverdueRuns({ ...claim, slackMs: Math.max(opts.graceMs, 1_000), limit: 500 });
      for (const r of rows) {
        if (tracker.isOpen(r.customer_id, r.run_id)) continue;
        tracker.recover({ customerId: r.customer_id, runId: r.run_id, agentId: r.agent_id, rootSeen: r.root_seen, lastSpanAt: r.last_span_at });
      }
    } catch (err) {
      if (!isRetryable(err)) opts.log.warn({ err: (err as Error)?.message }, 'looking for runs left open by other receivers failed');
    } finally {
      sweeping = false;
    }
  };
  const sweepTimer = opts.sweepMs ? setInterval(() => void sweep(), opts.sweepMs) : null;
  sweepTimer?.unref();

  return {
    admit: () => admission.acquire(),

    async consume(batch) {
      const prepared = prepareUnits(batch.units);
      for (const d of prepared.diagnoses) diagnose(d);
      const mapped = mapUnits(prepared.units, mapUnit, opts.log);
      const result: ConsumeResult = { accepted: 0, duplicates: 0, rejected: mapped.rejected, reasons: mapped.reasons };
      if (mapped.byCustomer.size > 0) {
        const storage = opts.storage();
        for (const [customerId, units] of mapped.byCustomer) {
          const judge = opts.judge;
          const stored = judge?.unusedFacts ? units.map((u) => withoutUnusedFacts(u, judge.unusedFacts!(u.agent_id))) : units;
          const written = await storage.writeSpans({ customer_id: customerId, spans: stored });
          track(
            customerId,
            units,
            (runId) => written.runs.get(runId)?.status === 'open',
            (runId) => written.runs.get(runId)?.span_count ?? 0,
          );
          result.accepted += written.inserted;
          result.duplicates += written.duplicates;
        }
      }
      counters.spansAccepted += result.accepted;
      counters.spansDuplicate += result.duplicates;
      counters.spansRejected += result.rejected + (batch.rejectedByDecoder ?? 0);
      return result;
    },

    async recover() {
      const rows = await opts.storage().listOpenRuns();
      for (const r of rows) {
        tracker.recover({ customerId: r.customer_id, runId: r.run_id, agentId: r.agent_id, rootSeen: r.root_seen, lastSpanAt: r.last_span_at });
      }
      return rows.length;
    },

    stop: () => {
      if (sweepTimer) clearInterval(sweepTimer);
      return tracker.stop();
    },

    stats: () => ({
      openRuns: tracker.openRunCount,
      writesInFlight: admission.inFlight,
      writesQueued: admission.queued,
      exportsThrottled: admission.refused,
      ...counters,
      completionSeconds,
    }),
  };
}
