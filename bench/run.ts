/**
 * `npm run bench` (build, then this): runs every benchmark, writes bench/results/<date>[-quick].json and appends a
 * Markdown section to BENCHMARKS.md (machine, every figure beside its same-run baseline, ratio, target met or not).
 *
 *   --quick               ~1–2 minutes: smaller matrices and windows, no 10-minute soak (said so in the output)
 *   --only a,b            any of: ingest, processor, alerts, memory, scaling, storage
 *   --note "text"         a line for the report (e.g. "quiet machine", "loaded machine")
 *   --no-markdown         do not append to BENCHMARKS.md
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { runDecode, type DecodeCase } from './decode.js';
import { runIngest, type IngestResults } from './ingest.js';
import { fmt, killChildren, machine, mb, quick, ROOT, runTsProgram, table, verdict } from './lib.js';
import { runMemory, type MemoryResults } from './memory.js';
import { serverVersion } from './pgserver.js';
import { runScaling, type ScalingResults } from './scaling.js';
import { plansMarkdown, runPlans, type Plan } from './plans.js';
import { runStorage, type StorageResults } from './storage.js';

const ALL = ['ingest', 'processor', 'alerts', 'memory', 'scaling', 'storage'] as const;
type Name = (typeof ALL)[number];

function arg(name: string): string | null {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? null) : null;
}

/** Result of a benchmark that is its own program (bench/processor.ts, bench/alerts.ts): its JSON file and its tables. */
interface ExternalResult {
  script: string;
  exitCode: number;
  /** The JSON it wrote to bench/results/ during this run, if any. */
  json: Record<string, unknown> | null;
  /** Markdown table lines it printed. */
  tables: string;
  /** The last line it printed that states its target (used for the verdict when it writes no JSON). */
  targetLine: string | null;
  skipped?: string;
}

async function external(script: string, prefix: string): Promise<ExternalResult> {
  if (!existsSync(path.join(ROOT, 'bench', script)))
    return { script, exitCode: 0, json: null, tables: '', targetLine: null, skipped: `bench/${script} is not there yet` };
  const dir = path.join(ROOT, 'bench/results');
  const started = Date.now();
  const r = await runTsProgram(script, quick ? ['--quick'] : []);
  let json: Record<string, unknown> | null = null;
  if (existsSync(dir)) {
    const fresh = readdirSync(dir)
      .filter((f) => f.startsWith(prefix) && f.endsWith('.json'))
      .map((f) => path.join(dir, f))
      .filter((f) => statSync(f).mtimeMs >= started - 1000)
      .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
    if (fresh[0]) json = JSON.parse(readFileSync(fresh[0], 'utf8')) as Record<string, unknown>;
  }
  const tables = r.output
    .split('\n')
    .filter((l) => l.startsWith('|'))
    .join('\n');
  // The last "target" line, plus the verdict lines printed right after it (one per workload).
  const lines = r.output.split('\n');
  let at = -1;
  for (let i = 0; i < lines.length; i++) if (/target/i.test(lines[i]) && !lines[i].startsWith('|')) at = i;
  const verdicts = at < 0 ? [] : lines.slice(at + 1).filter((l) => /\bmet\b/i.test(l) && !l.startsWith('|'));
  const targetLine = at < 0 ? null : [lines[at], ...verdicts].map((l) => l.trim()).join('; ');
  return { script, exitCode: r.code, json, tables, targetLine };
}

function log(m: string) {
  process.stderr.write(`${m}\n`);
}

