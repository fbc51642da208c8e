import type { MappedSpan } from '../mapping/events.js';
import type { AgentSummary, ClosedRunStatus, ExitReason, RunIngestHealth, RunSignal, RunStatus, RunSummary, Severity, StoredSignal } from '../model/index.js';

export { StorageUnavailableError } from '../errors/index.js';
export type { AgentSummary, RunSignal, RunSummary, StoredSignal };

/**
 * The one storage contract. Two backends implement it: embedded PGlite (default) and a Postgres server (pg).
 * Every row carries its customer_id and every read takes one: no method returns another customer's data.
 * Errors: a backend throws StorageUnavailableError (a RetryableError of src/errors) when the database cannot be reached.
 */
export interface Storage {
  readonly kind: 'pglite' | 'postgres';
  /** Apply pending versioned migrations (idempotent, safe to call at every start). */
  migrate(): Promise<void>;
  /** Cheap liveness query; throws StorageUnavailableError when the database is not reachable. */
  ping(): Promise<void>;
  /** Waits for in-flight writes, then closes. Safe to call twice. */
  close(): Promise<void>;

  // --- API keys (only the SHA-256 of a key is ever stored) ---
  createApiKey(row: NewApiKey): Promise<void>;
  findApiKey(keyHash: string): Promise<ApiKeyRow | null>;
  /** Marks the key inactive; matches by full key hash. Returns false when no such key. */
  revokeApiKey(keyHash: string): Promise<boolean>;
  listApiKeys(): Promise<ApiKeyRow[]>;

  // --- Ingest: one transaction, multi-row inserts, idempotent on (customer_id, run_id, span_id) ---
  /**
   * Durably writes the batch (resolves only after COMMIT). Creates runs as 'open' when new, bumps last_span_at.
   * A span whose run is no longer open is stored with late = true. A span already stored (exporter retry) is skipped.
   */
  writeSpans(batch: SpanBatch): Promise<WriteResult>;

  // --- Run lifecycle ---
  /** Runs with status 'open' (for restart recovery), with their identity and last activity. */
  listOpenRuns(): Promise<RunRow[]>;
  /**
   * Several receivers on one database: before completing a run, claim it. Exactly one receiver gets 'claimed' for a
   * run at a time, and only once it is due by the database's view (its last span from any receiver). Spans written
   * while a claim holds are stored late.
   */
  claimCompletion(customerId: string, runId: string, options: ClaimOptions): Promise<CompletionClaim>;
  /** Open runs overdue by more than `slackMs` and claimed by nobody alive: a dead receiver's runs, for its peers. */
  listOverdueRuns(options: ClaimOptions & { slackMs: number; limit: number }): Promise<RunRow[]>;
  /** All stored spans of a run, events included, as MappedSpans (late flag per span). */
  loadRunSpans(customerId: string, runId: string): Promise<StoredSpan[]>;
  /** Closes a run: sets status, exit_reason, times, step_count, agent identity, stats. No-op when already closed. */
  closeRun(update: RunClose): Promise<boolean>;
  /** Stats of the agent+version's most recently closed runs that have stats, newest first (baseline input). */
  listRecentRunStats(customerId: string, agentId: string, agentVersion: string, limit: number): Promise<unknown[]>;

  // --- Reads (API) ---
  getRun(customerId: string, runId: string): Promise<RunRow | null>;
  /**
   * The customer's agents (every agent_id seen on a run or a signal) with run and non-shadow signal aggregates, most
   * recently seen first. One statement; failure types and the 24-hour sparkline are computed for the page only.
   */
  listAgents(customerId: string, query: AgentQuery): Promise<Page<AgentSummary>>;
  /**
   * The ingest-health rows of the agent's newest completed runs (at most INGEST_WINDOW_RUNS): how many runs were looked
   * at, and the rows of those that had gaps (clean runs store none). null when the customer has no run of that agent.
   */
  loadAgentIngestHealth(customerId: string, agentId: string): Promise<{ runs_checked: number; rows: RunIngestHealth[] } | null>;
  /** The customer's runs, newest first (by when the receiver first saw them), with their signal counts. */
  listRuns(customerId: string, query: RunQuery): Promise<Page<RunSummary>>;
  /** The customer's signals matching the filters, newest first (detected_at, then id). */
  listSignals(customerId: string, query: SignalQuery): Promise<Page<StoredSignal>>;

  // --- Failure signals: at most one per (customer_id, run_id, failure_type), ever ---
  /**
   * Stores the signals not stored yet (INSERT … ON CONFLICT DO NOTHING) and returns only those, with id and detected_at.
   * A signal already stored for its (customer_id, run_id, failure_type), by live detection, completion or an earlier
   * process, is skipped: the caller alerts on exactly what this returns.
   */
  saveSignals(rows: RunSignal[]): Promise<StoredSignal[]>;
  /** Signals of a run, oldest first. */
  listRunSignals(customerId: string, runId: string): Promise<StoredSignal[]>;
  /**
   * At completion, live-detected signals take the step and evidence of the whole run (a live check saw a partial,
   * possibly out-of-order view). Keeps id, detected_live and detected_at; updates only detected_live rows.
   */
  refreshLiveSignals(rows: RunSignal[]): Promise<number>;
  /** One signal by id, for the alert dispatcher (internal: not exposed to any customer-facing read). */
  getSignalForDelivery(id: number): Promise<StoredSignal | null>;

