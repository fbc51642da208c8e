import type { DiagLogger, TracerProvider } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ProcessorConfigError } from '../processor/index.js';

/**
 * Options of `new Dunetrace(…)`: the original npm SDK's ClientOptions (same names, same environment fallbacks), plus
 * what an OpenTelemetry transport adds. An explicit option wins over the environment, the environment over the DSN.
 */
export interface DunetraceOptions {
  /** Receiver base URL. Env DUNETRACE_ENDPOINT, else the DSN, else http://localhost:8001. */
  endpoint?: string;
  /** Sent as `Authorization: Bearer …`. Env DUNETRACE_API_KEY, else the DSN. */
  apiKey?: string;
  /** `https://<apiKey>@host[:port][/path]`. Env DUNETRACE_DSN. */
  dsn?: string;
  /** Agent id for `dt.trace(fn)` / `@dt.agent()` without one. Env DUNETRACE_AGENT_ID. */
  defaultAgentId?: string;
  /** HMAC-SHA256 key for the content digests (see docs/processor.md). Env DUNETRACE_HASH_KEY. */
  hashKey?: string;
  /**
   * Where the SDK's spans are created. `'global'` (default): the application's registered OpenTelemetry SDK provider,
   * with the Dunetrace processor added to it, when there is one; otherwise a private provider. `'own'`: always a
   * private provider (runs never appear in the application's traces). A provider instance: that one (the processor is
   * added to it when possible; else add `dt.spanProcessor` yourself).
   */
  tracerProvider?: TracerProvider | 'global' | 'own';
  /** Bring your own exporter (tests, a collector); it receives hashed spans only. */
  spanExporter?: SpanExporter;
  /** Delay between a span ending and its export, ms (default 200). */
  flushIntervalMs?: number;
  /** Spans waiting for export; beyond it new spans are dropped and counted (default 2048). */
  bufferSize?: number;
  /** Bound of one export with its retries, and of flush()/shutdown() (default 30000 ms; shutdown takes its own). */
  timeoutMs?: number;
  /** Flush what is queued when the process is about to exit (default true). */
  flushOnExit?: boolean;
  /** Where the SDK's one-line problem reports go (default: console, prefixed "[dunetrace]"); null silences them. */
  logger?: Partial<DiagLogger> | null;
  /** Environment to read the fallbacks from (default process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Original SDK options without a meaning here (no implicit runs, no event emitter, content is hashed whole). Ignored. */
  implicitRuns?: unknown;
  implicitRunIdleS?: unknown;
  emitAsJson?: unknown;
  emitter?: unknown;
  exporter?: unknown;
  maxFieldChars?: unknown;
  redact?: unknown;
  redactKeys?: unknown;
}

export interface ResolvedOptions {
  endpoint: string | undefined;
  apiKey: string | undefined;
  defaultAgentId: string | null;
  hashKey: string | undefined;
  flushOnExit: boolean;
}

const nonEmpty = (v: string | undefined): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

/** Endpoint and key from a DSN (`https://<key>@host[:port][/path]`). */
export function parseDsn(dsn: string): { endpoint: string; apiKey: string | undefined } {
  let url: URL;
  try {
    url = new URL(dsn);
  } catch {
    throw new ProcessorConfigError(`Dunetrace: the DSN is not a URL (expected https://<apiKey>@host[:port][/path])`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ProcessorConfigError('Dunetrace: the DSN must be an http(s) URL');
  const apiKey = url.username !== '' ? decodeURIComponent(url.username) : undefined;
  return { endpoint: `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`, apiKey };
}

export function resolveOptions(opts: DunetraceOptions, env: Readonly<Record<string, string | undefined>>): ResolvedOptions {
  const dsnText = nonEmpty(opts.dsn) ?? nonEmpty(env.DUNETRACE_DSN);
  const dsn = dsnText !== undefined ? parseDsn(dsnText) : undefined;
  return {
    endpoint: nonEmpty(opts.endpoint) ?? nonEmpty(env.DUNETRACE_ENDPOINT) ?? dsn?.endpoint,
    apiKey: nonEmpty(opts.apiKey) ?? nonEmpty(env.DUNETRACE_API_KEY) ?? dsn?.apiKey,
    defaultAgentId: nonEmpty(opts.defaultAgentId) ?? nonEmpty(env.DUNETRACE_AGENT_ID) ?? null,
    hashKey: nonEmpty(opts.hashKey) ?? nonEmpty(env.DUNETRACE_HASH_KEY),
    flushOnExit: opts.flushOnExit !== false,
  };
}

/** A complete DiagLogger: the given methods, the console for problems by default, silence for null. */
export function sdkLogger(logger: Partial<DiagLogger> | null | undefined): DiagLogger {
  const noop = () => {};
  if (logger === null) return { error: noop, warn: noop, info: noop, debug: noop, verbose: noop };
  if (logger === undefined) {
    return {
      error: (msg, ...args) => console.error(`[dunetrace] ${msg}`, ...args),
      warn: (msg, ...args) => console.warn(`[dunetrace] ${msg}`, ...args),
      info: (msg, ...args) => console.info(`[dunetrace] ${msg}`, ...args),
      debug: noop,
      verbose: noop,
    };
  }
  return {
    error: logger.error?.bind(logger) ?? noop,
    warn: logger.warn?.bind(logger) ?? noop,
    info: logger.info?.bind(logger) ?? noop,
    debug: logger.debug?.bind(logger) ?? noop,
    verbose: logger.verbose?.bind(logger) ?? noop,
  };
}
