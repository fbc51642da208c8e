/**
 * 6. Storage (issue 13): on the Postgres server, in one run,
 *  - the storage limit: a binary COPY of the very rows the receiver writes for the benchmark's 1,000-span requests
 *    (a runs row per run, a spans row per span with its events packed), one transaction per 1,000 spans, durable
 *    commit, from 1 and 2 connections (the best is the limit); rows pre-encoded, so it measures the database only;
 *  - the storage path: SqlStorage.writeSpans on the same batches in-process (locks, run upsert, COPY) → ratio;
 *  - end to end: the receiver from dist/ in its own process, the load generator in another, 1,000-span requests,
 *    protobuf and JSON, 8 senders (HTTP → decode → map → hash → durable commit → 200, runs judged as they close)
 *    → spans/s ÷ the COPY limit; then, once every run has closed, the schema's size ÷ accepted spans = bytes per span
 *    (tables + indexes + TOAST);
 *  - a retention soak: the receiver with a short DUNETRACE_RETENTION and 1-minute partitions under steady load; the
 *    schema's size every 10 s must level off once the window is full.
 */
import { decodeExport } from '../src/otlp/index.js';
import { createHasher, mapSpan } from '../src/mapping/index.js';
import { BinaryCopyWriter } from '../src/storage/copy-binary.js';
import { openPgQueryable, openPgStorage } from '../src/storage/pg.js';
import { minuteAt } from '../src/storage/partitions.js';
import { encodeSpanBody, SPAN_COPY_TARGET, spanCopyData, spanKeyBytes } from '../src/storage/span-rows.js';
import type { BatchSpan, SpanBatch } from '../src/storage/types.js';
import { health, quick as quickFlag, runTsChild, settle, startReceiverProcess } from './lib.js';
import type { LoadResult, LoadSpec } from './loadgen.js';
import { mixedTemplate, stamp, type Format } from './payloads.js';
import { createBenchSchema, type BenchSchema } from './pgserver.js';

export interface CopyLimit {
  connections: number;
  spans_per_s: number;
  rows_per_s: number;
}

export interface E2eCase {
  format: Format;
  senders: number;
  load: LoadResult;
  spans_per_s: number;
  /** spans_per_s ÷ the COPY limit. */
  ratio: number;
  accepted_spans: number;
  schema_bytes: number;
  bytes_per_span: number;
  /** Of which: per relation family (runs, spans, signals, other), bytes per span. */
  bytes_by_table: Record<string, number>;
  /** Per relation outside the partitions, and per partitioned family (heap, indexes, TOAST), bytes per span. */
  bytes_by_relation: Record<string, number>;
}

export interface SoakResult {
  retention_s: number;
  partition_minutes: number;
  seconds: number;
  target_spans_per_s: number;
  achieved_spans_per_s: number;
  /** [seconds since start, schema bytes] every 10 s. */
  samples: [number, number][];
  /** When the window is full: retention + one partition + one prune interval. */
  full_at_s: number;
  /** Mean size after the window is full, first half vs second half of that period (the size saw-tooths by up to a
   * partition and a prune interval of data; means over several teeth compare like with like). */
  plateau_first_mean: number;
  plateau_last_mean: number;
  growth_pct: number;
  /** Size the same load would have reached with no retention (accepted spans × bytes per span). */
  unbounded_bytes: number;
  met: boolean;
}

export interface StorageResults {
  spans_per_batch: number;
  batches: number;
  copy: CopyLimit[];
  copy_limit_spans_per_s: number;
  write_spans: { connections: number; spans_per_s: number; ratio: number }[];
  e2e: E2eCase[];
  soak: SoakResult | { skipped: string };
  target: {
    ratio: number;
    best_ratio: number | null;
    ratio_met: boolean | null;
    bytes_per_span: number;
    worst_bytes: number | null;
    bytes_met: boolean | null;
  };
  skipped?: string;
}

const SPANS = 1000;
let salt = ((process.pid & 0xffff) << 16) | 0x5700;

