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

  // --- Failure signals: at most one per (customer_id, run_id, failure_type), ever ---
  /**
   * Stores the signals not stored yet (INSERT … ON CONFLICT DO NOTHING) and returns only those, with id and detected_at.
   * A signal already stored for its (customer_id, run_id, failure_type), by live detection, completion or an earlier
   * process, is skipped: the caller alerts on exactly what this returns.
   */
  saveSignals(rows: NewSignal[]): Promise<SignalRow[]>;
  /** Signals of a run, oldest first. */
  listRunSignals(customerId: string, runId: string): Promise<SignalRow[]>;
  /** One signal by id, for the alert dispatcher (internal: not exposed to any customer-facing read). */
  getSignalForDelivery(id: number): Promise<SignalRow | null>;
}

export type Severity = 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW';

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
