import type { MappedSpan } from '../mapping/events.js';
import type { ExitReason, RunStatus } from '../runs/types.js';

/**
 * The one storage contract. Two backends implement it: embedded PGlite (default) and a Postgres server (pg).
 * Every row carries its customer_id and every read takes one: no method returns another customer's data.
 * Errors: a backend throws StorageUnavailableError (retryable → HTTP 503) when the database cannot be reached.
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
  /** The customer's runs, newest first (by when the receiver first saw them), with their signal counts. */
  listRuns(customerId: string, query: RunQuery): Promise<Page<RunSummary>>;
  /** The customer's signals matching the filters, newest first (detected_at, then id). */
  listSignals(customerId: string, query: SignalQuery): Promise<Page<SignalRow>>;

  // --- Failure signals: at most one per (customer_id, run_id, failure_type), ever ---
  /**
   * Stores the signals not stored yet (INSERT … ON CONFLICT DO NOTHING) and returns only those, with id and detected_at.
   * A signal already stored for its (customer_id, run_id, failure_type), by live detection, completion or an earlier
   * process, is skipped: the caller alerts on exactly what this returns.
   */
  saveSignals(rows: NewSignal[]): Promise<SignalRow[]>;
  /** Signals of a run, oldest first. */
  listRunSignals(customerId: string, runId: string): Promise<SignalRow[]>;
  /**
   * At completion, live-detected signals take the step and evidence of the whole run (a live check saw a partial,
   * possibly out-of-order view). Keeps id, detected_live and detected_at; updates only detected_live rows.
   */
  refreshLiveSignals(rows: NewSignal[]): Promise<number>;
  /** One signal by id, for the alert dispatcher (internal: not exposed to any customer-facing read). */
  getSignalForDelivery(id: number): Promise<SignalRow | null>;
}

export type Severity = 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW';

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

export interface AgentSummary {
  agent_id: string;
  /** Latest of: the last span received for one of its runs, its last signal. */
  last_seen: Date | null;
  run_count: number;
  /** Non-shadow signals only (also the severity counts, failure types and sparkline). */
  signal_count: number;
  critical_count: number;
  high_count: number;
  failure_types: Record<string, number>;
  /** 24 counts, oldest first: sparkline[i] counts signals detected in (now − (24 − i) h, now − (23 − i) h]. */
  sparkline: number[];
}

export interface RunQuery extends PageQuery {
  agentId?: string;
  status?: RunStatus;
  /** true: only runs with signals; false: only runs without. */
  hasSignals?: boolean;
  /** Count shadow signals too (signal_count, has_signals). Default false. */
  includeShadow?: boolean;
}

export interface RunSummary {
  run_id: string;
  agent_id: string;
  agent_version: string | null;
  status: RunStatus;
  exit_reason: ExitReason | null;
  /** Span time, unix seconds; for an open run the earliest span start so far. */
  started_at: number | null;
  /** Span time, unix seconds; null while open. */
  ended_at: number | null;
  step_count: number;
  span_count: number;
  signal_count: number;
  created_at: Date;
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

export interface NewSignal {
  customer_id: string;
  run_id: string;
  agent_id: string;
  agent_version: string | null;
  failure_type: string;
  severity: Severity;
  /** 0..1 (stored as REAL: ~7 significant digits). */
  confidence: number;
  step_index: number;
  evidence: Record<string, unknown>;
  /** Shadow signals are stored and shown but never alerted. */
  shadow: boolean;
  /** True when found while the run was still open (live detection), false when found at completion. */
  detected_live: boolean;
  /** Defaults to the database's now(). */
  detected_at?: Date;
}

export interface SignalRow extends NewSignal {
  id: number;
  detected_at: Date;
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
  /** Status of each run touched, after the write (keyed by run_id). */
  runs: Map<string, { status: RunStatus; created: boolean }>;
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
  status: Exclude<RunStatus, 'open'>;
  exit_reason: ExitReason;
  agent_id: string;
  agent_version: string;
  started_at: number | null;
  ended_at: number | null;
  step_count: number;
  /** Baseline contribution of the run (detectors' RunStats), stored only for runs eligible for a baseline. */
  stats?: unknown;
}

/** The database could not be reached or failed transiently: retryable (HTTP 503 + Retry-After). */
export class StorageUnavailableError extends Error {
  override readonly name = 'StorageUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
