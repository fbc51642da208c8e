/**
 * `npm run example`: an OpenLLMetry-instrumented agent that gets stuck in a tool loop, caught by Dunetrace.
 *
 *   real `openai` client ──▶ local OpenAI-compatible stub (this process, node:http)
 *   real @traceloop/node-server-sdk spans ──▶ DunetraceSpanProcessor (hashes content in-process)
 *                                            ──▶ OTLP/HTTP ──▶ embedded Dunetrace receiver (in-memory PGlite)
 *
 * Fully offline: Traceloop's prompt sync is off, its own exporter discards (so nothing goes to traceloop.com and
 * only hashed spans leave the agent), the model is a stub. Prints the stored run and its TOOL_LOOP signal.
 *
 * In an application the imports are `dunetrace-otel` (processor) and `dunetrace-otel/receiver`.
 */
import { ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import * as traceloop from '@traceloop/node-server-sdk';
import OpenAI from 'openai';
import { DunetraceSpanProcessor } from '../src/index.js';
import { DEV_KEY, log, printRun, runExample, startEmbeddedReceiver, waitForRun } from './example-kit.js';
import { startLlmStub } from './llm-stub.js';
import { runSupportAgent } from './support-agent.js';

/** Traceloop's own processor exports here: nowhere. Our processor is the only way out of the process. */
class DiscardExporter implements SpanExporter {
  export(_spans: ReadableSpan[], done: (r: { code: ExportResultCode }) => void): void {
    done({ code: ExportResultCode.SUCCESS });
  }
  async shutdown(): Promise<void> {}
}

async function main(): Promise<number> {
  // 1. An embedded receiver: in-memory PGlite, all detectors (detectors.yml), random loopback port.
  const { endpoint, close } = await startEmbeddedReceiver();

  // 2. A stub model that keeps asking for the same tool five times, then answers.
  const llm = await startLlmStub({ loops: 5 });
  log(`stub OpenAI API on ${llm.baseURL}`);

  // 3. Traceloop, offline, with our processor next to its own.
  const processor = new DunetraceSpanProcessor({ endpoint, apiKey: DEV_KEY, agentId: 'support-agent' });
  traceloop.initialize({
    appName: 'support-agent-example',
    baseUrl: endpoint, // never api.traceloop.com, even if the exporter below were removed
    headers: {},
    exporter: new DiscardExporter(),
    processor,
    traceloopSyncEnabled: false,
    silenceInitializationMessage: true,
    // Traceloop types `openAI` against the CommonJS typings of the same package; the ESM class is the same object.
    instrumentModules: { openAI: OpenAI as never },
  });

  // 4. The agent.
  const client = new OpenAI({ apiKey: 'sk-stub', baseURL: llm.baseURL });
  const result = await runSupportAgent(client, 'How do I rotate my API key?');
  log(`agent finished: ${result.llmCalls} LLM calls, ${result.toolCalls} tool calls, answer: ${JSON.stringify(result.answer)}`);

  // 5. Flush, wait for the receiver to close the run, print it.
  await processor.forceFlush();
  const run = await waitForRun(endpoint, result.traceId);
  if (run === null) {
    log('the run never arrived at the receiver');
    return 1;
  }
  const caught = printRun(run, 'TOOL_LOOP');
  console.log(`processor stats: ${JSON.stringify(processor.stats)}`);

  await processor.shutdown();
  await llm.close();
  await close();
  return caught ? 0 : 1;
}

runExample(main);