/** The benchmark's 1,000-span requests decoded and mapped as the receiver does, as storage batches. */
function batches(n: number, customer: string): SpanBatch[] {
  const t = mixedTemplate(SPANS, 'protobuf');
  const hasher = createHasher({});
  const s = ++salt;
  const out: SpanBatch[] = [];
  for (let i = 1; i <= n; i++) {
    const spans: BatchSpan[] = [];
    for (const span of decodeExport(stamp(t, i, s), 'protobuf').spans) {
      const mapped = mapSpan(span, { hasher });
      spans.push({ run_id: mapped.trace_id, agent_id: mapped.agent_id ?? mapped.service_name ?? 'unknown', span: mapped });
    }
    out.push({ customer_id: customer, spans });
  }
  return out;
}

/** The rows writeSpans would write for each batch (runs and spans), as binary COPY streams. */
function copyStreams(all: SpanBatch[], keyBase: bigint): { runs: Buffer; spans: Buffer }[] {
  let seq = 0n;
  const now = Date.now();
  // Bodies as the receiver writes them: recurring names as string dictionary ids (every name a candidate here).
  const ids = new Map<string, number>();
  const strings = { id: (v: string) => ids.get(v) ?? (ids.set(v, ids.size + 1), ids.size) };
  return all.map((b) => {
    const runs = new Map<string, { key: bigint; n: number; root: boolean; agent: string; version: string | null; min: number }>();
    for (const u of b.spans) {
      let r = runs.get(u.run_id);
      if (!r) runs.set(u.run_id, (r = { key: keyBase | ++seq, n: 0, root: false, agent: u.agent_id, version: u.span.agent_version, min: u.span.start_time }));
      r.n++;
      r.root ||= u.span.parent_span_id === null;
      r.min = Math.min(r.min, u.span.start_time);
    }
    const w = new BinaryCopyWriter();
    for (const [runId, r] of runs) {
      w.row([
        { int8: r.key },
        { text: b.customer_id },
        { text: runId },
        { text: r.agent },
        r.version === null ? null : { text: r.version },
        { text: 'open' },
        { int4: r.n },
        { bool: r.root },
        { int8: BigInt(now) },
        { float8: r.min },
      ]);
    }
    const spans = spanCopyData(
      b.spans.map((u) => ({
        runKey: String(runs.get(u.run_id)!.key),
        spanKey: spanKeyBytes(u.span.span_id),
        late: false,
        body: encodeSpanBody(u.agent_id, now, u.span, { strings }),
      })),
    );
    return { runs: w.finish(), spans };
  });
}

const RUNS_COPY_TARGET = 'runs (run_key, customer_id, run_id, agent_id, agent_version, status, span_count, root_seen, last_span_at, min_start)';

/** Runs `work` for items from `connections` workers at once; returns elapsed seconds. */
async function parallel<T>(items: T[], connections: number, work: (item: T) => Promise<void>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
  return (performance.now() - t0) / 1000;
}

async function schemaBytes(schema: BenchSchema): Promise<{ total: number; byTable: Record<string, number>; byRelation: Record<string, number> }> {
  const db = openPgQueryable({ databaseUrl: schema.url });
  try {
    const r = await db.query<{ name: string; bytes: string; heap: string; indexes: string }>(
      `SELECT c.relname AS name, pg_total_relation_size(c.oid)::text AS bytes, pg_relation_size(c.oid)::text AS heap,
              pg_indexes_size(c.oid)::text AS indexes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = $1 AND c.relkind = 'r'`,
      [schema.schema],
    );
    const byTable: Record<string, number> = {};
    const byRelation: Record<string, number> = {};
    let total = 0;
    for (const row of r.rows) {
      const family = /^(runs|spans|signals)_p\d+/.exec(row.name)?.[1];
      byTable[family ?? 'other'] = (byTable[family ?? 'other'] ?? 0) + Number(row.bytes);
      const name = family ?? row.name;
      const parts = { heap: Number(row.heap), indexes: Number(row.indexes), toast: Number(row.bytes) - Number(row.heap) - Number(row.indexes) };
      for (const [part, n] of Object.entries(parts)) if (n > 0) byRelation[`${name}.${part}`] = (byRelation[`${name}.${part}`] ?? 0) + n;
      total += Number(row.bytes);
    }
    return { total, byTable, byRelation };
  } finally {
    await db.close();
  }
}

