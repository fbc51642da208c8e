/**
 * Writes the framework captures in test/fixtures/framework-captures/: one scenario run by the real framework package,
 * its spans serialised by the real OTLP/JSON serializer (what the OTLP/HTTP JSON exporter sends), pretty-printed.
 * Every content value carries the fixed canary CANARY_FIXTURE (prompts, tool descriptions, arguments, results,
 * errors, answers).
 *
 *   npx tsx test/frameworks/capture.ts vercel-ai6|vercel-ai5|genkit
 *
 * One framework per process: each registers the global tracer provider.
 */
import { writeFileSync } from 'node:fs';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { RootRecorder } from './observe.js';
import { scenarios } from './scenarios.js';

export const FIXTURE_CANARY = 'CANARY_FIXTURE';
const OUT = new URL('../fixtures/framework-captures/', import.meta.url);

const name = process.argv[2];
const memory = new InMemorySpanExporter();
const roots = new RootRecorder();
const provider = new BasicTracerProvider({
  resource: resourceFromAttributes({ 'service.name': `${name}-support-app` }),
  spanProcessors: [new SimpleSpanProcessor(memory), roots],
});
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(provider);

const all = scenarios(FIXTURE_CANARY);
const failing = all.find((s) => s.id === 'failing');
if (!failing) throw new Error('no failing scenario');

if (name === 'vercel-ai6' || name === 'vercel-ai5') {
  const { runVercelScenario } = await import('./vercel-ai-agent.js');
  await runVercelScenario(name === 'vercel-ai6' ? 6 : 5, failing, FIXTURE_CANARY, roots);
} else if (name === 'genkit') {
  const { disableGenkitOTelInitialization } = await import('genkit/tracing');
  disableGenkitOTelInitialization();
  const { genkitAgents } = await import('./genkit-agent.js');
  await genkitAgents(all, FIXTURE_CANARY, roots).run(failing);
} else {
  throw new Error('usage: capture.ts vercel-ai6|vercel-ai5|genkit');
}

await provider.forceFlush();
const body = JsonTraceSerializer.serializeRequest(memory.getFinishedSpans());
if (!body) throw new Error('nothing to serialise');
const json = JSON.stringify(JSON.parse(Buffer.from(body).toString('utf8')), null, 1);
writeFileSync(new URL(`${name}.json`, OUT), json + '\n');
console.log(`${name}: ${memory.getFinishedSpans().length} spans, trace ${roots.traceIds.join(',')}`);
await provider.shutdown();
process.exit(0);