async function main() {
  const only = arg('--only');
  const selected = new Set<Name>(only ? (only.split(',').map((s) => s.trim()) as Name[]) : ALL);
  for (const n of selected) if (!ALL.includes(n)) throw new Error(`--only: unknown benchmark ${n} (known: ${ALL.join(', ')})`);
  const started = new Date();
  const pgVersion = await serverVersion();
  const pglite = JSON.parse(readFileSync(path.join(ROOT, 'node_modules/@electric-sql/pglite/package.json'), 'utf8')) as { version: string };
  const env = {
    ...machine(),
    postgres_server: pgVersion ?? 'not reachable (server runs skipped)',
    pglite: `@electric-sql/pglite ${pglite.version}`,
    load_average_at_start: loadavg().map((l) => Number(l.toFixed(2))),
  };
  const mode = quick ? 'quick' : 'full';
  log(`dunetrace benchmarks (${mode}) on ${env.cpu}, ${env.cores} cores, Node ${env.node}, Postgres ${env.postgres_server}, ${env.pglite}`);
  if (quick) log('--quick: smaller matrices and 2–3 s windows; the 10-minute memory soak is SKIPPED. Figures are a smoke test, not results.');

  const results: {
    ingest?: IngestResults & { decode: DecodeCase[] };
    processor?: ExternalResult;
    alerts?: ExternalResult;
    memory?: MemoryResults;
    scaling?: ScalingResults;
    storage?: StorageResults;
    plans?: Plan[];
  } = {};
  const t0 = performance.now();
  const phases: Record<string, number> = {};
  const phase = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    try {
      return await fn();
    } finally {
      phases[name] = Math.round((performance.now() - t) / 100) / 10;
    }
  };
  if (selected.has('ingest')) {
    log('\n[1/5] ingest: decode baselines (in-process)');
    const decode = await phase('decode', async () => runDecode({ quick }));
    log('[1/5] ingest: end to end (receiver process + load generator process)');
    results.ingest = { ...(await phase('ingest', () => runIngest({ quick, postgres: pgVersion !== null, log }))), decode };
  }
  if (selected.has('processor')) {
    log('\n[2/5] processor overhead (bench/processor.ts)');
    results.processor = await phase('processor', () => external('processor.ts', 'processor'));
  }
  if (selected.has('alerts')) {
    log('\n[3/5] alert latency (bench/alerts.ts)');
    results.alerts = await phase('alerts', () => external('alerts.ts', 'alerts'));
  }
  if (selected.has('memory')) {
    log('\n[4/5] memory');
    const maxPg =
      results.ingest?.cases.find(
        (c) => c.backend === (pgVersion ? 'postgres' : 'pglite') && c.format === 'protobuf' && c.spansPerRequest === 100 && c.senders === 10,
      )?.e2e.spans_per_s ?? null;
    results.memory = await phase('memory', () => runMemory({ quick, postgres: pgVersion !== null, maxSpansPerS: maxPg, log }));
  }
  if (selected.has('scaling')) {
    log('\n[5/5] scaling');
    results.scaling = await phase('scaling', () => runScaling({ quick, postgres: pgVersion !== null, log }));
  }
  if (selected.has('storage')) {
    log('\n[6/6] storage: COPY limit, storage path, end to end, bytes per span, retention soak (Postgres server)');
    results.storage = await phase('storage', () => runStorage({ quick, postgres: pgVersion !== null, log }));
    if (pgVersion !== null) results.plans = await phase('plans', () => runPlans({ quick, log }));
  }
  const seconds = (performance.now() - t0) / 1000;

  const out = {
    date: started.toISOString(),
    mode,
    note: arg('--note'),
    seconds,
    phases,
    machine: { ...env, load_average_at_end: loadavg().map((l) => Number(l.toFixed(2))) },
    results,
  };
  const dir = path.join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  // A partial (--only) run never overwrites the day's complete one.
  const file = path.join(dir, `${started.toISOString().slice(0, 10)}${quick ? '-quick' : ''}${only ? `-${[...selected].join('-')}` : ''}.json`);
  writeFileSync(file, JSON.stringify(out, null, 2));
  const md = markdown(out);
  console.log(`\n${md}`);
  if (!process.argv.includes('--no-markdown')) appendFileSync(path.join(ROOT, 'BENCHMARKS.md'), `\n${md}\n`);
  log(`\nwritten ${path.relative(ROOT, file)}${process.argv.includes('--no-markdown') ? '' : ' and appended to BENCHMARKS.md'} (${seconds.toFixed(0)} s)`);
}