/** A fresh schema, migrated, with the partition for runs created now (a one-span write creates it). */
async function freshStorage(suffix: string) {
  const schema = await createBenchSchema(suffix);
  const storage = openPgStorage({ databaseUrl: schema.url, max: 4 });
  await storage.migrate();
  const warm = batches(1, 'warmup')[0];
  await storage.writeSpans({ customer_id: 'warmup', spans: warm.spans.slice(0, 1) });
  return { schema, storage };
}

export async function runStorage(opts: { quick?: boolean; postgres: boolean; log?: (m: string) => void }): Promise<StorageResults> {
  const quick = opts.quick ?? quickFlag;
  const log = opts.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const n = quick ? 12 : 40;
  const empty: StorageResults = {
    spans_per_batch: SPANS,
    batches: n,
    copy: [],
    copy_limit_spans_per_s: NaN,
    write_spans: [],
    e2e: [],
    soak: { skipped: 'no Postgres server' },
    target: { ratio: 0.5, best_ratio: null, ratio_met: null, bytes_per_span: 400, worst_bytes: null, bytes_met: null },
  };
  if (!opts.postgres) return { ...empty, skipped: 'no Postgres server answered' };

  // --- the storage limit: COPY of the same rows ---
  log(`  storage: mapping ${n} × ${SPANS}-span batches (the benchmark's payloads)`);
  const copy: CopyLimit[] = [];
  for (const connections of [1, 2]) {
    const { schema, storage } = await freshStorage(`_copy${connections}`);
    try {
      await storage.close();
      const keyBase = BigInt(minuteAt(Date.now() + 30 * 86_400_000)) << 32n;
      const streams = copyStreams(batches(n, 'copy'), keyBase | (BigInt(connections) << 24n));
      const db = openPgQueryable({ databaseUrl: schema.url, max: connections });
      try {
        log(`  storage: COPY limit, ${connections} connection(s)`);
        const seconds = await parallel(streams, connections, async (s) => {
          await db.transaction(async (tx) => {
            await tx.copyFrom!(RUNS_COPY_TARGET, s.runs);
            await tx.copyFrom!(SPAN_COPY_TARGET, s.spans);
          });
        });
        copy.push({ connections, spans_per_s: (n * SPANS) / seconds, rows_per_s: (n * (SPANS + SPANS / 10)) / seconds });
      } finally {
        await db.close();
      }
    } finally {
      await schema.drop();
    }
  }
  const limit = Math.max(...copy.map((c) => c.spans_per_s));

  // --- the storage path in-process: writeSpans on the same kind of batches ---
  const writeSpans: StorageResults['write_spans'] = [];
  for (const connections of [1, 2]) {
    const { schema, storage } = await freshStorage(`_ws${connections}`);
    try {
      const all = batches(n, 'ws');
      log(`  storage: writeSpans, ${connections} writer(s)`);
      const seconds = await parallel(all, connections, async (b) => {
        await storage.writeSpans(b);
      });
      writeSpans.push({ connections, spans_per_s: (n * SPANS) / seconds, ratio: (n * SPANS) / seconds / limit });
    } finally {
      await storage.close();
      await schema.drop();
    }
  }

  // --- end to end ---
  const e2e: E2eCase[] = [];
  for (const format of ['protobuf', 'json'] as Format[]) e2e.push(await runE2e(format, quick, limit, log));

  const soak = await runSoak(quick, e2e[0]?.bytes_per_span ?? NaN, log);
  const best = e2e.length ? Math.min(...e2e.map((c) => c.ratio)) : null;
  const worst = e2e.length ? Math.max(...e2e.map((c) => c.bytes_per_span)) : null;
  return {
    spans_per_batch: SPANS,
    batches: n,
    copy,
    copy_limit_spans_per_s: limit,
    write_spans: writeSpans,
    e2e,
    soak,
    target: {
      ratio: 0.5,
      best_ratio: best,
      ratio_met: best === null ? null : best >= 0.5,
      bytes_per_span: 400,
      worst_bytes: worst,
      bytes_met: worst === null ? null : worst <= 400,
    },
  };
}

/**
 * End to end for one format: the receiver from dist/ in its own process under 8 senders of 1,000-span requests, then,
 * once every run has closed, the schema's size ÷ accepted spans (tables + indexes + TOAST, every partition).
 */
