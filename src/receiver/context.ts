import type { FastifyBaseLogger } from 'fastify';
import type { DetectorConfigSource, Pipeline } from '../pipeline/index.js';
import type { Authenticator } from './auth.js';
import type { ReceiverConfig } from './config.js';
import type { SignalHub } from './signal-hub.js';
import type { StorageGate } from './storage-gate.js';

/** What the route plugins share: built once by createReceiver. */
export interface ReceiverContext {
  config: ReceiverConfig;
  /** The database: `storage.get()` throws a retryable StorageUnavailableError until it is open. */
  storage: StorageGate;
  auth: Authenticator;
  /** The one ingest pipeline every way in feeds. */
  pipeline: Pipeline;
  /** The detectors.yml in force (swapped on reload). */
  detectors: DetectorConfigSource;
  /** Every newly stored signal, as it is stored (SSE). */
  signals: SignalHub;
  log: FastifyBaseLogger;
  /** Logs a warning the first time it is seen (e.g. profiling-only *_strindex fields), never per request. */
  warnOnce: (message: string) => void;
}
