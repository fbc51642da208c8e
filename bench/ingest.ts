/**
 * 1. Ingest, end to end: HTTP on loopback → decode → map → hash → durable write → 200, with the receiver built from
 * dist/ in its own process and the load generator (autocannon) in another, for a matrix of request sizes, concurrent
 * senders, encodings and backends. Baseline in the same run: a bare node:http handler that only reads the body, under
 * the same load generator and payloads.
 */
import { health, quick as quickFlag, ratio, runTsChild, settle, startBareServer, startReceiverProcess } from './lib.js';
import type { LoadResult, LoadSpec } from './loadgen.js';
import type { Format } from './payloads.js';
import { createBenchSchema } from './pgserver.js';

export type Backend = 'postgres' | 'pglite';

export interface IngestCase {
  backend: Backend;
  format: Format;
  spansPerRequest: number;
  senders: number;
  e2e: LoadResult;
  /** Same payloads and senders against the bare handler. */
  bare: LoadResult | null;
  /** e2e spans/s ÷ bare spans/s. */
  ratio: number;
  /** Spans the receiver rejected or that got no 2xx during the case (should be 0). */
  failed: { non2xx: number; errors: number; rejectedSpans: number };
}

export interface IngestResults {
  durationSeconds: number;
  warmupSeconds: number;
  cases: IngestCase[];
  /** Target: ≥ 20,000 spans/s into the Postgres server with 1,000-span requests (best sender count, protobuf). */
  target: { spans_per_s: number; best: number | null; met: boolean | null };
  skipped: string[];
}

interface Matrix {
  backends: Backend[];
  formats: Format[];
  sizes: number[];
  senders: number[];
  /** Cases left out (quick), as predicate. */
  include: (b: Backend, f: Format, size: number, senders: number) => boolean;
}

const FULL: Matrix = { backends: ['postgres', 'pglite'], formats: ['protobuf', 'json'], sizes: [1, 100, 1000], senders: [1, 10, 100], include: () => true };
const QUICK: Matrix = {
  backends: ['postgres', 'pglite'],
  formats: ['protobuf', 'json'],
  sizes: [1, 1000],
  senders: [10],
  include: (b, f, size) => f === 'protobuf' || (b === 'postgres' && size === 1000),
};

let saltSeq = (process.pid & 0xffff) << 16;

function load(url: string, format: Format, spansPerRequest: number, senders: number, t: { duration: number; warmup: number }, receiver: boolean) {
  const spec: LoadSpec = {
    url,
    format,
    connections: senders,
    duration: t.duration,
    warmup: t.warmup,
    shape: { kind: 'mixed', spansPerRequest },
    salt: ++saltSeq,
    receiver,
  };
  return runTsChild<LoadResult>('loadgen.ts', [JSON.stringify(spec)]);
}

export async function runIngest(opts: { quick?: boolean; postgres: boolean; log?: (m: string) => void } = { postgres: true }): Promise<IngestResults> {
  const quick = opts.quick ?? quickFlag;
  const log = opts.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const m = quick ? QUICK : FULL;
  const t = quick ? { duration: 2, warmup: 1 } : { duration: 10, warmup: 3 };
  const skipped: string[] = [];
  const cases: IngestCase[] = [];
  const combos = (b: Backend) =>
    m.formats.flatMap((f) => m.sizes.flatMap((size) => m.senders.filter((c) => m.include(b, f, size, c)).map((c) => ({ f, size, c }))));

  // Baseline first: the bare handler for every (format, size, senders) any backend uses.
  const bareKeys = new Map<string, { f: Format; size: number; c: number }>();
  for (const b of m.backends) for (const x of combos(b)) bareKeys.set(`${x.f}/${x.size}/${x.c}`, x);
  const bare = new Map<string, LoadResult>();
  const server = await startBareServer();
  try {
    for (const [k, x] of bareKeys) {
      log(`  ingest baseline: bare HTTP, ${x.f}, ${x.size} spans/request, ${x.c} senders`);
      bare.set(k, await load(server.url, x.f, x.size, x.c, t, false));
    }
  } finally {
    await server.stop();
  }

  for (const backend of m.backends) {
    if (backend === 'postgres' && !opts.postgres) {
      skipped.push('postgres: no server answered');
      continue;
    }
    const schema = backend === 'postgres' ? await createBenchSchema('_ingest') : null;
    const rec = await startReceiverProcess(schema ? { DATABASE_URL: schema.url } : {});
    try {
      for (const x of combos(backend)) {
        log(`  ingest: ${backend}, ${x.f}, ${x.size} spans/request, ${x.c} senders`);
        const before = (await health(rec.url)).spans.rejected;
        const e2e = await load(rec.url, x.f, x.size, x.c, t, true);
        // Let the runs of this case complete before the next one (quick: only briefly; the figures are a smoke test).
        await settle(rec.url, quick ? 3_000 : 60_000);
        const b = bare.get(`${x.f}/${x.size}/${x.c}`) ?? null;
        cases.push({
          backend,
          format: x.f,
          spansPerRequest: x.size,
          senders: x.c,
          e2e,
          bare: b,
          ratio: b ? ratio(e2e.spans_per_s, b.spans_per_s) : NaN,
          failed: { non2xx: e2e.non2xx, errors: e2e.errors, rejectedSpans: (await health(rec.url)).spans.rejected - before },
        });
      }
    } finally {
      await rec.stop();
      await schema?.drop();
    }
  }

  const pg1000 = cases.filter((c) => c.backend === 'postgres' && c.spansPerRequest === 1000).map((c) => c.e2e.spans_per_s);
  const best = pg1000.length ? Math.max(...pg1000) : null;
  return {
    durationSeconds: t.duration,
    warmupSeconds: t.warmup,
    cases,
    target: { spans_per_s: 20_000, best, met: best === null ? null : best >= 20_000 },
    skipped,
  };
}
