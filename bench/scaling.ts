/**
 * 5. Scaling. (a) End to end: runs of 10 vs 1,000 spans, both sent as 10-span requests (a long run arrives over many
 * exports, its root last), cost per span must stay flat. (b) In-process, pure: assembleRun and runDetectors per run for
 * 10/100/1,000-event runs, and the live path an open run goes through on every export (assemble + live detectors
 * over the spans so far) for runs of 10 vs 1,000 spans arriving 10 at a time.
 */
import { liveCheckDue } from '../src/pipeline/index.js';
import { runDetectors } from '../src/detectors/index.js';
import { createHasher, mapSpan, type MappedSpan } from '../src/mapping/index.js';
import { decodeExport } from '../src/otlp/index.js';
import { assembleRun } from '../src/runs/assemble.js';
import { quick as quickFlag, ratio, runTsChild, settle, startReceiverProcess } from './lib.js';
import type { LoadResult, LoadSpec } from './loadgen.js';
import { longRunTemplates, stamp } from './payloads.js';
import { createBenchSchema } from './pgserver.js';

export interface E2eScaling {
  backend: 'postgres' | 'pglite';
  spansPerRequest: number;
  senders: number;
  runs: { runLength: number; spans_per_s: number; us_per_span: number; load: LoadResult }[];
  /** µs/span for 1,000-span runs ÷ µs/span for 10-span runs; flat when ≤ 1.25. */
  ratio: number;
  met: boolean;
}

export interface PureCase {
  spans: number;
  events: number;
  assemble_us: number;
  detectors_us: number;
  detectors_us_per_event: number;
}

export interface LiveCase {
  runLength: number;
  batches: number;
  /** assemble + live detectors after every 10-span batch, summed over the run, per span. */
  us_per_span: number;
}

export interface ScalingResults {
  e2e: E2eScaling;
  pure: PureCase[];
  live: LiveCase[];
  /** live µs/span at 1,000 ÷ at 10. */
  live_ratio: number;
  live_met: boolean;
}

const hasher = createHasher({});

function mappedRun(length: number): MappedSpan[] {
  const [t] = longRunTemplates(length, length, 'protobuf');
  return decodeExport(stamp(t, 1, 1), 'protobuf').spans.map((s) => mapSpan(s, { hasher }));
}

/** Mean µs per call of fn over about `ms` (after one warm-up call; at least `min` calls). */
function timeUs(fn: () => void, ms: number, min = 3): number {
  fn();
  let n = 0;
  const t0 = performance.now();
  while (n < min || performance.now() - t0 < ms) {
    fn();
    n++;
  }
  return ((performance.now() - t0) * 1000) / n;
}

export function runPure(quick: boolean): { pure: PureCase[]; live: LiveCase[] } {
  const ms = quick ? 150 : 1500;
  const pure: PureCase[] = [];
  // Every non-root span gives 2 events (+ run.started and the terminal event): ~10/100/1,000-event runs.
  for (const spans of [5, 50, 500]) {
    const run = mappedRun(spans);
    const input = run.map((span) => ({ span }));
    const opts = { runId: run[0].trace_id, agentId: 'bench-agent', status: 'completed' as const };
    const assembled = assembleRun(input, opts);
    const det = timeUs(() => runDetectors(assembled, { baseline: null }), ms);
    pure.push({
      spans,
      events: assembled.events.length,
      assemble_us: timeUs(() => assembleRun(input, opts), ms),
      detectors_us: det,
      detectors_us_per_event: det / assembled.events.length,
    });
  }
  const live: LiveCase[] = [];
  for (const length of [10, 1000]) {
    const run = mappedRun(length);
    const batches = Math.ceil(length / 10);
    const total = timeUs(
      () => {
        const open = new Map<string, MappedSpan>();
        let checkedAt = 0;
        for (let b = 0; b < batches; b++) {
          for (const s of run.slice(b * 10, b * 10 + 10)) open.set(s.span_id, s);
          // The receiver's own policy (RunPipeline.judgeLive): not every export triggers a live check.
          if (!liveCheckDue(open.size, checkedAt)) continue;
          checkedAt = open.size;
          const a = assembleRun(
            [...open.values()].map((span) => ({ span })),
            { runId: run[0].trace_id, agentId: 'bench-agent', status: 'open' },
          );
          runDetectors(a, { baseline: null, liveOnly: true });
        }
      },
      ms,
      quick ? 1 : 3,
    );
    live.push({ runLength: length, batches, us_per_span: total / length });
  }
  return { pure, live };
}

export async function runE2eScaling(opts: { quick: boolean; postgres: boolean; log: (m: string) => void }): Promise<E2eScaling> {
  const backend = opts.postgres ? 'postgres' : 'pglite';
  const schema = opts.postgres ? await createBenchSchema('_scaling') : null;
  const rec = await startReceiverProcess(schema ? { DATABASE_URL: schema.url } : {});
  const spansPerRequest = 10;
  const senders = 10;
  const runs: E2eScaling['runs'] = [];
  try {
    for (const runLength of [10, 1000]) {
      opts.log(`  scaling: runs of ${runLength} spans in ${spansPerRequest}-span requests, ${backend}`);
      const spec: LoadSpec = {
        url: rec.url,
        format: 'protobuf',
        connections: senders,
        duration: opts.quick ? 3 : 15,
        warmup: opts.quick ? 1 : 3,
        shape: { kind: 'long-run', runLength, spansPerRequest },
        salt: 0x5ca1e000 + runLength,
        receiver: true,
      };
      const load = await runTsChild<LoadResult>('loadgen.ts', [JSON.stringify(spec)]);
      // The 10-span runs complete within the grace; the long runs cut off by the window never get their root (they
      // would wait for the idle timeout), and nothing runs after them: the receiver is stopped instead.
      if (runLength === 10) await settle(rec.url, 30_000);
      runs.push({ runLength, spans_per_s: load.spans_per_s, us_per_span: 1e6 / load.spans_per_s, load });
    }
  } finally {
    await rec.stop();
    await schema?.drop();
  }
  const r = ratio(runs[1].us_per_span, runs[0].us_per_span);
  return { backend, spansPerRequest, senders, runs, ratio: r, met: r <= 1.25 };
}

export async function runScaling(opts: { quick?: boolean; postgres: boolean; log: (m: string) => void }): Promise<ScalingResults> {
  const quick = opts.quick ?? quickFlag;
  const { pure, live } = runPure(quick);
  const e2e = await runE2eScaling({ quick, postgres: opts.postgres, log: opts.log });
  const lr = ratio(live[1].us_per_span, live[0].us_per_span);
  return { e2e, pure, live, live_ratio: lr, live_met: lr <= 1.25 };
}
