/**
 * Alert latency: the root span's arrival at the receiver → the signal stored → the webhook received, over many runs at
 * a steady load, with the default grace (500 ms). The detector is TOOL_AVOIDANCE, judged only at completion, so the
 * figure is the full completion path (grace + assembly + detectors + storage + delivery), not the live shortcut.
 * Baseline in the same run: the grace period itself, the floor any completion-time alert has.
 */
import { createServer } from 'node:http';
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { machine, percentile, quick, ROOT, startReceiverProcess, table } from './lib.js';

const RUNS = quick ? 150 : 1000;
const RATE = 20; // runs per second
const GRACE_MS = 500;

function traceBody(traceId: string): string {
  const t0 = Date.now() - 5000;
  const ns = (ms: number) => String(BigInt(t0 + ms) * 1_000_000n);
  const s = (v: string) => ({ stringValue: v });
  const llm = (id: string, start: number) => ({
    traceId,
    spanId: id,
    parentSpanId: traceId.slice(0, 16),
    name: 'chat gpt-4o',
    kind: 3,
    startTimeUnixNano: ns(start),
    endTimeUnixNano: ns(start + 300),
    attributes: [
      { key: 'gen_ai.operation.name', value: s('chat') },
      { key: 'gen_ai.request.model', value: s('gpt-4o') },
      { key: 'gen_ai.response.finish_reasons', value: { arrayValue: { values: [s('stop')] } } },
      { key: 'gen_ai.usage.output_tokens', value: { intValue: 12 } },
      { key: 'gen_ai.tool.definitions', value: s('[{"type":"function","name":"search"}]') },
    ],
  });
  const root = {
    traceId,
    spanId: traceId.slice(0, 16),
    parentSpanId: '',
    name: 'agent.workflow',
    kind: 1,
    startTimeUnixNano: ns(0),
    endTimeUnixNano: ns(1000),
    attributes: [{ key: 'traceloop.span.kind', value: s('workflow') }],
  };
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: s('bench-agent') }] },
        scopeSpans: [{ scope: { name: 'bench' }, spans: [llm('1'.repeat(16), 10), llm('2'.repeat(16), 400), root] }],
      },
    ],
  });
}

async function main() {
  const received = new Map<string, number>();
  const hook = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const at = performance.now();
      try {
        const b = JSON.parse(body) as { run_id?: string };
        if (b.run_id && !received.has(b.run_id)) received.set(b.run_id, at);
      } catch {
        // not a webhook body of ours: ignore
      }
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  const hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}`;
  const rec = await startReceiverProcess({ WEBHOOK_URL: hookUrl, DUNETRACE_ALERT_BURST: String(RUNS * 10) });

  const sentAt = new Map<string, number>();
  const interval = 1000 / RATE;
  const start = performance.now();
  const posts: Promise<unknown>[] = [];
  for (let i = 0; i < RUNS; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const traceId = (i + 1).toString(16).padStart(8, '0') + 'b'.repeat(24);
    const body = traceBody(traceId);
    sentAt.set(traceId, performance.now());
    posts.push(
      fetch(`${rec.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer dt_dev_bench' }, body }).then((r) =>
        r.arrayBuffer(),
      ),
    );
    if (i % 100 === 99) process.stderr.write(`  sent ${i + 1}/${RUNS}\n`);
  }
  await Promise.all(posts);
  const deadline = Date.now() + 30_000;
  while (received.size < RUNS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await rec.stop();
  hook.close();

  const lat = [...sentAt]
    .filter(([id]) => received.has(id))
    .map(([id, t]) => received.get(id)! - t)
    .sort((a, b) => a - b);
  const overhead = lat.map((l) => l - GRACE_MS);
  const result = {
    benchmark: 'alert-latency',
    machine: machine(),
    runs: RUNS,
    rate_per_s: RATE,
    delivered: lat.length,
    grace_ms: GRACE_MS,
    latency_ms: { p50: percentile(lat, 0.5), p95: percentile(lat, 0.95), p99: percentile(lat, 0.99), max: lat.at(-1) ?? NaN },
    beyond_grace_ms: { p50: percentile(overhead, 0.5), p99: percentile(overhead, 0.99) },
    target: { p99_ms: 1000, met: percentile(lat, 0.99) <= 1000 },
  };
  const f = (n: number) => n.toFixed(0);
  console.log(`\nAlert latency, root arrival → webhook received (${lat.length}/${RUNS} runs at ${RATE} runs/s, grace ${GRACE_MS} ms)\n`);
  console.log(
    table(
      ['figure', 'p50 ms', 'p95 ms', 'p99 ms', 'baseline (grace) ms', 'p99 / target 1000 ms'],
      [
        ['root → webhook', f(result.latency_ms.p50), f(result.latency_ms.p95), f(result.latency_ms.p99), GRACE_MS, (result.latency_ms.p99 / 1000).toFixed(2)],
        ['beyond grace', f(result.beyond_grace_ms.p50), '', f(result.beyond_grace_ms.p99), 0, ''],
      ],
    ),
  );
  mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  const out = path.join(ROOT, 'bench/results', `alerts-${new Date().toISOString().slice(0, 10)}.json`);
  writeFileSync(out, JSON.stringify(result, null, 2));
  console.log(`\nwritten ${path.relative(ROOT, out)}`);
  if (lat.length < RUNS) {
    console.error(`only ${lat.length}/${RUNS} alerts arrived`);
    process.exitCode = 1;
  }
}

await main();