function markdown(o: {
  date: string;
  mode: string;
  note: string | null;
  seconds: number;
  phases: Record<string, number>;
  machine: ReturnType<typeof machine> & { postgres_server: string; pglite: string; load_average_at_start: number[]; load_average_at_end: number[] };
  results: {
    ingest?: IngestResults & { decode: DecodeCase[] };
    processor?: ExternalResult;
    alerts?: ExternalResult;
    memory?: MemoryResults;
    scaling?: ScalingResults;
    storage?: StorageResults;
    plans?: Plan[];
  };
}): string {
  const m = o.machine;
  const r = o.results;
  const s: string[] = [];
  s.push(`## ${o.date.slice(0, 16).replace('T', ' ')} UTC — ${o.mode} run${o.note ? ` (${o.note})` : ''}`);
  s.push('');
  s.push(
    `Machine: ${m.cpu}, ${m.cores} cores, Node ${m.node}, Postgres server ${m.postgres_server}, ${m.pglite}. ` +
      `Load average ${m.load_average_at_start.join(' / ')} at start, ${m.load_average_at_end.join(' / ')} at end. ${o.seconds.toFixed(0)} s (${Object.entries(
        o.phases,
      )
        .map(([k, v]) => `${k} ${v.toFixed(0)} s`)
        .join(', ')}).`,
  );
  if (o.mode === 'quick') s.push('', '_Quick run: reduced matrices, 2–3 s windows, memory soak skipped. A smoke test of the harness, not a result._');

  if (r.ingest) {
    const g = r.ingest;
    s.push('', `### 1. Ingest (end to end, ${g.durationSeconds} s windows after ${g.warmupSeconds} s warm-up)`, '');
    s.push(
      table(
        ['backend', 'format', 'spans/req', 'senders', 'spans/s', 'baseline: bare HTTP spans/s', 'ratio', 'p50 ms', 'p99 ms', 'failed'],
        g.cases.map((c) => [
          c.backend,
          c.format,
          c.spansPerRequest,
          c.senders,
          fmt(c.e2e.spans_per_s),
          fmt(c.bare?.spans_per_s),
          fmt(c.ratio, 3),
          c.e2e.ok ? fmt(c.e2e.latency_ms.p50) : 'n/a',
          c.e2e.ok ? fmt(c.e2e.latency_ms.p99) : 'n/a',
          c.failed.non2xx + c.failed.errors + c.failed.rejectedSpans,
        ]),
      ),
    );
    s.push(
      '',
      `Target ≥ 20,000 spans/s into the Postgres server with 1,000-span requests: best ${fmt(g.target.best)} spans/s, ratio ${fmt((g.target.best ?? NaN) / 20_000, 2)} → **${verdict(g.target.met)}**.`,
    );
    if (g.skipped.length) s.push('', `Skipped: ${g.skipped.join('; ')}.`);
    s.push('', '#### Decode, map, hash (in-process, same payloads)', '');
    s.push(
      table(
        ['format', 'spans/req', 'baseline: decode-only spans/s', 'decode spans/s', 'decode+map+hash spans/s', 'ratio (target ≥ 0.50)', 'target'],
        g.decode.map((d) => [
          d.format,
          d.spansPerRequest,
          fmt(d.decode_only_spans_per_s),
          fmt(d.decode_spans_per_s),
          fmt(d.decode_map_hash_spans_per_s),
          fmt(d.ratio, 3),
          verdict(d.met),
        ]),
      ),
    );
    s.push('', 'Decode-only is protobufjs `Type.decode` (protobuf) or `JSON.parse` (JSON).');
  }

  for (const [title, x, target] of [
    ['2. Processor overhead (bench/processor.ts)', r.processor, 'ns per span, target ≤ 1.2× BatchSpanProcessor + OTLPTraceExporter'],
    ['3. Alert latency (bench/alerts.ts)', r.alerts, 'root arrival → webhook, target p99 ≤ 1 s with the default grace'],
  ] as const) {
    if (!x) continue;
    s.push('', `### ${title}`, '', `_${target}._`, '');
    if (x.skipped) s.push(`Skipped: ${x.skipped}.`);
    else {
      s.push(x.tables || '(no table printed)');
      const target: unknown = x.json?.target;
      const t = typeof target === 'object' && target !== null ? (target as { met?: unknown }) : null;
      const fromLine = x.targetLine ? (/NOT MET/i.test(x.targetLine) ? false : /\bMET\b/i.test(x.targetLine) ? true : null) : null;
      const met = typeof t?.met === 'boolean' ? t.met : fromLine;
      if (x.targetLine) s.push('', `\`${x.targetLine}\``);
      s.push('', `Target: **${verdict(met)}**${x.exitCode ? ` (exited with ${x.exitCode})` : ''}.`);
    }
  }

  if (r.memory) {
    s.push(
      '',
      '### 4. Memory',
      '',
      "Open runs held by the receiver's RunTracker (1–3 mapped spans each, their timers), fresh process each; baseline = the same process before the runs.",
      '',
    );
    s.push(
      table(
        ['open runs', 'spans', 'baseline RSS MB', 'RSS MB', 'heap Δ MB', 'heap bytes/run', 'RSS bytes/run', 'observe µs/run'],
        r.memory.openRuns.map((c) => [
          fmt(c.open_runs),
          fmt(c.spans),
          fmt(mb(c.rss_before), 1),
          fmt(mb(c.rss_after), 1),
          fmt(mb(c.heap_after - c.heap_before), 1),
          fmt(c.heap_bytes_per_run),
          fmt(c.rss_bytes_per_run),
          fmt(c.observe_us_per_run, 1),
        ]),
      ),
    );
    const k = r.memory.soak;
    if ('skipped' in k) s.push('', `Soak: SKIPPED — ${k.skipped}.`);
    else {
      s.push(
        '',
        `Soak: ${k.seconds} s into ${k.backend}, ${k.spansPerRequest}-span requests, ${k.senders} senders, at ${fmt(k.target_spans_per_s)} spans/s (half of the measured ${fmt(k.max_spans_per_s)}); achieved ${fmt(k.achieved_spans_per_s)} spans/s.`,
        '',
      );
      s.push(
        table(
          ['working set (first third peak) MB', 'last third peak MB', 'growth', 'slope 2nd half MB/min', 'target: growth ≤ 10 %'],
          [[fmt(mb(k.working_set), 1), fmt(mb(k.final_peak), 1), `${k.growth_pct.toFixed(1)} %`, k.slope_mb_per_min.toFixed(2), verdict(k.met)]],
        ),
      );
      s.push('', `RSS samples (MB, every 10 s): ${k.samples.map(([, b]) => mb(b).toFixed(0)).join(' ')}`);
    }
  }

  if (r.scaling) {
    const c = r.scaling;
    s.push(
      '',
      '### 5. Scaling',
      '',
      `End to end (${c.e2e.backend}, protobuf, ${c.e2e.spansPerRequest}-span requests, ${c.e2e.senders} senders; a long run arrives over many requests, root last):`,
      '',
    );
    s.push(
      table(
        ['run length (spans)', 'spans/s', 'µs per span', 'ratio to 10-span runs (baseline)', 'target: flat (≤ 1.25)'],
        c.e2e.runs.map((x, i) => [
          x.runLength,
          fmt(x.spans_per_s),
          fmt(x.us_per_span, 1),
          i === 0 ? '1.00' : fmt(c.e2e.ratio, 2),
          i === 0 ? '' : verdict(c.e2e.met),
        ]),
      ),
    );
    s.push(
      '',
      'The live path an open run takes on every export (assembleRun + live detectors over all its spans so far), in-process, 10 spans per export:',
      '',
    );
    s.push(
      table(
        ['run length (spans)', 'exports', 'µs per span', 'ratio to 10-span runs (baseline)', 'target: flat (≤ 1.25)'],
        c.live.map((x, i) => [x.runLength, x.batches, fmt(x.us_per_span, 1), i === 0 ? '1.00' : fmt(c.live_ratio, 2), i === 0 ? '' : verdict(c.live_met)]),
      ),
    );
    s.push('', 'Per run, in-process (closed run, all detectors, no baseline):', '');
    s.push(
      table(
        ['spans', 'events', 'assembleRun µs', 'runDetectors µs', 'runDetectors µs/event'],
        c.pure.map((x) => [x.spans, x.events, fmt(x.assemble_us, 1), fmt(x.detectors_us, 1), fmt(x.detectors_us_per_event, 2)]),
      ),
    );
  }
  if (r.storage) s.push('', ...storageMarkdown(r.storage));
  if (r.plans) {
    const indexed = r.plans.filter((p) => p.indexes.length > 0 && !p.seq_scan).length;
    s.push(
      '',
      `#### Query plans (EXPLAIN on the server, ANALYZEd data): ${indexed} of ${r.plans.length} served by indexes without a Seq Scan`,
      '',
      ...plansMarkdown(r.plans),
    );
  }
  return s.join('\n');
}

