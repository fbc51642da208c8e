import type { AgentIngestSummary } from './ingest-health.js';

export const RUN_STATUSES = ['open', 'completed', 'errored', 'stalled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export type ClosedRunStatus = Exclude<RunStatus, 'open'>;
export type ExitReason = 'final_answer' | 'completed' | 'error' | 'stalled';

/** One run in a list: its identity, outcome and counts. */
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

/** One agent in a list: activity and non-shadow signal aggregates. */
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
  /** What its newest completed runs' telemetry carried that was not understood (GET /v1/agents/{id}/ingest-health). */
  ingest_health: AgentIngestSummary;
}
