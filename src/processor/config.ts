import type { DiagLogger } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';

/** Options of `DunetraceSpanProcessor`. Each has an environment fallback (see ENV); an explicit option wins. */
export interface DunetraceSpanProcessorOptions {
  /** Receiver base URL; spans are posted to `${endpoint}/v1/traces`. Env DUNETRACE_ENDPOINT, default http://localhost:8001. */
  endpoint?: string;
  /** Sent as `Authorization: Bearer <apiKey>`. Env DUNETRACE_API_KEY. */
  apiKey?: string;
  /** Sets the resource attribute `dunetrace.agent_id` on every exported span. Env DUNETRACE_AGENT_ID. */
  agentId?: string;
  /** HMAC-SHA256 key for content digests instead of bare SHA-256. Env DUNETRACE_HASH_KEY. */
  hashKey?: string;
  /** Bring your own exporter (endpoint/apiKey are then unused). Default: OTLP/HTTP JSON to the receiver. */
  exporter?: SpanExporter;
  /** Spans waiting for export; past it new spans are dropped and counted. Env DUNETRACE_MAX_QUEUE_SIZE, default 2048. */
  maxQueueSize?: number;
  /** Spans per export request. Env DUNETRACE_MAX_EXPORT_BATCH_SIZE, default 512. */
  maxExportBatchSize?: number;
  /** Delay between a span ending and its export (alerting wants it short). Env DUNETRACE_SCHEDULED_DELAY_MILLIS, default 200. */
  scheduledDelayMillis?: number;
  /** Bound of one export, and of forceFlush()/shutdown() as a whole. Env DUNETRACE_EXPORT_TIMEOUT_MILLIS, default 30000. */
  exportTimeoutMillis?: number;
  /** Also export spans that are not part of the agent's behaviour (HTTP, DB, …), redacted too. Env DUNETRACE_PASS_THROUGH_OTHER_SPANS, default false. */
  passThroughOtherSpans?: boolean;
  /** Environment to read the fallbacks from (default: process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Where the once-per-episode problem lines go (default: the OTel `diag` logger, silent unless one is set). */
  logger?: DiagLogger;
}

/** The environment variable of each option. */
export const ENV = {
  endpoint: 'DUNETRACE_ENDPOINT',
  apiKey: 'DUNETRACE_API_KEY',
  agentId: 'DUNETRACE_AGENT_ID',
  hashKey: 'DUNETRACE_HASH_KEY',
  maxQueueSize: 'DUNETRACE_MAX_QUEUE_SIZE',
  maxExportBatchSize: 'DUNETRACE_MAX_EXPORT_BATCH_SIZE',
  scheduledDelayMillis: 'DUNETRACE_SCHEDULED_DELAY_MILLIS',
  exportTimeoutMillis: 'DUNETRACE_EXPORT_TIMEOUT_MILLIS',
  passThroughOtherSpans: 'DUNETRACE_PASS_THROUGH_OTHER_SPANS',
} as const;

/** The defaults, here and nowhere else. */
export const DEFAULTS = {
  endpoint: 'http://localhost:8001',
  maxQueueSize: 2048,
  maxExportBatchSize: 512,
  scheduledDelayMillis: 200,
  exportTimeoutMillis: 30_000,
  passThroughOtherSpans: false,
} as const;

export interface ProcessorConfig {
  /** `${endpoint}/v1/traces`. */
  url: string;
  headers: Record<string, string>;
  agentId: string | null;
  hashKey: string | null;
  maxQueueSize: number;
  maxExportBatchSize: number;
  scheduledDelayMillis: number;
  exportTimeoutMillis: number;
  passThroughOtherSpans: boolean;
  /** Set when maxExportBatchSize was larger than maxQueueSize and was clamped to it. */
  clampedBatchSize: boolean;
}

export class ProcessorConfigError extends TypeError {
  override readonly name = 'ProcessorConfigError';
}