function storageMarkdown(g: StorageResults): string[] {
  const s: string[] = ['### 6. Storage (Postgres server): ingest vs the COPY limit, bytes per span, retention', ''];
  if (g.skipped) return [...s, `Skipped: ${g.skipped}.`];
  s.push(
    `Baseline: a binary COPY of the rows the receiver writes for the same ${g.spans_per_batch}-span requests (a runs row per run, one spans row per span with its events packed), one durable transaction per request, ${g.batches} requests, rows pre-encoded.`,
    '',
    table(
      ['what', 'connections', 'spans/s', 'baseline: COPY limit spans/s', 'ratio'],
      [
        ...g.copy.map((c) => [
          'COPY of the same rows (baseline)',
          String(c.connections),
          fmt(c.spans_per_s),
          fmt(g.copy_limit_spans_per_s),
          fmt(c.spans_per_s / g.copy_limit_spans_per_s, 2),
        ]),
        ...g.write_spans.map((w) => [
          'storage.writeSpans, in process',
          String(w.connections),
          fmt(w.spans_per_s),
          fmt(g.copy_limit_spans_per_s),
          fmt(w.ratio, 2),
        ]),
        ...g.e2e.map((e) => [`end to end, ${e.format}, ${e.senders} senders`, '-', fmt(e.spans_per_s), fmt(g.copy_limit_spans_per_s), fmt(e.ratio, 3)]),
      ],
    ),
    '',
    `Target ingest ≥ 0.5 of the COPY limit: worst format ${fmt(g.target.best_ratio, 3)} → **${verdict(g.target.ratio_met)}**.`,
    '',
    table(
      ['format', 'accepted spans', 'schema bytes', 'bytes/span', 'runs', 'spans', 'signals', 'other', 'target ≤ 400'],
      g.e2e.map((e) => [
        e.format,
        fmt(e.accepted_spans),
        fmt(e.schema_bytes),
        fmt(e.bytes_per_span),
        fmt(e.bytes_by_table.runs ?? 0),
        fmt(e.bytes_by_table.spans ?? 0),
        fmt(e.bytes_by_table.signals ?? 0),
        fmt(e.bytes_by_table.other ?? 0),
        verdict(e.bytes_per_span <= 400),
      ]),
    ),
    '',
    'bytes/span: the benchmark schema (tables + indexes + TOAST, every partition) after every run closed, ÷ spans accepted; per table family beside it.',
  );
  const k = g.soak;
  if ('skipped' in k) s.push('', `Retention soak: SKIPPED — ${k.skipped}.`);
  else {
    s.push(
      '',
      `Retention soak: ${k.seconds} s at ${fmt(k.target_spans_per_s)} spans/s (achieved ${fmt(k.achieved_spans_per_s)}), DUNETRACE_RETENTION=${k.retention_s}s, ${k.partition_minutes}-minute partitions; the window is full after ${k.full_at_s} s.`,
      '',
      table(
        ['plateau, first half mean MB', 'plateau, second half mean MB', 'growth', 'baseline: same load kept forever MB', 'target: flat (≤ 10 %)'],
        [[fmt(mb(k.plateau_first_mean), 1), fmt(mb(k.plateau_last_mean), 1), `${k.growth_pct.toFixed(1)} %`, fmt(mb(k.unbounded_bytes), 1), verdict(k.met)]],
      ),
      '',
      `Schema size (MB, every 10 s): ${k.samples.map(([, b]) => mb(b).toFixed(1)).join(' ')}`,
    );
  }
  return s;
}

try {
  await main();
} finally {
  killChildren();
}