  // --- Retention: whole time partitions, never row deletes ---
  /**
   * Drops the time partitions whose data has expired (DUNETRACE_RETENTION, or the customer's override): runs, their
   * spans and events, their signals. Open runs are never removed (they move to a live partition). Baseline stats are
   * kept apart (the newest per agent version). dryRun: report only.
   */
  prune(options?: PruneOptions): Promise<PruneReport>;
  /** A customer's retention override in seconds (null: the receiver's default); applies to runs created afterwards. */
  setCustomerRetention(customerId: string, seconds: number | null): Promise<void>;
}

export interface PruneOptions {
  dryRun?: boolean;
  /** Default: the storage's clock. */
  now?: Date;
}

export interface PruneReport {
  dry_run: boolean;
  at: Date;
  /** The expired partitions: what each held (would hold, on a dry run) when pruned. */
  partitions: {
    /** Runs in it expire in [expires_from, expires_to). */
    expires_from: Date;
    expires_to: Date;
    /** Closed runs removed, with their spans (events packed in) and signals. */
    runs: number;
    spans: number;
    signals: number;
    /** Open runs moved to a live partition instead (with their spans and signals). */
    open_runs_kept: number;
  }[];
  /** Partitions that had not expired (left as they were). */
  kept: number;
}

/** One page of a list read: the rows asked for and how many match in all. */
export interface Page<T> {
  items: T[];
  total: number;
}

export interface PageQuery {
  limit: number;
  offset: number;
}

export interface AgentQuery extends PageQuery {
  /** End of the sparkline window (default: the database's now()). */
  now?: Date;
}

export interface RunQuery extends PageQuery {
  agentId?: string;
  status?: RunStatus;
  /** true: only runs with signals; false: only runs without. */
  hasSignals?: boolean;
  /** Count shadow signals too (signal_count, has_signals). Default false. */
  includeShadow?: boolean;
}

export interface SignalQuery extends PageQuery {
  agentId?: string;
  /** Only these severities (e.g. a minimum expanded: HIGH → [HIGH, CRITICAL]). */
  severities?: Severity[];
  failureTypes?: string[];
  /** detected_at ≥ since. */
  since?: Date;
  /** id > afterId (SSE replay after Last-Event-ID). */
  afterId?: number;
  runId?: string;
  /** Default false: shadow signals are left out. */
  includeShadow?: boolean;
}

export interface NewApiKey {
  key_hash: string;
  /** First chars of the key (e.g. "dt_live_1a2b"), for `keys list`; not a secret. */
  key_prefix: string;
  agent_id: string | null;
  customer_id: string;
}

export interface ApiKeyRow extends NewApiKey {
  active: boolean;
  created_at: Date;
  revoked_at: Date | null;
}

export interface SpanBatch {
  customer_id: string;
  spans: BatchSpan[];
}

export interface BatchSpan {
  /** = trace_id */
  run_id: string;
  /** Resolved agent id for this span (resource dunetrace.agent_id → key agent → service.name). */
  agent_id: string;
  span: MappedSpan;
}

export interface WriteResult {
  /** Spans newly stored (not duplicates). */
  inserted: number;
  /** Spans skipped as already stored. */
  duplicates: number;
  /**
   * Each run touched, after the write (keyed by run_id): its status ('closing' while another receiver completes it:
   * the batch's spans of it were stored late), and how many spans it has stored in all, whoever wrote them.
   */
  runs: Map<string, { status: RunStatus | 'closing'; created: boolean; span_count: number }>;
}

/** The outcome of claimCompletion for one run. */
export type CompletionClaim =
  /** This receiver completes the run; `span_count` spans are stored (more than it saw: peers wrote some). */
  | { state: 'claimed'; span_count: number; root_seen: boolean }
  /** Not due yet (a span arrived, here or at a peer) or a peer is completing it: ask again in `retry_in_ms`. */
  | { state: 'wait'; retry_in_ms: number }
  /** Closed already (by a peer), or unknown: nothing to do. */
  | { state: 'gone' };

export interface ClaimOptions {
  /** Who claims (one id per receiver process). */
  owner: string;
  /** How long a claim holds before peers may take the run over (a receiver killed mid-completion). */
  leaseMs: number;
  /** Quiet time a run with its root needs (DUNETRACE_RUN_GRACE_MS), and one without (DUNETRACE_RUN_IDLE_TIMEOUT_MS). */
  graceMs: number;
  idleMs: number;
}

export interface StoredSpan {
  span: MappedSpan;
  late: boolean;
  agent_id: string;
  received_at: Date;
}

export interface RunRow {
  customer_id: string;
  run_id: string;
  agent_id: string;
  agent_version: string | null;
  status: RunStatus;
  exit_reason: ExitReason | null;
  started_at: number | null;
  ended_at: number | null;
  step_count: number;
  span_count: number;
  root_seen: boolean;
  /** Wall-clock time (ms since epoch) the last span of this run was received. */
  last_span_at: number;
  created_at: Date;
  closed_at: Date | null;
}

export interface RunClose {
  customer_id: string;
  run_id: string;
  status: ClosedRunStatus;
  exit_reason: ExitReason;
  agent_id: string;
  agent_version: string;
  started_at: number | null;
  ended_at: number | null;
  step_count: number;
  /** Baseline contribution of the run (detectors' RunStats), stored only for runs eligible for a baseline. */
  stats?: unknown;
  /** What the run's telemetry carried that was not understood; null/absent for a clean run (nothing stored). */
  ingest_health?: RunIngestHealth | null;
}
