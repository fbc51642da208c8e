import { SseParser } from './sse.js';

/** The CLI's HTTP client for the receiver's REST API: JSON reads and the SSE signal stream, with clear errors. */

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:8001';
/** Sent when no key is configured: a receiver in AUTH_MODE=dev (the loopback default) accepts it. */
export const FALLBACK_DEV_KEY = 'dt_dev_cli';

/** Exit codes of the client commands. */
export const EXIT = { ok: 0, error: 1, usage: 2, unreachable: 3, unauthorized: 4 } as const;

/** An error the CLI reports as `dunetrace: <message>` with its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.error,
    /** The HTTP status the receiver answered, when the error is one. */
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface ClientOptions {
  endpoint: string;
  /** null: none configured (FALLBACK_DEV_KEY is sent). */
  apiKey: string | null;
}

/** --endpoint / DUNETRACE_ENDPOINT, --api-key / DUNETRACE_API_KEY (flags win; empty values count as unset). */
export function clientOptions(flags: { endpoint?: string; 'api-key'?: string }, env: NodeJS.ProcessEnv = process.env): ClientOptions {
  const endpoint = (flags.endpoint || env.DUNETRACE_ENDPOINT || DEFAULT_ENDPOINT).replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new CliError(`invalid --endpoint ${JSON.stringify(endpoint)}: expected a URL such as ${DEFAULT_ENDPOINT}`, EXIT.usage);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new CliError(`invalid --endpoint ${JSON.stringify(endpoint)}: must be http:// or https://`, EXIT.usage);
  return { endpoint, apiKey: flags['api-key'] || env.DUNETRACE_API_KEY || null };
}

/** API parameter → the flag that sets it, so a 400 names what the user typed. */
const FLAG_OF: Record<string, string> = {
  since: '--since',
  severity: '--severity',
  failure_type: '--type',
  agent: '--agent',
  agent_id: '--agent',
  limit: '--limit',
  offset: '--offset',
  status: '--status',
  run_id: 'RUN_ID',
};

type Query = Record<string, string | number | boolean | undefined>;

export interface FollowHandlers {
  /** Each connection (the first and every reconnection) once the server accepted it. */
  onConnected(reconnected: boolean): void;
  onEvent(data: string, id: string | null): void;
  /** The connection dropped after it was up; the client retries after retryMs. */
  onDisconnected(reason: string, retryMs: number): void;
}

export class ApiClient {
  constructor(
    readonly options: ClientOptions,
    private readonly timeoutMs = 30_000,
  ) {}

  private get headers(): Record<string, string> {
    return { authorization: `Bearer ${this.options.apiKey ?? FALLBACK_DEV_KEY}`, 'user-agent': 'dunetrace-cli' };
  }

  url(path: string, query: Query = {}): string {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') qs.set(k, String(v));
    const s = qs.toString();
    return `${this.options.endpoint}${path}${s ? `?${s}` : ''}`;
  }

