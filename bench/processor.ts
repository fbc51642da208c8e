/**
 * `npm run bench:processor`: what DunetraceSpanProcessor costs the agent process per span, next to a plain
 * BatchSpanProcessor + OTLPTraceExporter and a no-op processor, measured in one run. Not a test.
 *
 * Workloads: agent traces (a workflow root, then 10 × (chat span + execute_tool span)) with realistic gen_ai
 * attributes — ~1 KB of input messages per chat span plus output messages, system instructions and tool
 * definitions; tool arguments and results. (1) agent spans only: ours filters nothing, its worst case; (2) the same
 * plus the spans HTTP/DB auto-instrumentation adds (1 HTTP span per LLM call, 2 DB spans per tool call), which the
 * plain processor exports and ours drops in onEnd.
 * Both exporters post to the same sink: a separate process answering 200, so its CPU is not counted.
 *
 * Columns, per span:
 *  - onEnd: processor.onEnd() alone, called on already-ended spans (the processor's share of span.end());
 *  - end() path: wall time of the synchronous loop that starts and ends the spans (what the agent's code waits for;
 *    the SDK's BatchSpanProcessor serialises and sends a full batch inside onEnd, ours never does);
 *  - CPU: process.cpuUsage() of the agent process from the first span until forceFlush() resolved, i.e. everything
 *    the processor and exporter do in the agent (redaction, serialisation, HTTP client);
 *  - wire: request bytes the sink received.
 * Rounds are interleaved across the three setups and the median is reported. Queue sizes are raised so nothing is
 * dropped (drops would flatter a processor); batch size 512 and the exporters' defaults otherwise.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT_CONTEXT, SpanKind, trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { DunetraceSpanProcessor } from '../src/index.js';

// The processor is measured as shipped (tsc output in dist/, built by the npm script), like the OTel packages next to
// it; tsx-transformed sources carry per-closure helper calls that would bias the comparison. BENCH_SRC=1 uses src/.
const entry = process.env.BENCH_SRC ? '../src/index.js' : '../dist/index.js';
const { DunetraceSpanProcessor: Processor } = (await import(entry)) as typeof import('../src/index.js');
const mappingEntry = process.env.BENCH_SRC ? '../src/mapping/index.js' : '../dist/mapping/index.js';
const { redactAttributes, createHasher } = (await import(mappingEntry)) as typeof import('../src/mapping/index.js');

const TRACES_PER_ROUND = 150;
const STEPS = 10;
/** Spans per trace: agent spans only (1 + 2 per step), or with infrastructure spans (+1 HTTP per chat, +2 DB per tool). */
const spansPerTrace = (infra: boolean) => 1 + STEPS * (infra ? 5 : 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const WARMUP = 2;
const QUEUE = 1 << 15;

// --- sink: a separate process that answers 200 and counts bytes ---------------------------------------------
const SINK = `
const http = require('node:http');
let bytes = 0;
const s = http.createServer((req, res) => {
  if (req.url === '/bytes') { res.end(String(bytes)); return; }
  req.on('data', (c) => { bytes += c.length; });
  req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{}'); });
});
s.keepAliveTimeout = 60000;
s.listen(0, '127.0.0.1', () => console.log(s.address().port));`;

export async function startSink() {
  const child = spawn(process.execPath, ['-e', SINK], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  const url = `http://127.0.0.1:${chunk.toString().trim()}`;
  return {
    url,
    bytes: async () => Number(await (await fetch(`${url}/bytes`)).text()),
    close: () => child.kill(),
  };
}

// --- workload -------------------------------------------------------------------------------------------------
const words = 'the order invoice customer refund shipping account password rotate key billing plan support agent tool search'.split(' ');
let seed = 42;
const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
const sentence = (chars: number) => {
  let s = '';
  while (s.length < chars) s += `${words[Math.floor(rnd() * words.length)]} `;
  return s.slice(0, chars);
};
/** Content is generated before measuring (a pool of distinct values per field), so rounds time spans, not text. */
const POOL = 512;
const pool = (make: () => string) => Array.from({ length: POOL }, make);
const P = {
  workflowInput: pool(() => JSON.stringify({ args: [sentence(200)], kwargs: {} })),
  system: pool(() => JSON.stringify([{ type: 'text', content: sentence(150) }])),
  input: pool(() =>
    JSON.stringify([
      { role: 'user', parts: [{ type: 'text', content: sentence(500) }] },
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_1', name: 'search_docs', arguments: { query: sentence(60) } }] },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_1', result: sentence(250) }] },
    ]),
  ),
  output: pool(() =>
    JSON.stringify([
      {
        role: 'assistant',
        finish_reason: 'tool_call',
        parts: [
          { type: 'text', content: sentence(100) },
          { type: 'tool_call', id: 'call_2', name: 'search_docs', arguments: { query: sentence(60) } },
        ],
      },
    ]),
  ),
  tools: JSON.stringify([
    {
      type: 'function',
      name: 'search_docs',
      description: 'Search the product documentation.',
      parameters: { type: 'object', properties: { query: { type: 'string' } } },
    },
  ]),
  args: pool(() => JSON.stringify({ query: sentence(60) })),
  result: pool(() => JSON.stringify({ hits: [sentence(150), sentence(150)] })),
};
let k = 0;
const pick = (xs: string[]) => xs[k++ % POOL];