const nonEmpty = (v: string | undefined): string | undefined => (v === undefined || v.trim() === '' ? undefined : v.trim());

/**
 * Resolves options against the environment and defaults; every problem is reported at once (fail fast at
 * construction, never later on the agent's hot path).
 */
export function resolveProcessorConfig(options: DunetraceSpanProcessorOptions = {}, env: Readonly<Record<string, string | undefined>> = {}): ProcessorConfig {
  const problems: string[] = [];

  const text = (key: 'endpoint' | 'apiKey' | 'agentId' | 'hashKey'): string | undefined => {
    const v = options[key];
    if (v !== undefined) {
      if (typeof v !== 'string') problems.push(`${key} must be a string`);
      else if (v.trim() !== '') return v.trim();
      else problems.push(`${key} must not be empty`);
      return undefined;
    }
    return nonEmpty(env[ENV[key]]);
  };

  const int = (key: 'maxQueueSize' | 'maxExportBatchSize' | 'scheduledDelayMillis' | 'exportTimeoutMillis', min: number): number => {
    const opt = options[key];
    const raw = opt !== undefined ? opt : nonEmpty(env[ENV[key]]);
    if (raw === undefined) return DEFAULTS[key];
    const n = typeof raw === 'number' ? raw : /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(n) || n < min) {
      const from = opt !== undefined ? key : `${ENV[key]}=${JSON.stringify(raw)}`;
      problems.push(`${from}: must be an integer >= ${min}`);
      return DEFAULTS[key];
    }
    return n;
  };

  const endpoint = text('endpoint') ?? DEFAULTS.endpoint;
  let url = '';
  try {
    const parsed = new URL(endpoint);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http(s)');
    url = `${endpoint.replace(/\/+$/, '')}/v1/traces`;
  } catch {
    problems.push(`endpoint ${JSON.stringify(endpoint)} is not an http(s) URL`);
  }

  const apiKey = text('apiKey');
  const agentId = text('agentId') ?? null;
  const hashKey = text('hashKey') ?? null;
  const maxQueueSize = int('maxQueueSize', 1);
  let maxExportBatchSize = int('maxExportBatchSize', 1);
  const scheduledDelayMillis = int('scheduledDelayMillis', 0);
  const exportTimeoutMillis = int('exportTimeoutMillis', 1);

  let passThroughOtherSpans: boolean = DEFAULTS.passThroughOtherSpans;
  if (options.passThroughOtherSpans !== undefined) {
    if (typeof options.passThroughOtherSpans !== 'boolean') problems.push('passThroughOtherSpans must be a boolean');
    else passThroughOtherSpans = options.passThroughOtherSpans;
  } else {
    const raw = nonEmpty(env[ENV.passThroughOtherSpans])?.toLowerCase();
    if (raw === 'true' || raw === '1') passThroughOtherSpans = true;
    else if (raw !== undefined && raw !== 'false' && raw !== '0') problems.push(`${ENV.passThroughOtherSpans}=${JSON.stringify(raw)}: must be true or false`);
  }

  if (options.exporter !== undefined && (typeof options.exporter !== 'object' || typeof options.exporter?.export !== 'function')) {
    problems.push('exporter must be a SpanExporter (an object with export())');
  }

  if (problems.length > 0) throw new ProcessorConfigError(`DunetraceSpanProcessor: invalid options:\n  ${problems.join('\n  ')}`);

  // Like BatchSpanProcessorBase: a batch larger than the queue can never fill, so clamp it (with a warning), not throw.
  const clampedBatchSize = maxExportBatchSize > maxQueueSize;
  if (clampedBatchSize) maxExportBatchSize = maxQueueSize;

  return {
    url,
    headers: apiKey !== undefined ? { Authorization: `Bearer ${apiKey}` } : {},
    agentId,
    hashKey,
    maxQueueSize,
    maxExportBatchSize,
    scheduledDelayMillis,
    exportTimeoutMillis,
    passThroughOtherSpans,
    clampedBatchSize,
  };
}
