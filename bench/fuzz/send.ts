/**
 * Sends fuzz cases to a receiver over real sockets (node:http, @grpc/grpc-js with a passthrough serializer) and judges
 * each answer against the case's expectation. Shared by `npm run fuzz` and the smoke test.
 */
import http from 'node:http';
import * as grpc from '@grpc/grpc-js';
import type { Expect, FuzzCase } from './bodies.js';

const EXPORT = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
const identity = (b: Buffer) => b;

export interface Answer {
  /** HTTP status, or `grpc:<CODE NAME>`, or `error:<code>` when the request got no answer at all. */
  outcome: string;
  ok: boolean;
}

export interface Target {
  httpUrl: string;
  grpcPort: number;
  /** Per-request deadline: a request without an answer by then is a hang. */
  timeoutMs: number;
}

export interface Sender {
  send(c: FuzzCase): Promise<Answer>;
  close(): void;
}

const HTTP_OK: Record<Expect, (s: number) => boolean> = {
  any: (s) => s < 500 && s !== 401 && s !== 403,
  accepted: (s) => s === 200 || s === 202,
  unsupported: (s) => s === 415,
  'too-large': (s) => s === 413,
  malformed: (s) => s === 400,
  unauthenticated: (s) => s === 401,
};

const G = grpc.status;
const GRPC_OK: Record<Expect, (c: grpc.status) => boolean> = {
  any: (c) => c === G.OK || c === G.INVALID_ARGUMENT || c === G.RESOURCE_EXHAUSTED,
  accepted: (c) => c === G.OK,
  unsupported: (c) => c === G.INVALID_ARGUMENT,
  'too-large': (c) => c === G.RESOURCE_EXHAUSTED,
  malformed: (c) => c === G.INVALID_ARGUMENT,
  unauthenticated: (c) => c === G.UNAUTHENTICATED,
};

export function createSender(target: Target): Sender {
  const url = new URL(target.httpUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const address = `127.0.0.1:${target.grpcPort}`;
  // One plain channel, one that gzips every message (the bomb): grpc-js compresses per channel.
  const plain = new grpc.Client(address, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': -1 });
  const gzip = new grpc.Client(address, grpc.credentials.createInsecure(), {
    'grpc.default_compression_algorithm': 2,
    'grpc.max_send_message_length': -1,
  });

  const sendHttp = (c: FuzzCase): Promise<Answer> =>
    new Promise((resolve) => {
      let settled = false;
      const done = (outcome: string, ok: boolean) => {
        if (settled) return;
        settled = true;
        resolve({ outcome, ok });
      };
      const path = c.channel === 'ingest' ? '/v1/ingest' : '/v1/traces';
      const req = http.request(
        { host: url.hostname, port: url.port, method: 'POST', path, agent, headers: { ...c.headers, 'content-length': c.body.length } },
        (res) => {
          const status = res.statusCode ?? 0;
          res.resume(); // drain: the body is not judged, only the status
          res.once('end', () => done(String(status), HTTP_OK[c.expect](status)));
          res.once('error', () => done(String(status), HTTP_OK[c.expect](status)));
        },
      );
      req.setTimeout(target.timeoutMs, () => {
        done('error:TIMEOUT', false);
        req.destroy();
      });
      // A connection closed while the body was still being written is fine once a status has been answered (the
      // response handler resolves first). For a body over the limit it is fine even when the sender never read the
      // 413: the receiver answers from Content-Length and closes without reading the rest, as RFC 9110 §15.5.14
      // allows, and a sender still writing may see EPIPE/ECONNRESET first. Anything else must get an answer.
      req.once('error', (err: NodeJS.ErrnoException) => {
        const refusedUnread = c.expect === 'too-large' && (err.code === 'EPIPE' || err.code === 'ECONNRESET');
        setImmediate(() => done(`error:${err.code ?? err.message}`, refusedUnread));
      });
      req.end(c.body);
    });

  const sendGrpc = (c: FuzzCase): Promise<Answer> =>
    new Promise((resolve) => {
      const metadata = new grpc.Metadata();
      for (const [k, v] of Object.entries(c.headers)) metadata.set(k, v);
      const client = c.grpcGzip ? gzip : plain;
      client.makeUnaryRequest(EXPORT, identity, identity, c.body, metadata, { deadline: Date.now() + target.timeoutMs }, (err) => {
        const code = err ? err.code : G.OK;
        resolve({ outcome: `grpc:${G[code]}`, ok: GRPC_OK[c.expect](code) });
      });
    });

  return {
    send: (c) => (c.channel === 'grpc' ? sendGrpc(c) : sendHttp(c)),
    close() {
      agent.destroy();
      plain.close();
      gzip.close();
    },
  };
}

/** Runs `total` cases through `send` with `concurrency` in flight; `onAnswer` sees every case and its answer. */
export async function pump(
  total: number,
  concurrency: number,
  make: (i: number) => FuzzCase,
  send: (c: FuzzCase) => Promise<Answer>,
  onAnswer: (c: FuzzCase, a: Answer, i: number) => void,
  stop: () => boolean = () => false,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < total && !stop()) {
      const i = next++;
      const c = make(i);
      onAnswer(c, await send(c), i);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/**
 * Reads every accepted run back through the API (GET /v1/runs/:id): it must exist with all its spans (OTLP:
 * span_count) or events (/v1/ingest: at least the events sent). Returns the runs that are missing or short.
 */
export async function missingRuns(httpUrl: string, key: string, runs: { id: string; items: number; channel: string }[], concurrency = 8): Promise<string[]> {
  const missing: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < runs.length) {
      const run = runs[next++];
      const res = await fetch(`${httpUrl}/v1/runs/${encodeURIComponent(run.id)}`, { headers: { authorization: `Bearer ${key}` } });
      const body = res.status === 200 ? ((await res.json()) as { span_count?: number; events?: unknown[] }) : null;
      const got = body ? (run.channel === 'ingest' ? (body.events?.length ?? 0) : (body.span_count ?? 0)) : -1;
      if (run.channel === 'ingest' ? got < run.items : got !== run.items) missing.push(`${run.channel} ${run.id}: HTTP ${res.status}, ${got} of ${run.items}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return missing;
}