  /** GET a JSON document; errors become CliErrors with a message for people. */
  async get<T>(path: string, query: Query = {}): Promise<T> {
    const res = await this.send(this.url(path, query), {
      headers: { ...this.headers, accept: 'application/json' },
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await res.text();
    if (!res.ok) throw await this.httpError(res.status, text);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CliError(`unexpected answer from ${this.options.endpoint} (not JSON): is it a dunetrace receiver?`);
    }
  }

  /**
   * Follows the SSE stream until `signal` aborts: reconnects after drops (Last-Event-ID, so nothing is missed or
   * repeated), but fails at once when the first connection fails or the key is refused.
   */
  async follow(path: string, query: Query, handlers: FollowHandlers, signal: AbortSignal): Promise<void> {
    let lastId: string | null = null;
    let retryMs = 3_000;
    let connectedOnce = false;
    let failures = 0;
    let firstConnectedAt: string | null = null;
    while (!signal.aborted) {
      // Reconnecting before any signal arrived (no Last-Event-ID): replay from when we first connected, so signals
      // stored while we were away are not lost.
      if (lastId === null && firstConnectedAt !== null && query.since === undefined) query = { ...query, since: firstConnectedAt };
      let reason: string;
      try {
        const headers: Record<string, string> = { ...this.headers, accept: 'text/event-stream' };
        if (lastId !== null) headers['last-event-id'] = lastId;
        const res = await this.send(this.url(path, query), { headers, signal });
        if (!res.ok) {
          const err = await this.httpError(res.status, await res.text());
          if (!connectedOnce || err.exitCode === EXIT.unauthorized || err.exitCode === EXIT.usage) throw err;
          reason = err.message;
        } else if (!res.body) {
          throw new CliError('the receiver sent no stream body');
        } else {
          handlers.onConnected(connectedOnce);
          connectedOnce = true;
          firstConnectedAt ??= new Date().toISOString();
          failures = 0;
          const parser = new SseParser();
          const decoder = new TextDecoder();
          const reader = res.body.getReader();
          for (;;) {
            const { value, done } = (await reader.read()) as { done: boolean; value?: Uint8Array };
            if (done || !value) break;
            for (const ev of parser.push(decoder.decode(value, { stream: true }))) {
              if (ev.id !== null) lastId = ev.id;
              if (ev.event === 'message') handlers.onEvent(ev.data, ev.id);
            }
          }
          if (parser.retryMs !== null) retryMs = parser.retryMs;
          reason = 'the receiver closed the stream';
        }
      } catch (err) {
        if (signal.aborted) return;
        // Before the first connection every failure is final; after it, only a refused key or a bad request is.
        if (!connectedOnce || (err instanceof CliError && err.exitCode !== EXIT.unreachable)) throw err;
        reason = err instanceof CliError ? err.message : networkReason(err);
      }
      if (signal.aborted) return;
      failures++;
      const wait = Math.min(30_000, retryMs * Math.min(failures, 10));
      handlers.onDisconnected(reason, wait);
      await sleep(wait, signal);
    }
  }

  private async send(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, init);
    } catch (err) {
      if ((err as Error).name === 'AbortError' && (init.signal as AbortSignal | undefined)?.aborted) throw err;
      if ((err as Error).name === 'TimeoutError')
        throw new CliError(`the receiver at ${this.options.endpoint} did not answer within ${this.timeoutMs / 1000} s`, EXIT.unreachable);
      throw new CliError(`cannot reach the receiver at ${this.options.endpoint}: ${networkReason(err)} — is \`dunetrace receiver\` running?`, EXIT.unreachable);
    }
  }

  private async httpError(status: number, text: string): Promise<CliError> {
    let body: { message?: string; parameter?: string; issues?: { parameter: string; message: string }[] } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      /* not JSON */
    }
    const detail = body.message ?? text.slice(0, 200);
    switch (status) {
      case 401: {
        const which = this.options.apiKey
          ? `the key ${this.options.apiKey.slice(0, 12)}… is unknown or revoked`
          : `no key was given (the CLI sent the dev key ${FALLBACK_DEV_KEY}, which only a receiver in AUTH_MODE=dev accepts); set DUNETRACE_API_KEY or pass --api-key`;
        return new CliError(`the receiver refused the API key: ${which}`, EXIT.unauthorized, status);
      }
      case 400: {
        if (body.issues?.length) {
          return new CliError(body.issues.map((i) => `invalid ${FLAG_OF[i.parameter] ?? i.parameter}: ${i.message}`).join('\n'), EXIT.usage, status);
        }
        return new CliError(`the receiver rejected the request: ${detail}`, EXIT.usage, status);
      }
      case 503:
        return new CliError(`the receiver at ${this.options.endpoint} is not ready (${detail}); retry in a moment`, EXIT.error, status);
      default:
        return new CliError(`the receiver at ${this.options.endpoint} answered ${status}: ${detail}`, EXIT.error, status);
    }
  }
}

/** Why a connection failed, in words: "connection refused", "host not found", … */
export function networkReason(err: unknown): string {
  const cause = (err as { cause?: unknown })?.cause as { code?: string; message?: string; errors?: { code?: string }[] } | undefined;
  const code = cause?.code ?? cause?.errors?.[0]?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'connection timed out';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'connection reset';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    default:
      return cause?.message ?? (err as Error)?.message ?? 'unknown error';
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