export async function runE2e(format: Format, quick: boolean, limit: number, log: (m: string) => void): Promise<E2eCase> {
  const t = quick ? { duration: 4, warmup: 1 } : { duration: 15, warmup: 3 };
  const schema = await createBenchSchema(`_e2e_${format}`);
  const rec = await startReceiverProcess({ DATABASE_URL: schema.url });
  try {
    log(`  storage: end to end, ${format}, ${SPANS}-span requests, 8 senders, ${t.duration} s`);
    const spec: LoadSpec = { url: rec.url, format, connections: 8, ...t, shape: { kind: 'mixed', spansPerRequest: SPANS }, salt: ++salt, receiver: true };
    const load = await runTsChild<LoadResult>('loadgen.ts', [JSON.stringify(spec)]);
    await settle(rec.url, quick ? 20_000 : 120_000);
    const accepted = (await health(rec.url)).spans.accepted;
    const size = await schemaBytes(schema);
    const perSpan: Record<string, number> = {};
    for (const [k, v] of Object.entries(size.byTable)) perSpan[k] = v / accepted;
    const perRelation: Record<string, number> = {};
    for (const [k, v] of Object.entries(size.byRelation)) perRelation[k] = v / accepted;
    return {
      format,
      senders: 8,
      load,
      spans_per_s: load.spans_per_s,
      ratio: load.spans_per_s / limit,
      accepted_spans: accepted,
      schema_bytes: size.total,
      bytes_per_span: size.total / accepted,
      bytes_by_table: perSpan,
      bytes_by_relation: perRelation,
    };
  } finally {
    await rec.stop();
    await schema.drop();
  }
}

/** Steady load into a receiver keeping `retention` of data in 1-minute partitions; the schema size every 10 s. */
async function runSoak(quick: boolean, bytesPerSpan: number, log: (m: string) => void): Promise<SoakResult> {
  const retention = quick ? 60 : 120;
  const seconds = quick ? 270 : 480;
  const rate = 2; // 1,000-span requests per second: 2,000 spans/s
  const schema = await createBenchSchema('_soak');
  const rec = await startReceiverProcess({ DATABASE_URL: schema.url, DUNETRACE_RETENTION: `${retention}s`, DUNETRACE_PARTITION_MINUTES: '1' });
  try {
    log(`  storage: retention soak, ${seconds} s at ${rate * SPANS} spans/s, DUNETRACE_RETENTION=${retention}s, 1-minute partitions`);
    const spec: LoadSpec = {
      url: rec.url,
      format: 'protobuf',
      connections: 4,
      duration: seconds,
      warmup: 0,
      rate,
      shape: { kind: 'mixed', spansPerRequest: SPANS },
      salt: ++salt,
      receiver: true,
    };
    const samples: [number, number][] = [];
    const t0 = performance.now();
    const loading = runTsChild<LoadResult>('loadgen.ts', [JSON.stringify(spec)]);
    let done = false;
    void loading.finally(() => (done = true));
    while (!done) {
      await new Promise((r) => setTimeout(r, 10_000));
      samples.push([Math.round((performance.now() - t0) / 1000), (await schemaBytes(schema)).total]);
    }
    const load = await loading;
    // Full: every partition of the window exists and the first ones have been dropped (retention + a partition + the
    // 30 s prune interval). Size then saw-tooths by up to one partition: compare the means of the two halves after.
    const fullAt = retention + 60 + 30;
    const plateau = samples.filter(([s]) => s >= fullAt);
    const half = Math.floor(plateau.length / 2);
    const mean = (xs: [number, number][]) => xs.reduce((n, [, b]) => n + b, 0) / xs.length;
    const first = plateau.length >= 2 ? mean(plateau.slice(0, half)) : NaN;
    const last = plateau.length >= 2 ? mean(plateau.slice(half)) : NaN;
    const growth = ((last - first) / first) * 100;
    const accepted = (await health(rec.url)).spans.accepted;
    return {
      retention_s: retention,
      partition_minutes: 1,
      seconds,
      target_spans_per_s: rate * SPANS,
      achieved_spans_per_s: load.spans_per_s,
      samples,
      full_at_s: fullAt,
      plateau_first_mean: first,
      plateau_last_mean: last,
      growth_pct: growth,
      unbounded_bytes: accepted * bytesPerSpan,
      met: Number.isFinite(growth) && growth <= 10,
    };
  } finally {
    await rec.stop();
    await schema.drop();
  }
}
