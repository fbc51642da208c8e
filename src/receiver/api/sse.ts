import type { ServerResponse } from 'node:http';
import type { FastifyBaseLogger, FastifyReply } from 'fastify';
import type { Severity, StoredSignal } from '../../model/index.js';
import type { SignalHub } from '../signal-hub.js';
import { toApiSignal } from './serialize.js';

/**
 * GET /v1/signals/stream: Server-Sent Events, one `message` event per newly stored signal (`id:` the signal id,
 * `data:` the signal as JSON, exactly as GET /v1/signals shows it), for one customer and filter.
 *
 * - A `retry:` hint first, then a `: heartbeat` comment every heartbeatMs so proxies keep the connection open.
 * - Replay: with `since` (or a Last-Event-ID header, which EventSource sends when it reconnects) the stream first sends
 *   the stored signals after that point (oldest first, at most replayLimit), then the live ones, without duplicates or
 *   gaps: the live subscription is taken before the stored ones are read.
 * - A consumer that stops reading is cut off once maxBufferedBytes are queued for it (it can reconnect with
 *   Last-Event-ID); closeAll() ends every stream so the receiver's close() never waits on one.
 */
export const sseSettings = {
  heartbeatMs: 15_000,
  retryMs: 3_000,
  replayLimit: 500,
  maxBufferedBytes: 1 << 20,
  maxStreams: 1_000,
  maxStreamsPerCustomer: 100,
};

export interface StreamFilter {
  customerId: string;
  agentId?: string;
  severities?: Severity[];
  failureTypes?: string[];
  includeShadow: boolean;
}

export function matchesFilter(f: StreamFilter, s: StoredSignal): boolean {
  return (
    s.customer_id === f.customerId &&
    (f.includeShadow || !s.shadow) &&
    (f.agentId === undefined || s.agent_id === f.agentId) &&
    (f.severities === undefined || f.severities.includes(s.severity)) &&
    (f.failureTypes === undefined || f.failureTypes.includes(s.failure_type))
  );
}

interface OpenStream {
  customerId: string;
  close(comment: string): void;
}

export class SignalStreams {
  private readonly open = new Set<OpenStream>();

  constructor(
    private readonly hub: SignalHub,
    private readonly log: FastifyBaseLogger,
  ) {}

  get size(): number {
    return this.open.size;
  }

  /** Why a new stream for this customer would be refused (too many open), or null. */
  refusal(customerId: string): string | null {
    if (this.open.size >= sseSettings.maxStreams) return `the receiver already serves ${sseSettings.maxStreams} streams`;
    let mine = 0;
    for (const s of this.open) if (s.customerId === customerId) mine++;
    return mine >= sseSettings.maxStreamsPerCustomer ? `at most ${sseSettings.maxStreamsPerCustomer} open streams per customer` : null;
  }

  /** Takes over the response (hijack) and streams until the client goes away or closeAll(). */
  async start(reply: FastifyReply, filter: StreamFilter, replay: (() => Promise<StoredSignal[]>) | null): Promise<void> {
    reply.hijack();
    const res: ServerResponse = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no', // nginx: do not buffer the stream
    });
    res.write(`retry: ${sseSettings.retryMs}\n: connected\n\n`);

    let closed = false;
    let pending: StoredSignal[] | null = replay ? [] : null;
    const send = (s: StoredSignal): void => {
      if (closed) return;
      res.write(`id: ${s.id}\ndata: ${JSON.stringify(toApiSignal(s))}\n\n`);
      if (res.writableLength > sseSettings.maxBufferedBytes) stream.close('slow consumer: reconnect with Last-Event-ID');
    };
    const unsubscribe = this.hub.subscribe((s) => {
      if (!matchesFilter(filter, s)) return;
      try {
        if (pending) pending.push(s);
        else send(s);
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'signal stream write failed');
      }
    });
    const heartbeat = setInterval(() => {
      if (!closed) res.write(': heartbeat\n\n');
    }, sseSettings.heartbeatMs);
    heartbeat.unref();

    const cleanup = (): void => {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      unsubscribe();
      this.open.delete(stream);
    };
    const stream: OpenStream = {
      customerId: filter.customerId,
      close: (comment) => {
        if (closed) return;
        res.end(`: ${comment}\n\n`);
        cleanup();
      },
    };
    this.open.add(stream);
    res.on('close', cleanup);
    res.on('error', cleanup);

    if (replay) {
      const sent = new Set<number>();
      try {
        for (const s of await replay()) {
          send(s);
          sent.add(s.id);
        }
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'signal stream replay failed; streaming live signals only');
        if (!closed) res.write(': replay failed, live signals only\n\n');
      }
      const queued = pending ?? [];
      pending = null;
      for (const s of queued) if (!sent.has(s.id)) send(s);
    }
  }

  /** Ends every open stream (receiver shutdown). */
  closeAll(comment = 'receiver shutting down'): void {
    for (const s of [...this.open]) s.close(comment);
  }
}
