/**
 * Row ↔ object mapping for SqlStorage: what the statements of statements.ts take as parameters (objects → jsonb
 * inputs and parameter lists) and what their rows become (rows → the Storage contract's objects). Pure: no I/O.
 * Drivers differ on BIGINT (pg: string, PGlite: number) and on jsonb aggregates (pg may hand back text), hence
 * Number() on every count and id and the JSON.parse fallbacks.
 */
import { fitForPostgres, type AgentIngestSummary, type Evidence, type FailureType, type Severity } from '../model/index.js';
import type { MappedSpan } from '../mapping/events.js';
import { decodeBody, encodeBody, type DecodeOptions } from './codec.js';
import { decodeSpanRow } from './span-rows.js';
import { resolveFactRefs } from './fact-refs.js';
import type { ExitReason, RunStatus } from '../runs/types.js';
import type { AgentSummary, ApiKeyRow, RunClose, RunRow, RunSignal, RunSummary, SpanBatch, StoredSignal, StoredSpan } from './types.js';

// ---------------------------------------------------------------------------------------------------------------
// Objects → statement inputs

/** One element of UPSERT_RUNS_SQL's jsonb input: a run the batch touches. */
export interface RunInput {
  run_id: string;
  agent_id: string;
  agent_version: string | null;
  root_seen: boolean;
  /** Spans of the batch in this run. */
  n: number;
  /** Earliest span start of the batch in this run. */
  min_start: number | null;
}

/** A batch as the ingest statements take it: its runs and its distinct spans. */
export interface SpanWriteInput {
  /** One entry per run, sorted by run_id (lock order). */
  runs: RunInput[];
  spans: { run_id: string; agent_id: string; span: MappedSpan }[];
  /** Spans repeated inside the batch (the first copy is kept). */
  duplicates: number;
}

export function toSpanWriteInput(batch: SpanBatch): SpanWriteInput {
  // A span repeated inside one request: keep the first copy.
  const seen = new Set<string>();
  const spans: SpanWriteInput['spans'] = [];
  const runs = new Map<string, RunInput>();
  let duplicates = 0;
  for (const unit of batch.spans) {
    const { run_id, agent_id, span } = unit;
    const key = `${run_id}/${span.span_id}`;
    if (seen.has(key)) {
      duplicates++;
      continue;
    }
    seen.add(key);
    spans.push(unit);
    const start = Number.isFinite(span.start_time) ? span.start_time : null;
    const run = runs.get(run_id);
    if (run === undefined) {
      runs.set(run_id, { run_id, agent_id, agent_version: span.agent_version, root_seen: span.parent_span_id === null, n: 1, min_start: start });
    } else {
      run.agent_version ??= span.agent_version;
      run.root_seen ||= span.parent_span_id === null;
      run.n++;
      if (start !== null && (run.min_start === null || start < run.min_start)) run.min_start = start;
    }
  }
  const sortedRuns = [...runs.values()].sort((a, b) => (a.run_id < b.run_id ? -1 : a.run_id > b.run_id ? 1 : 0));
  return { runs: sortedRuns, spans, duplicates };
}

/** One element of CLOSE_RUNS_SQL's jsonb input. */
export function closeRunInput(u: RunClose): Record<string, unknown> {
  return {
    customer_id: u.customer_id,
    run_id: u.run_id,
    status: u.status,
    exit_reason: u.exit_reason,
    agent_id: u.agent_id,
    agent_version: u.agent_version,
    started_at: u.started_at,
    ended_at: u.ended_at,
    step_count: u.step_count,
    // Packed like span bodies (codec.ts): a fraction of the jsonb, and every close writes a ring row version.
    stats: u.stats === null || u.stats === undefined ? null : encodeBody(u.stats).toString('hex'),
    ingest_health: u.ingest_health ?? null,
  };
}

