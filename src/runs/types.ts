import type { RunEvent } from '../mapping/events.js';

import type { ExitReason, RunStatus } from '../model/index.js';

export type { ExitReason, RunStatus };

/** A run (one trace) assembled from its mapped spans: what detectors judge and the API shows. */
export interface AssembledRun {
  /** 32 lowercase hex: the trace id. */
  run_id: string;
  agent_id: string;
  agent_version: string;
  status: RunStatus;
  /** null while open. */
  exit_reason: ExitReason | null;
  /** Unix epoch seconds. */
  started_at: number | null;
  ended_at: number | null;
  /** Highest step index (run.started is step 0). */
  step_count: number;
  /** Ordered by step_index, then timestamp, then seq. */
  events: RunEvent[];
}