export function emitTrace(tracer: Tracer, n: number, infra: boolean): void {
  const root = tracer.startSpan(
    'support.workflow',
    { attributes: { 'traceloop.span.kind': 'workflow', 'traceloop.entity.name': 'support', 'traceloop.entity.input': pick(P.workflowInput) } },
    ROOT_CONTEXT,
  );
  const ctx = trace.setSpan(ROOT_CONTEXT, root);
  for (let i = 0; i < STEPS; i++) {
    const chat = tracer.startSpan(
      'chat gpt-4o',
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.response.model': 'gpt-4o-2024-08-06',
          'gen_ai.response.id': `chatcmpl-${n}-${i}`,
          'gen_ai.usage.input_tokens': 300 + i * 50,
          'gen_ai.usage.output_tokens': 40,
          'gen_ai.response.finish_reasons': ['tool_call'],
          'server.address': 'api.openai.com',
          'gen_ai.system_instructions': pick(P.system),
          'gen_ai.input.messages': pick(P.input),
          'gen_ai.output.messages': pick(P.output),
          'gen_ai.tool.definitions': P.tools,
        },
      },
      ctx,
    );
    if (infra) {
      // What HTTP auto-instrumentation adds under an LLM call.
      tracer
        .startSpan(
          'POST',
          {
            kind: SpanKind.CLIENT,
            attributes: {
              'http.request.method': 'POST',
              'url.full': 'https://api.openai.com/v1/chat/completions',
              'server.address': 'api.openai.com',
              'server.port': 443,
              'http.response.status_code': 200,
              'network.protocol.version': '1.1',
            },
          },
          trace.setSpan(ctx, chat),
        )
        .end();
    }
    chat.end();
    const tool = tracer.startSpan(
      'execute_tool search_docs',
      {
        attributes: {
          'gen_ai.operation.name': 'execute_tool',
          'gen_ai.tool.name': 'search_docs',
          'gen_ai.tool.call.id': `call_${i + 1}`,
          'gen_ai.tool.call.arguments': pick(P.args),
          'gen_ai.tool.call.result': pick(P.result),
        },
      },
      ctx,
    );
    if (infra) {
      const toolCtx = trace.setSpan(ctx, tool);
      for (const stmt of [
        'SELECT id, title, body FROM docs WHERE tsv @@ plainto_tsquery($1) LIMIT 5',
        'SELECT count(*) FROM docs_views WHERE doc_id = ANY($1)',
      ]) {
        tracer
          .startSpan(
            'pg.query:SELECT',
            {
              kind: SpanKind.CLIENT,
              attributes: { 'db.system': 'postgresql', 'db.name': 'support', 'db.statement': stmt, 'server.address': 'db.internal', 'server.port': 5432 },
            },
            toolCtx,
          )
          .end();
      }
    }
    tool.end();
  }
  root.end();
}

