import type { OtlpSpan } from '../otlp/model.js';
import type { MappedSpan } from '../mapping/events.js';
import type { Storage } from '../storage/types.js';
import type { Authenticator } from './auth.js';
import type { ReceiverConfig } from './config.js';
import type { RunPipeline } from './pipeline.js';
import type { SignalHub } from './signal-hub.js';
import type { WriteGate } from './write-gate.js';

/** Counters exposed on /health; cheap, process-local. */
export interface ReceiverMetrics {
  spansAccepted: number;
  spansDuplicate: number;
  spansRejected: number;
  /** Exports refused with 503 because too many writes were already in flight or queued. */
  exportsThrottled: number;
}

/** What the HTTP routes share: built once by createReceiver, passed to each route plugin. */
export interface ReceiverContext {
  config: ReceiverConfig;
  storage: Storage;
  auth: Authenticator;
  pipeline: RunPipeline;
  /** Bounds concurrent ingest writes (backpressure: 503 when saturated). */
  writes: WriteGate;
  /** Every newly stored signal, as it is stored (SSE). */
  signals: SignalHub;
  mapSpan: (span: OtlpSpan) => MappedSpan;
  metrics: ReceiverMetrics;
  /** Logs a warning the first time it is seen (e.g. profiling-only *_strindex fields), never per request. */
  warnOnce: (message: string) => void;
  /** True once migrations ran and the database answered. */
  ready: () => boolean;
}
