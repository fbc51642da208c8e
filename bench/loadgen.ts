/**
 * The load generator: its own process (spawned by the benchmarks), autocannon's programmatic API over keep-alive
 * connections. Payloads are generated once before the clock starts; each request is a copy of a template with fresh
 * trace ids (stamp()), so every request creates new runs instead of colliding with earlier ones.
 *
 * Usage: tsx bench/loadgen.ts '<LoadSpec JSON>' — prints one line `RESULT {…}` (LoadResult) on stdout.
 */
import autocannon from 'autocannon';
import { CONTENT_TYPE, longRunTemplates, mixedTemplate, stamp, type Format, type Template } from './payloads.js';

export interface LoadSpec {
  url: string;
  format: Format;
  connections: number;
  /** Measured seconds. */
  duration: number;
  /** Unmeasured seconds first (JIT, connection pools, caches). */
  warmup: number;
  /** Requests/s over all connections; unset = as fast as the server answers. */
  rate?: number;
  /** 'mixed': whole runs of 10 spans (1 span: one-span runs); 'long-run': runs of runLength spans cut into requests. */
  shape: { kind: 'mixed'; spansPerRequest: number } | { kind: 'long-run'; runLength: number; spansPerRequest: number };
  /** Distinguishes this case's trace ids from every other case's against the same database. */
  salt: number;
  /** The target is a receiver: count durably accepted spans from its /health before and after the window. */
  receiver?: boolean;
}

export interface LoadResult {
  requests: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  seconds: number;
  spansPerRequest: number;
  bodyBytes: number;
  req_per_s: number;
  /** Spans the load generator saw acknowledged (2xx × spans per request) per second of the window. */
  client_spans_per_s: number;
  /** Spans the receiver durably accepted during the window per second (its /health counter), when a receiver. */
  server_spans_per_s: number | null;
  /** server_spans_per_s when known (large requests straddle the window edges), else client_spans_per_s. */
  spans_per_s: number;
  latency_ms: { p50: number; p90: number; p99: number; max: number };
  /** Distinct runs started in the measured window (long-run shape: runs partly sent count too). */
  runs: number;
}

interface Schedule {
  spans: number;
  bodyBytes: number;
  /** Body of request number n (n ≥ 1), unique trace ids. */
  body(n: number): Buffer;
}

/** Runs interleaved per connection group for the long-run shape, so one run's requests do not all race each other. */
const INTERLEAVE = 32;

function schedule(spec: LoadSpec): Schedule {
  if (spec.shape.kind === 'mixed') {
    const t = mixedTemplate(spec.shape.spansPerRequest, spec.format);
    return { spans: t.spans, bodyBytes: t.body.length, body: (n) => stamp(t, n, spec.salt) };
  }
  const parts: Template[] = longRunTemplates(spec.shape.runLength, spec.shape.spansPerRequest, spec.format);
  const per = parts.length;
  // Request n → (run, part): INTERLEAVE runs progress side by side, each sending its parts in order.
  return {
    spans: spec.shape.spansPerRequest,
    bodyBytes: parts[0].body.length,
    body: (n) => {
      const k = n - 1;
      const group = Math.floor(k / (INTERLEAVE * per));
      const j = k % (INTERLEAVE * per);
      const run = group * INTERLEAVE + (j % INTERLEAVE) + 1;
      return stamp(parts[Math.floor(j / INTERLEAVE)], run, spec.salt);
    },
  };
}

function fire(spec: LoadSpec, sched: Schedule, seconds: number, next: () => number): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: spec.url,
        connections: spec.connections,
        duration: seconds,
        timeout: 120,
        ...(spec.rate ? { overallRate: spec.rate } : {}),
        requests: [
          {
            method: 'POST',
            path: '/v1/traces',
            headers: { 'content-type': CONTENT_TYPE[spec.format], authorization: 'Bearer dt_dev_bench' },
            setupRequest: (req) => ({ ...req, body: sched.body(next()) }),
          },
        ],
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
  });
}

/** The receiver's accepted-span counter (/health carries it on 200 and on 503). */
async function accepted(url: string): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const h = (await (await fetch(`${url}/health`)).json()) as { spans?: { accepted: number } };
    if (h.spans) return h.spans.accepted;
    if (attempt >= 50) throw new Error('/health carries no span counters');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function main() {
  const spec = JSON.parse(process.argv[2]) as LoadSpec;
  const sched = schedule(spec);
  let n = 0;
  const next = () => ++n;
  if (spec.warmup > 0) await fire(spec, sched, spec.warmup, next);
  const first = n + 1;
  const before = spec.receiver ? await accepted(spec.url) : null;
  const t0 = performance.now();
  const r = await fire(spec, sched, spec.duration, next);
  const server = before === null ? null : ((await accepted(spec.url)) - before) / ((performance.now() - t0) / 1000);
  const ok = r['2xx'];
  const seconds = r.duration;
  const runs =
    spec.shape.kind === 'mixed'
      ? (n - first + 1) * Math.max(1, Math.ceil(spec.shape.spansPerRequest / 10))
      : Math.ceil((n - first + 1) / Math.ceil(spec.shape.runLength / spec.shape.spansPerRequest));
  const out: LoadResult = {
    requests: r.requests.total,
    ok,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    seconds,
    spansPerRequest: sched.spans,
    bodyBytes: sched.bodyBytes,
    req_per_s: ok / seconds,
    client_spans_per_s: (ok * sched.spans) / seconds,
    server_spans_per_s: server,
    spans_per_s: server ?? (ok * sched.spans) / seconds,
    latency_ms: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max },
    runs,
  };
  process.stdout.write(`RESULT ${JSON.stringify(out)}\n`);
}

await main();
