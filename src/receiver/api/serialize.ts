import { explainSignal } from '../../detectors/index.js';
import type { AgentSummary, Explanation, RunIngestHealth, RunSummary, StoredSignal } from '../../model/index.js';
import type { AssembledRun } from '../../runs/types.js';
import type { Page, RunRow } from '../../storage/types.js';

/** JSON shapes of the REST API (also what the SSE stream sends). Wall-clock times are ISO-8601 strings. */

export interface ApiSignal {
  id: number;
  run_id: string;
  agent_id: string;
  agent_version: string | null;
  failure_type: string;
  severity: string;
  confidence: number;
  step_index: number;
  evidence: Record<string, unknown>;
  shadow: boolean;
  detected_live: boolean;
  detected_at: string;
  explanation: Explanation;
}

export interface ApiPage {
  total: number;
  offset: number;
  limit: number;
  has_more: boolean;
}

export function toApiSignal(s: StoredSignal): ApiSignal {
  return {
    id: s.id,
    run_id: s.run_id,
    agent_id: s.agent_id,
    agent_version: s.agent_version,
    failure_type: s.failure_type,
    severity: s.severity,
    // REAL (float4) read back through float8 shows noise digits (0.8999999761…): 4 decimals is what was stored.
    confidence: Math.round(s.confidence * 10_000) / 10_000,
    step_index: s.step_index,
    evidence: s.evidence,
    shadow: s.shadow,
    detected_live: s.detected_live,
    detected_at: new Date(s.detected_at).toISOString(),
    explanation: explainSignal(s),
  };
}

export function toApiRun(r: RunSummary) {
  return {
    run_id: r.run_id,
    agent_id: r.agent_id,
    agent_version: r.agent_version,
    status: r.status,
    exit_reason: r.exit_reason,
    started_at: r.started_at,
    ended_at: r.ended_at,
    step_count: r.step_count,
    span_count: r.span_count,
    signal_count: r.signal_count,
    has_signals: r.signal_count > 0,
  };
}

export type ApiRun = ReturnType<typeof toApiRun>;

export function toApiAgent(a: AgentSummary) {
  return {
    agent_id: a.agent_id,
    last_seen: a.last_seen ? a.last_seen.toISOString() : null,
    run_count: a.run_count,
    signal_count: a.signal_count,
    critical_count: a.critical_count,
    high_count: a.high_count,
    failure_types: a.failure_types,
    sparkline: a.sparkline,
    ingest_health: a.ingest_health,
  };
}

export function pageInfo(p: Page<unknown>, q: { limit: number; offset: number }): ApiPage {
  return { total: p.total, offset: q.offset, limit: q.limit, has_more: q.offset + p.items.length < p.total };
}

/** GET /v1/runs/{id}: the stored run row, the run assembled from its spans (events), and its signals. */
export function toApiRunDetail(row: RunRow, run: AssembledRun, signals: readonly StoredSignal[], ingestHealth: RunIngestHealth) {
  return {
    run_id: row.run_id,
    agent_id: row.agent_id,
    agent_version: row.agent_version ?? run.agent_version,
    status: row.status,
    exit_reason: row.exit_reason,
    started_at: row.started_at ?? run.started_at,
    ended_at: row.ended_at ?? run.ended_at,
    step_count: row.status === 'open' ? run.step_count : row.step_count,
    span_count: row.span_count,
    events: run.events.map((e) => ({
      event_type: e.event_type,
      step_index: e.step_index,
      timestamp: e.timestamp,
      span_id: e.span_id,
      ...(e.late ? { late: true } : {}),
      payload: e.payload,
    })),
    signals: signals.map(toApiSignal),
    ingest_health: ingestHealth,
  };
}

export type ApiRunDetail = ReturnType<typeof toApiRunDetail>;
