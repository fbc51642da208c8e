/**
 * 4. Memory. (a) RSS and heap with N open runs held by the receiver's RunTracker, each in a fresh process
 * (bench/memory-child.ts), bytes per open run. (b) Soak (full run only): the receiver process under a steady load at
 * half the measured maximum rate for 10 minutes, its RSS sampled every 10 s; "no growth" = the last third's peak stays
 * within 10 % of the first third's (the working set once warm).
 */
import { mb, quick as quickFlag, rssBytes, runTsChild, settle, startReceiverProcess } from './lib.js';
import type { LoadResult, LoadSpec } from './loadgen.js';
import { createBenchSchema } from './pgserver.js';

export interface OpenRunsCase {
  open_runs: number;
  spans: number;
  rss_before: number;
  rss_after: number;
  heap_before: number;
  heap_after: number;
  heap_bytes_per_run: number;
  rss_bytes_per_run: number;
  observe_us_per_run: number;
}

export interface SoakResult {
  backend: 'postgres' | 'pglite';
  spansPerRequest: number;
  senders: number;
  max_spans_per_s: number;
  target_spans_per_s: number;
  achieved_spans_per_s: number;
  seconds: number;
  /** [seconds since start, RSS bytes] every 10 s. */
  samples: [number, number][];
  working_set: number;
  final_peak: number;
  growth_pct: number;
  /** Least-squares slope over the second half, MB per minute. */
  slope_mb_per_min: number;
  met: boolean;
}

export interface MemoryResults {
  openRuns: OpenRunsCase[];
  soak: SoakResult | { skipped: string };
}

export async function runOpenRuns(quick: boolean): Promise<OpenRunsCase[]> {
  const out: OpenRunsCase[] = [];
  for (const n of quick ? [10_000, 30_000] : [10_000, 100_000]) {
    out.push(await runTsChild<OpenRunsCase>('memory-child.ts', [String(n)], { nodeArgs: ['--expose-gc'] }));
  }
  return out;
}

function slope(points: [number, number][]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den ? num / den : 0;
}

/**
 * The soak: 100-span protobuf requests from 10 senders into the Postgres server (PGlite when there is none), at half
 * of `maxSpansPerS` (the ingest benchmark's figure for that case, or a 10 s measurement made here).
 */
export async function runSoak(opts: { postgres: boolean; maxSpansPerS: number | null; seconds?: number; log: (m: string) => void }): Promise<SoakResult> {
  const seconds = opts.seconds ?? 600;
  const backend = opts.postgres ? 'postgres' : 'pglite';
  const schema = opts.postgres ? await createBenchSchema('_soak') : null;
  const rec = await startReceiverProcess(schema ? { DATABASE_URL: schema.url } : {});
  const spansPerRequest = 100;
  const senders = 10;
  const spec = (duration: number, rate?: number): LoadSpec => ({
    url: rec.url,
    format: 'protobuf',
    connections: senders,
    duration,
    warmup: rate ? 0 : 3,
    rate,
    shape: { kind: 'mixed', spansPerRequest },
    salt: 0x50a4 + duration,
    receiver: true,
  });
  try {
    let max = opts.maxSpansPerS;
    if (!max) {
      opts.log('  soak: measuring the maximum rate first (10 s)');
      max = (await runTsChild<LoadResult>('loadgen.ts', [JSON.stringify(spec(10))])).spans_per_s;
      await settle(rec.url);
    }
    const target = max / 2;
    const rate = Math.max(1, Math.round(target / spansPerRequest));
    opts.log(`  soak: ${seconds} s at ${rate} requests/s (${(rate * spansPerRequest).toFixed(0)} spans/s, half of ${max.toFixed(0)})`);
    const samples: [number, number][] = [];
    const t0 = Date.now();
    const timer = setInterval(() => {
      const at = (Date.now() - t0) / 1000;
      samples.push([Math.round(at), rssBytes(rec.child.pid!)]);
      if (samples.length % 6 === 0) opts.log(`  soak: ${Math.round(at)} s, receiver RSS ${mb(samples.at(-1)![1]).toFixed(0)} MB`);
    }, 10_000);
    const r = await runTsChild<LoadResult>('loadgen.ts', [JSON.stringify(spec(seconds, rate))]).finally(() => clearInterval(timer));
    const third = Math.max(1, Math.floor(samples.length / 3));
    const working = Math.max(...samples.slice(0, third).map((s) => s[1]));
    const finalPeak = Math.max(...samples.slice(-third).map((s) => s[1]));
    const growth = (100 * (finalPeak - working)) / working;
    const half = samples.slice(Math.floor(samples.length / 2));
    const perMin = slope(half.map(([t, b]) => [t / 60, mb(b)]));
    return {
      backend,
      spansPerRequest,
      senders,
      max_spans_per_s: max,
      target_spans_per_s: rate * spansPerRequest,
      achieved_spans_per_s: r.spans_per_s,
      seconds,
      samples,
      working_set: working,
      final_peak: finalPeak,
      growth_pct: growth,
      slope_mb_per_min: perMin,
      met: growth <= 10,
    };
  } finally {
    await rec.stop();
    await schema?.drop();
  }
}

export async function runMemory(opts: { quick?: boolean; postgres: boolean; maxSpansPerS: number | null; log: (m: string) => void }): Promise<MemoryResults> {
  const quick = opts.quick ?? quickFlag;
  const openRuns = await runOpenRuns(quick);
  const soak = quick
    ? { skipped: 'quick run: the 10-minute soak is skipped (run `npm run bench` or `--only memory` without --quick)' }
    : await runSoak({ postgres: opts.postgres, maxSpansPerS: opts.maxSpansPerS, log: opts.log });
  return { openRuns, soak };
}
