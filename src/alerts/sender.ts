import { classifyStatus, parseRetryAfter } from './backoff.js';

/**
 * One HTTP POST, no retries. Never throws: every outcome is a SendResult. Redirects are not followed (a 3xx is a
 * permanent failure), so a signed body never goes to a host nobody configured. The response body is drained and
 * only a short token-like prefix is kept (Slack answers `ok`, `invalid_blocks`, `no_service`…).
 */

export const DEFAULT_SEND_TIMEOUT_MS = 10_000;

export type SendResult =
  | { kind: 'delivered'; status: number; durationMs: number }
  | { kind: 'retryable'; status: number | null; error: string; retryAfterMs: number | null; durationMs: number }
  | { kind: 'permanent'; status: number | null; error: string; durationMs: number };

/** The HTTP transport the dispatcher uses (postJson by default; tests and the receiver may pass another). */
export type PostFn = (url: string, body: string, headers: Record<string, string>, options: { timeoutMs: number; now: () => number }) => Promise<SendResult>;

export interface PostOptions {
  timeoutMs?: number;
  /** Epoch ms, for Retry-After dates. */
  now?: () => number;
}

export async function postJson(url: string, body: string, headers: Record<string, string>, options: PostOptions = {}): Promise<SendResult> {
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? DEFAULT_SEND_TIMEOUT_MS;
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TypeError('not http(s)');
  } catch {
    return { kind: 'permanent', status: null, error: 'invalid url', durationMs: 0 };
  }

  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  timer.unref?.();
  try {
    const res = await fetch(url, { method: 'POST', body, headers, redirect: 'manual', signal: ac.signal });
    const text = await readShort(res);
    const outcome = classifyStatus(res.status);
    const reason = /^[a-z_]{1,64}$/.test(text.trim()) ? ` ${text.trim()}` : '';
    if (outcome === 'delivered') return { kind: 'delivered', status: res.status, durationMs: elapsed() };
    if (outcome === 'retryable') {
      return {
        kind: 'retryable',
        status: res.status,
        error: `http ${res.status}${reason}`,
        retryAfterMs: parseRetryAfter(res.headers.get('retry-after'), now()),
        durationMs: elapsed(),
      };
    }
    return { kind: 'permanent', status: res.status, error: `http ${res.status}${reason}`, durationMs: elapsed() };
  } catch (err) {
    const error = ac.signal.aborted ? `timeout after ${timeoutMs} ms` : `network ${networkCode(err)}`;
    return { kind: 'retryable', status: null, error, retryAfterMs: null, durationMs: elapsed() };
  } finally {
    clearTimeout(timer);
  }
}

async function readShort(res: Response): Promise<string> {
  // Drain small bodies so the keep-alive socket is reused; stop reading (and cancel) past 1 KiB.
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = (await reader.read()) as { done: boolean; value?: Uint8Array };
      if (done || !value) break;
      chunks.push(value);
      size += value.byteLength;
      if (size >= 1_024) {
        await reader.cancel().catch(() => undefined);
        break;
      }
    }
  } catch {
    // A body cut off mid-way: the status is what counts.
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, 64);
}

function networkCode(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; name?: unknown } } | null)?.cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.name === 'string') return cause.name;
  return err instanceof Error ? err.name : 'error';
}
