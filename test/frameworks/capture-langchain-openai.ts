/**
 * Writes the LangChain / openai / Anthropic framework captures in test/fixtures/framework-captures/: the `failing`
 * scenario run by the real packages with their real instrumentation against the local provider stub, its spans
 * serialised by the real OTLP/JSON serializer (what the OTLP/HTTP JSON exporter sends), pretty-printed. Every content
 * value carries the fixed canary CANARY_FIXTURE.
 *
 *   npx tsx test/frameworks/capture-langchain-openai.ts <name>
 *   name: langchain-openllmetry | langchain-openinference | openai-openinference | openai-otel | anthropic-openllmetry
 *
 * One capture per process: each registers the global tracer provider.
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { startProviderStub } from './provider-stub.js';
import { scenarios } from './scenarios.js';

const CANARY = 'CANARY_FIXTURE';
const OUT = new URL('../fixtures/framework-captures/', import.meta.url);
const name = process.argv[2] ?? '';
const all = scenarios(CANARY);
const failing = all.find((s) => s.id === 'failing')!;
const stub = await startProviderStub(all);
const memory = new InMemorySpanExporter();

/** The plain OTel 2.x provider the OpenInference and contrib captures use. */
function otelProvider(service: string): BasicTracerProvider {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  return provider;
}

let flush: () => Promise<void>;
if (name === 'langchain-openllmetry' || name === 'anthropic-openllmetry') {
  const traceloop = await import('@traceloop/node-server-sdk');
  const AnthropicModule = await import('anthropic-sdk-v0');
  traceloop.initialize({
    appName: `${name}-app`,
    exporter: memory,
    disableBatch: true,
    traceloopSyncEnabled: false,
    silenceInitializationMessage: true,
    instrumentModules: name === 'anthropic-openllmetry' ? { anthropic: AnthropicModule as never } : {},
  });
  flush = () => traceloop.forceFlush();
  if (name === 'langchain-openllmetry') {
    const { langGraphAgent, toolDefinitions } = await import('./langchain-agent.js');
    const agent = langGraphAgent(failing, CANARY, stub);
    await traceloop.withWorkflow({ name: 'support-agent' }, async () => {
      trace.getActiveSpan()?.setAttribute('gen_ai.tool.definitions', toolDefinitions(agent.tools));
      await agent.invoke();
    });
  } else {
    const { runAnthropicAgent } = await import('./anthropic-agent.js');
    await runAnthropicAgent(new AnthropicModule.default({ apiKey: 'sk-stub', baseURL: stub.anthropicURL, maxRetries: 0 }), failing, CANARY, {
      safeTools: true,
    });
  }
} else if (name === 'langchain-openinference') {
  const provider = otelProvider(`${name}-app`);
  flush = () => provider.forceFlush();
  const { LangChainInstrumentation } = await import('@arizeai/openinference-instrumentation-langchain');
  new LangChainInstrumentation().manuallyInstrument(await import('@langchain/core/callbacks/manager'));
  const { langGraphAgent } = await import('./langchain-agent.js');
  await langGraphAgent(failing, CANARY, stub).invoke();
} else if (name === 'openai-openinference') {
  const provider = otelProvider(`${name}-app`);
  flush = () => provider.forceFlush();
  const { OpenAIInstrumentation } = await import('@arizeai/openinference-instrumentation-openai');
  const { traceAgent, traceTool } = await import('@arizeai/openinference-core');
  const { default: OpenAI } = await import('openai');
  const instrumentation = new OpenAIInstrumentation();
  instrumentation.setTracerProvider(provider);
  instrumentation.manuallyInstrument(OpenAI);
  const { runOpenAIAgent } = await import('./openai-agent.js');
  await runOpenAIAgent(new OpenAI({ apiKey: 'sk-stub', baseURL: stub.openaiURL, maxRetries: 0 }), failing, CANARY, {
    agent: (fn) => traceAgent(fn, { name: 'support-agent' })(),
    tool: (tool, _id, args, fn) => traceTool((_args: string) => fn(), { name: tool })(args),
  });
} else if (name === 'openai-otel') {
  const provider = otelProvider(`${name}-app`);
  flush = () => provider.forceFlush();
  const { OpenAIInstrumentation } = await import('@opentelemetry/instrumentation-openai');
  const instrumentation = new OpenAIInstrumentation();
  instrumentation.setTracerProvider(provider);
  instrumentation.enable();
  const { OpenAI } = createRequire(import.meta.url)('openai') as typeof import('openai');
  const { runOpenAIAgent } = await import('./openai-agent.js');
  const { semconvHooks } = await import('./semconv-hooks.js');
  await runOpenAIAgent(new OpenAI({ apiKey: 'sk-stub', baseURL: stub.openaiURL, maxRetries: 0 }), failing, CANARY, semconvHooks(failing));
} else {
  throw new Error('usage: capture-langchain-openai.ts langchain-openllmetry|langchain-openinference|openai-openinference|openai-otel|anthropic-openllmetry');
}

await flush();
const spans: ReadableSpan[] = memory.getFinishedSpans();
const body = JsonTraceSerializer.serializeRequest(spans);
if (!body) throw new Error('nothing to serialise');
writeFileSync(new URL(`${name}.json`, OUT), JSON.stringify(JSON.parse(Buffer.from(body).toString('utf8')), null, 1) + '\n');
console.log(`${name}: ${spans.length} spans`);
await stub.close();
process.exit(0);
