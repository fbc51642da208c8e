/**
 * Child of bench/memory.ts (run with --expose-gc): holds `n` open runs of 1–3 mapped spans each in a RunTracker (the
 * receiver's own, with its per-run timer), and reports RSS and heap before and after. Prints `RESULT {…}`.
 */
import { decodeExport } from '../src/otlp/index.js';
import type { OtlpSpan } from '../src/otlp/model.js';
import { createHasher, mapSpan, type MappedSpan } from '../src/mapping/index.js';
import { RunTracker } from '../src/runs/tracker.js';
import { mixedTemplate, stamp } from './payloads.js';

const n = Number(process.argv[2]);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const settleGc = () => {
  for (let i = 0; i < 4; i++) gc();
};

// One realistic 10-span run (LLM and tool spans) mapped once; each open run holds its own deep copies (fresh objects
// and strings, as mapSpan would make; copying is ~10× faster than mapping 200k spans again, which the benchmark does
// not measure).
const sample: OtlpSpan[] = decodeExport(stamp(mixedTemplate(10, 'protobuf'), 1, 1), 'protobuf').spans;
const hasher = createHasher({});
const children = sample.filter((s) => s.parentSpanId !== '').map((s) => JSON.stringify(mapSpan(s, { hasher })));

settleGc();
const before = { rss: process.memoryUsage().rss, heap: process.memoryUsage().heapUsed };
const tracker = new RunTracker({ graceMs: 3_600_000, idleMs: 3_600_000, onClose: async () => {} });
const t0 = performance.now();
let spans = 0;
for (let r = 0; r < n; r++) {
  const traceId = (r + 1).toString(16).padStart(32, '0');
  const count = 1 + (r % 3); // 1–3 spans, no root yet: the run is open
  const list = [];
  for (let k = 0; k < count; k++) {
    const span = JSON.parse(children[(r + k) % children.length]) as MappedSpan;
    span.trace_id = traceId;
    span.span_id = (k + 1).toString(16).padStart(16, '0');
    list.push({ span, agent_id: 'bench-agent' });
  }
  spans += count;
  tracker.observe('dev', traceId, list);
}
const loadMs = performance.now() - t0;
settleGc();
const after = { rss: process.memoryUsage().rss, heap: process.memoryUsage().heapUsed };
if (tracker.openRunCount !== n) throw new Error(`expected ${n} open runs, have ${tracker.openRunCount}`);
await tracker.stop();
process.stdout.write(
  `RESULT ${JSON.stringify({
    open_runs: n,
    spans,
    rss_before: before.rss,
    rss_after: after.rss,
    heap_before: before.heap,
    heap_after: after.heap,
    heap_bytes_per_run: (after.heap - before.heap) / n,
    rss_bytes_per_run: (after.rss - before.rss) / n,
    observe_us_per_run: (loadMs * 1000) / n,
  })}\n`,
);
