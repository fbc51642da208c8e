/**
 * `npm run build && tsx bench/profile-processor.ts [--rounds N] [--top N] [--infra] [--out file.cpuprofile]`:
 * DunetraceSpanProcessor (dist/) on bench/processor.ts's agent workload under the V8 CPU profiler (node:inspector,
 * started after warm-up), then its self-time hot spots and CPU per span. Only our processor runs, so the profile is
 * what it costs the agent process: span copy, redaction with the content facts, protobuf export, HTTP client.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { render, summarize } from './cpuprofile.js';
import { emitTrace, startSink } from './processor.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const infra = process.argv.includes('--infra');
const rounds = Number(arg('rounds', '10'));
const TRACES = 150;

const entry = process.env.BENCH_SRC ? '../src/index.js' : '../dist/index.js';
const { DunetraceSpanProcessor } = (await import(entry)) as typeof import('../src/index.js');

const sink = await startSink();
const dt = new DunetraceSpanProcessor({ endpoint: sink.url, maxQueueSize: 1 << 15, env: {} });
const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'bench-agent' }), spanProcessors: [dt] });
const tracer = provider.getTracer('bench');
let n = 0;
const round = async () => {
  for (let i = 0; i < TRACES; i++) emitTrace(tracer, n++, infra);
  await provider.forceFlush();
};
for (let i = 0; i < 3; i++) await round();

const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 100 });
await session.post('Profiler.start');
const cpu0 = process.cpuUsage();
for (let i = 0; i < rounds; i++) await round();
const cpu = process.cpuUsage(cpu0);
const { profile } = await session.post('Profiler.stop');
session.disconnect();
const file = arg('out', path.join(tmpdir(), `dt-processor-${process.pid}.cpuprofile`));
writeFileSync(file, JSON.stringify(profile));
const spans = rounds * TRACES * (infra ? 51 : 21);
console.log(
  `${spans} spans (${infra ? 'agent + infrastructure' : 'agent only'}): ${(((cpu.user + cpu.system) * 1000) / spans).toFixed(0)} CPU ns/span (profiler on)`,
);
console.log(`${file}\n`);
console.log(render(summarize(file, Number(arg('top', '40')))));
await provider.shutdown();
sink.close();