/**
 * JSON text for a jsonb parameter. jsonb refuses `\u0000` and lone surrogates ("unsupported Unicode escape
 * sequence"), and one such string — a span name, a tool name in evidence — would fail the whole statement: every run
 * closed with it, every signal saved with it. NULs are dropped and lone surrogates become U+FFFD, as UTF-8 text
 * stores them everywhere else.
 */
export function jsonbText(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' ? fitForPostgres(v) : v));
}

/** INSERT_SIGNALS_SQL's jsonb input. */
export function signalsInput(rows: RunSignal[]): string {
  return jsonbText(
    rows.map((s) => ({
      customer_id: s.customer_id,
      run_id: s.run_id,
      agent_id: s.agent_id,
      agent_version: s.agent_version,
      failure_type: s.failure_type,
      severity: s.severity,
      confidence: s.confidence,
      step_index: s.step_index,
      evidence: s.evidence,
      shadow: s.shadow,
      detected_live: s.detected_live,
      detected_at: s.detected_at?.toISOString() ?? null,
    })),
  );
}

/** REFRESH_LIVE_SIGNALS_SQL's jsonb input: the key and the fields a completion check may refine. */
export function signalRefreshInput(rows: RunSignal[]): string {
  return jsonbText(
    rows.map((s) => ({
      customer_id: s.customer_id,
      run_id: s.run_id,
      failure_type: s.failure_type,
      severity: s.severity,
      confidence: s.confidence,
      step_index: s.step_index,
      evidence: s.evidence,
    })),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Rows → objects

export interface SpanDbRow {
  /** lpad(to_hex(span_key), 16, '0') */
  span_key: string;
  /** TRUE, or NULL (FALSE in rows written before schema 10): not late. */
  late: boolean | null;
  body: Uint8Array;
}

/** A run's stored spans, in (start_time, span_id) order. */
export function toStoredSpans(runId: string, rows: SpanDbRow[], options?: DecodeOptions): StoredSpan[] {
  const out = rows.map((r) => decodeSpanRow(runId, r.span_key, r.late, r.body, options));
  // Digest sets stored as references to another span of the run (fact-refs.ts) become whole sets again.
  resolveFactRefs(new Map(out.map((s, i) => [rows[i].span_key, s.span])));
  return out.sort((a, b) => a.span.start_time - b.span.start_time || (a.span.span_id < b.span.span_id ? -1 : a.span.span_id > b.span.span_id ? 1 : 0));
}

export interface ApiKeyDbRow {
  key_hash: string;
  key_prefix: string;
  agent_id: string | null;
  customer_id: string;
  active: boolean;
  created_at: Date;
  revoked_at: Date | null;
}

export function toApiKey(r: ApiKeyDbRow): ApiKeyRow {
  return {
    key_hash: r.key_hash,
    key_prefix: r.key_prefix,
    agent_id: r.agent_id,
    customer_id: r.customer_id,
    active: r.active,
    created_at: r.created_at,
    revoked_at: r.revoked_at,
  };
}

export interface RunDbRow {
  run_key: string;
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
  last_span_at: number | string;
  created_at: Date;
  closed_at: Date | null;
}

export function toRun(r: RunDbRow): RunRow {
  return {
    customer_id: r.customer_id,
    run_id: r.run_id,
    agent_id: r.agent_id,
    agent_version: r.agent_version,
    status: r.status,
    exit_reason: r.exit_reason,
    started_at: r.started_at === null ? null : Number(r.started_at),
    ended_at: r.ended_at === null ? null : Number(r.ended_at),
    step_count: Number(r.step_count),
    span_count: Number(r.span_count),
    root_seen: r.root_seen,
    last_span_at: Number(r.last_span_at),
    created_at: r.created_at,
    closed_at: r.closed_at,
  };
}

/** A stats column value: jsonb arrives parsed from PGlite and pg, but as text when a driver does not parse it. */
export function fromJsonb(v: unknown): unknown {
  return typeof v === 'string' ? JSON.parse(v) : v;
}

/** A run_stats row: packed (schema 8 on) or the jsonb of rows written before. */
export function fromRunStatsRow(row: { stats: unknown; packed: Uint8Array | null }): unknown {
  return row.packed === null ? fromJsonb(row.stats) : decodeBody(row.packed);
}

/** A count(*) or BIGINT column: a number from PGlite, a string from pg. */
export function toCount(r: { n: number | string }): number {
  return Number(r.n);
}

export interface AgentDbRow {
  agent_id: string;
  run_count: number | string;
  signal_count: number | string;
  critical_count: number | string;
  high_count: number | string;
  last_seen: Date | null;
  total: number | string;
  failure_types: Record<string, number> | string;
  sparkline: Record<string, number> | string;
  ingest_health: AgentIngestSummary | string;
}

/** The summary's counts as numbers (count(*) comes back as a string from some drivers). */
function ingestSummary(v: AgentIngestSummary): AgentIngestSummary {
  const out = {} as AgentIngestSummary;
  for (const k of Object.keys(v) as (keyof AgentIngestSummary)[]) out[k] = Number(v[k]);
  return out;
}

export function toAgentSummary(r: AgentDbRow): AgentSummary {
  const json = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);
  const buckets = json(r.sparkline);
  const sparkline = new Array<number>(24).fill(0);
  // Bucket 0 is the last hour; the sparkline reads oldest first.
  for (const [b, n] of Object.entries(buckets)) {
    const i = Number(b);
    if (i >= 0 && i < 24) sparkline[23 - i] = Number(n);
  }
  const failureTypes: Record<string, number> = {};
  for (const [t, n] of Object.entries(json(r.failure_types))) failureTypes[t] = Number(n);
  return {
    agent_id: r.agent_id,
    last_seen: r.last_seen === null ? null : new Date(r.last_seen),
    run_count: Number(r.run_count),
    signal_count: Number(r.signal_count),
    critical_count: Number(r.critical_count),
    high_count: Number(r.high_count),
    failure_types: failureTypes,
    sparkline,
    ingest_health: ingestSummary(json(r.ingest_health)),
  };
}

export interface RunSummaryDbRow {
  run_id: string;
  agent_id: string;
  agent_version: string | null;
  status: RunStatus;
  exit_reason: ExitReason | null;
  started_at: number | null;
  ended_at: number | null;
  step_count: number;
  span_count: number;
  signal_count: number | string;
  created_at: Date;
}

export function toRunSummary(r: RunSummaryDbRow): RunSummary {
  return {
    run_id: r.run_id,
    agent_id: r.agent_id,
    agent_version: r.agent_version,
    status: r.status,
    exit_reason: r.exit_reason,
    started_at: r.started_at === null ? null : Number(r.started_at),
    ended_at: r.ended_at === null ? null : Number(r.ended_at),
    step_count: Number(r.step_count),
    span_count: Number(r.span_count),
    signal_count: Number(r.signal_count),
    created_at: r.created_at,
  };
}

export interface SignalDbRow {
  id: number | string;
  customer_id: string;
  run_id: string;
  agent_id: string;
  agent_version: string | null;
  // Only this pipeline writes these rows: the stored values have the model's types.
  failure_type: FailureType;
  severity: Severity;
  confidence: number;
  step_index: number;
  evidence: Evidence;
  shadow: boolean;
  detected_live: boolean;
  detected_at: Date;
}

export function toSignal(r: SignalDbRow): StoredSignal {
  return {
    id: Number(r.id),
    customer_id: r.customer_id,
    run_id: r.run_id,
    agent_id: r.agent_id,
    agent_version: r.agent_version,
    failure_type: r.failure_type,
    severity: r.severity,
    confidence: Number(r.confidence),
    step_index: Number(r.step_index),
    evidence: r.evidence,
    shadow: r.shadow,
    detected_live: r.detected_live,
    detected_at: r.detected_at,
  };
}
