/**
 * `npm run bench:bytes [-- --quick] [-- --json]`: only the bytes-per-span part of benchmark 6 (storage), on the Postgres
 * server — the receiver under 8 senders of 1,000-span requests for 15 s (4 s with --quick), every run closed, then
 * the schema's size ÷ accepted spans, per table family and per relation (heap, indexes, TOAST). The figure does not
 * depend on machine load, so it can be measured while iterating on the schema or the codec; `npm run bench` still
 * runs the whole of benchmark 6 (COPY limit, ingest ratios, both formats, retention soak).
 */
import { quick } from './lib.js';
import type { Format } from './payloads.js';
import { serverVersion } from './pgserver.js';
import { runE2e } from './storage.js';

const format: Format = process.argv.includes('--json') ? 'json' : 'protobuf';
if ((await serverVersion()) === null) throw new Error('bench:bytes needs the Postgres server (DUNETRACE_BENCH_DATABASE_URL)');
const c = await runE2e(format, quick, NaN, (m) => process.stderr.write(`${m}\n`));
const row = (k: string, v: number) => `| ${k.padEnd(28)} | ${v.toFixed(1).padStart(7)} |`;
const out = [
  `${format}: ${c.accepted_spans.toLocaleString('en-US')} spans accepted, schema ${c.schema_bytes.toLocaleString('en-US')} bytes: **${c.bytes_per_span.toFixed(1)} bytes/span** (target ≤ 400)`,
  '',
  '| relation                     | B/span  |',
  '|------------------------------|---------|',
  ...Object.entries(c.bytes_by_table)
    .sort()
    .map(([k, v]) => row(`${k} (family)`, v)),
  ...Object.entries(c.bytes_by_relation)
    .sort()
    .map(([k, v]) => row(k, v)),
];
process.stdout.write(`${out.join('\n')}\n`);
process.exit(0);