// --- setups -----------------------------------------------------------------------------------------------------
class NoopProcessor implements SpanProcessor {
  onStart(): void {}
  onEnd(_s: ReadableSpan): void {}
  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

interface Setup {
  name: string;
  provider: BasicTracerProvider;
  processor: SpanProcessor;
  dunetrace?: DunetraceSpanProcessor;
}

function setups(sinkUrl: string): Setup[] {
  const resource = resourceFromAttributes({ 'service.name': 'bench-agent' });
  const make = (name: string, p: SpanProcessor, dunetrace?: DunetraceSpanProcessor): Setup => ({
    name,
    provider: new BasicTracerProvider({ resource, spanProcessors: [p] }),
    processor: p,
    dunetrace,
  });
  const dt = new Processor({ endpoint: sinkUrl, maxQueueSize: QUEUE, env: {} });
  return [
    make('no-op processor', new NoopProcessor()),
    make(
      'BatchSpanProcessor + OTLPTraceExporter',
      new BatchSpanProcessor(new OTLPTraceExporter({ url: `${sinkUrl}/v1/traces` }), { maxQueueSize: QUEUE, maxExportBatchSize: 512 }),
    ),
    make('DunetraceSpanProcessor', dt, dt),
  ];
}

interface Sample {
  /** processor.onEnd() alone, on already-ended spans. */
  onEndNs: number;
  endNs: number;
  cpuNs: number;
  wireBytes: number;
}

/** Ended spans of one round's workload, captured once, to time processor.onEnd() alone. */
function capturedSpans(infra: boolean): ReadableSpan[] {
  const spans: ReadableSpan[] = [];
  const capture: SpanProcessor = { onStart() {}, onEnd: (s) => void spans.push(s), forceFlush: async () => {}, shutdown: async () => {} };
  const tracer = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'bench-agent' }), spanProcessors: [capture] }).getTracer('bench');
  for (let i = 0; i < TRACES_PER_ROUND; i++) emitTrace(tracer, i, infra);
  return spans;
}

