import type { DunetraceEvent } from '../mapping/dunetrace-events.js';
import type { MappedSpan } from '../mapping/events.js';
import type { RunSignal, Signal, StoredSignal } from '../model/index.js';
import type { OtlpSpan } from '../otlp/model.js';
import type { AssembledRun } from '../runs/types.js';
import type { Storage } from '../storage/types.js';

/**
 * One decoded piece of telemetry, already attributed to a customer by the way in that received it (it authenticated
 * the sender). Ways in only decode and authenticate; the pipeline does everything after. Kinds:
 * - `otlp_span`: a span from OTLP (HTTP protobuf/JSON, gRPC), mapped by the mapping core;
 * - `dunetrace_event`: an event of the original Dunetrace SDKs (POST /v1/ingest), mapped by the same core.
 */
export type IngestUnit = OtlpSpanUnit | DunetraceEventUnit;

export interface DunetraceEventUnit {
  kind: 'dunetrace_event';
  customerId: string;
  keyAgentId: string | null;
  event: DunetraceEvent;
  /** When the request arrived (unix seconds): the time of events sent without one. */
  receivedAt: number;
}

export interface OtlpSpanUnit {
  kind: 'otlp_span';
  customerId: string;
  /** The agent bound to the sender's API key, if any (used when the span names no agent). */
  keyAgentId: string | null;
  span: OtlpSpan;
}

/** What the pipeline did with a batch. Rejected units are reported (partial success), never silently dropped. */
export interface ConsumeResult {
  /** Units newly stored (durably committed). */
  accepted: number;
  /** Units already stored by an earlier delivery (a retried export). */
  duplicates: number;
  rejected: number;
  /** Why units were rejected, each reason once; safe to send back to the sender. */
  reasons: string[];
}

/** A signal as a judge returns it, before it is attributed to its run. */
export type Judged = Signal & { shadow: boolean; detected_live: boolean };

/** Runs detectors over a run: all of them at completion, the live subset on an open run. */
export interface Judge {
  judge(run: AssembledRun, ctx: { customerId: string; live: boolean }): Promise<Judged[]>;
  /** What a closed run contributes to its agent's baseline (stored with the run), or null. */
  closedRunStats?(customerId: string, run: AssembledRun): unknown;
  /** Digest facts none of the agent's detectors can use: not stored (pipeline/stored-facts.ts). */
  unusedFacts?(agentId: string): ReadonlySet<string>;
  /** Digest facts no agent's detectors can use: not even computed by the mapping (MapOptions.skipFacts). */
  uncomputedFacts?(): ReadonlySet<'warrant' | 'arg_leaves' | 'candidates'>;
}

/** Where newly stored signals go (alerts, SSE). Must not throw. */
export type SignalSink = (signals: StoredSignal[], run: AssembledRun) => void;

export interface PipelineLogger {
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * The open storage, or a StorageUnavailableError (retryable) while it is not open yet — a receiver answers at once
 * and its database may come up later.
 */
export type StorageAccess = () => Storage;

/** A mapped unit ready to be written: the run it belongs to and its agent. */
export interface MappedUnit {
  run_id: string;
  agent_id: string;
  span: MappedSpan;
}

export type { RunSignal, StoredSignal };