async function round(s: Setup, sink: { bytes(): Promise<number> }, traceNo: { n: number }, infra: boolean, ended: ReadableSpan[]): Promise<Sample> {
  const SPANS_PER_ROUND = TRACES_PER_ROUND * spansPerTrace(infra);
  const o0 = process.hrtime.bigint();
  for (const span of ended) s.processor.onEnd(span);
  const onEndNs = Number(process.hrtime.bigint() - o0) / ended.length;
  await s.processor.forceFlush();
  const tracer = s.provider.getTracer('bench');
  const bytes0 = await sink.bytes();
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < TRACES_PER_ROUND; i++) emitTrace(tracer, traceNo.n++, infra);
  const t1 = process.hrtime.bigint();
  await s.provider.forceFlush();
  const cpu = process.cpuUsage(cpu0);
  const wire = (await sink.bytes()) - bytes0;
  return {
    onEndNs,
    endNs: Number(t1 - t0) / SPANS_PER_ROUND,
    cpuNs: ((cpu.user + cpu.system) * 1000) / SPANS_PER_ROUND,
    wireBytes: wire / SPANS_PER_ROUND,
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function measure(all: Setup[], sink: Awaited<ReturnType<typeof startSink>>, infra: boolean) {
  const samples = new Map<string, Sample[]>(all.map((s) => [s.name, []]));
  const traceNo = { n: 0 };
  const ended = capturedSpans(infra);
  for (let r = 0; r < WARMUP + ROUNDS; r++) {
    const order = r % 2 === 0 ? all : [...all].reverse();
    for (const s of order) {
      const sample = await round(s, sink, traceNo, infra, ended);
      if (r >= WARMUP) samples.get(s.name)!.push(sample);
    }
  }
  return all.map((s) => {
    const xs = samples.get(s.name)!;
    return {
      name: s.name,
      onEnd: median(xs.map((x) => x.onEndNs)),
      end: median(xs.map((x) => x.endNs)),
      cpu: median(xs.map((x) => x.cpuNs)),
      wire: median(xs.map((x) => x.wireBytes)),
    };
  });
}

function printTable(title: string, rows: Awaited<ReturnType<typeof measure>>): number {
  const [noop, batch, ours] = rows;
  const pad = (v: string, n: number) => v.padStart(n);
  console.log(`\n${title}`);
  console.log(
    `| setup                                   | onEnd ns/call | end() path ns/span | CPU ns/span | CPU above no-op | × batch (end path) | × batch (CPU) | × batch (CPU above no-op) | wire B/span |`,
  );
  console.log(
    `|-----------------------------------------|--------------:|-------------------:|------------:|----------------:|-------------------:|--------------:|--------------------------:|------------:|`,
  );
  for (const r of rows) {
    const above = r.cpu - noop.cpu;
    console.log(
      `| ${r.name.padEnd(39)} | ${pad(r.onEnd.toFixed(0), 13)} | ${pad(r.end.toFixed(0), 18)} | ${pad(r.cpu.toFixed(0), 11)} | ${pad(above.toFixed(0), 15)} | ${pad((r.end / batch.end).toFixed(2), 18)} | ${pad((r.cpu / batch.cpu).toFixed(2), 13)} | ${pad(r === noop ? '-' : (above / (batch.cpu - noop.cpu)).toFixed(2), 25)} | ${pad(r.wire.toFixed(0), 11)} |`,
    );
  }
  return ours.cpu / batch.cpu;
}

async function main(): Promise<void> {
  const sink = await startSink();
  console.log(
    `DunetraceSpanProcessor bench (${process.env.BENCH_SRC ? 'src via tsx' : 'dist'}): ${TRACES_PER_ROUND} traces of ${STEPS} steps per round, median of ${ROUNDS} rounds after ${WARMUP} warm-up, Node ${process.version}`,
  );
  const results: Array<[string, number]> = [];
  for (const infra of [false, true]) {
    const all = setups(sink.url);
    const title = infra
      ? `Agent + infrastructure spans (${spansPerTrace(true)}/trace: +1 HTTP span per LLM call, +2 DB spans per tool call; ours exports only the agent spans)`
      : `Agent spans only (${spansPerTrace(false)}/trace: workflow root, chat + execute_tool per step; worst case for ours: nothing to filter)`;
    const ratio = printTable(title, await measure(all, sink, infra));
    results.push([infra ? 'agent + infrastructure' : 'agent only', ratio]);
    const dt = all[2].dunetrace!;
    console.log(`DunetraceSpanProcessor stats: ${JSON.stringify(dt.stats)}`);
    for (const s of all) await s.provider.shutdown();
  }
  contentFactsCost();
  console.log('\ntarget: ≤ 1.20× the plain batch processor, CPU per span');
  for (const [name, ratio] of results) console.log(`  ${name.padEnd(24)} ${ratio.toFixed(2)}× ${ratio <= 1.2 ? 'met' : 'NOT met'}`);
  sink.close();
}

/**
 * The content facts' share of the processor's per-span work (redaction, in onEnd): the same chat and tool spans of
 * the workload (tool arguments and results given ids, emails and URLs to extract), redacted with the keyed
 * grounding/entity/destination digest sets (the span's trace id given) and without them (no trace id: term bitmasks
 * only, which is the version 1 work plus a few substring tests), interleaved in one run. The ratio is the facts' cost.
 */
function contentFactsCost(): void {
  const hasher = createHasher({});
  const mk = (i: number) => {
    const chat = {
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.system_instructions': pick(P.system),
      'gen_ai.input.messages': pick(P.input),
      'gen_ai.output.messages': pick(P.output),
      'gen_ai.tool.definitions': P.tools,
    };
    const tool = {
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'search_docs',
      'gen_ai.tool.call.arguments': JSON.stringify({ query: sentence(60), order_id: `ORD-${1000 + i}`, notify: `user${i}@example.com` }),
      'gen_ai.tool.call.result': JSON.stringify({
        hits: [sentence(150), sentence(150)],
        ids: [`DOC-${i}`, `DOC-${i + 1}`],
        url: `https://docs.example.com/p/${i}`,
      }),
    };
    return [chat, tool].map((attributes) => ({
      name: 'span',
      parentSpanId: 'ab'.repeat(8),
      attributes,
      events: [],
      status: { code: 0 as const, message: '' },
    }));
  };
  const spans = Array.from({ length: 256 }, (_, i) => mk(i)).flat();
  const N = 20_000;
  const time = (withFacts: boolean) => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) {
      const s = spans[i % spans.length];
      redactAttributes(withFacts ? { ...s, traceId: (i >> 5).toString(16).padStart(32, '0') } : s, { hasher });
    }
    return Number(process.hrtime.bigint() - t0) / N;
  };
  time(true);
  time(false);
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    if (r % 2 === 0) {
      a.push(time(true));
      b.push(time(false));
    } else {
      b.push(time(false));
      a.push(time(true));
    }
  }
  const withFacts = median(a);
  const without = median(b);
  console.log('\nContent facts (redaction of the workload chat + tool spans, per span, median of rounds)');
  console.log(`| redaction                                   | ns/span |`);
  console.log(`|---------------------------------------------|--------:|`);
  console.log(`| without keyed digest sets (term masks only) | ${without.toFixed(0).padStart(7)} |`);
  console.log(`| with keyed digest sets (grounding, entities) | ${withFacts.toFixed(0).padStart(7)} |`);
  console.log(`content facts cost: ${(withFacts / without).toFixed(2)}× the redaction without them (+${(withFacts - without).toFixed(0)} ns/span)`);
}

// Run only as the script: bench/profile-processor.ts imports the workload.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
