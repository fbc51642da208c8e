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
import { createReceiver, loadConfig } from '../src/receiver/index.js';
import { startLlmStub } from './llm-stub.js';
import { runSupportAgent } from './support-agent.js';

/** Traceloop's own processor exports here: nowhere. Our processor is the only way out of the process. */
class DiscardExporter implements SpanExporter {
  export(_spans: ReadableSpan[], done: (r: { code: ExportResultCode }) => void): void {
    done({ code: ExportResultCode.SUCCESS });
  }
  async shutdown(): Promise<void> {}
}

/** The parts of GET /v1/runs/{id} this example prints. */
interface RunView {
  run_id: string;
  agent_id: string;
  status: string;
  exit_reason: string | null;
  step_count: number;
  span_count: number;
  events: { event_type: string; step_index: number; payload?: Record<string, unknown> }[];
  signals: {
    failure_type: string;
    severity: string;
    confidence: number;
    step_index: number;
    evidence: unknown;
    explanation?: { title?: string; what?: string };
  }[];
}

const DEV_KEY = 'dt_dev_example'; // any dt_dev_* key works against a receiver in dev mode (loopback)
const t0 = Date.now();
const log = (msg: string) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);

async function main(): Promise<number> {
  // 1. An embedded receiver: in-memory PGlite, all detectors (detectors.yml), random loopback port.
  const config = loadConfig({ PORT: '0', DUNETRACE_DATA_DIR: 'memory://', LOG_LEVEL: 'warn', DUNETRACE_RUN_GRACE_MS: '200' });
  const receiver = await createReceiver(config);
  await receiver.app.listen({ host: '127.0.0.1', port: 0 });
  await receiver.ready;
  const { port } = receiver.app.server.address() as { port: number };
  const endpoint = `http://127.0.0.1:${port}`;
  log(`receiver listening on ${endpoint}`);

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
  let run: RunView | null = null;
  for (let i = 0; i < 200 && (run === null || run.status === 'open'); i++) {
    await new Promise((r) => setTimeout(r, 100));
    const res = await fetch(`${endpoint}/v1/runs/${result.traceId}`, { headers: { authorization: `Bearer ${DEV_KEY}` } });
    run = res.status === 200 ? ((await res.json()) as RunView) : null;
  }
  if (run === null) {
    log('the run never arrived at the receiver');
    return 1;
  }

  console.log(`\nrun ${run.run_id}  agent=${run.agent_id}  status=${run.status}  exit=${run.exit_reason}  steps=${run.step_count}  spans=${run.span_count}`);
  for (const e of run.events) {
    const payload = e.payload ?? {};
    const v = (k: string) => {
      const x = payload[k];
      return typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean' ? String(x) : '';
    };
    const calls = Array.isArray(payload.tool_calls) ? (payload.tool_calls as { name: string }[]) : [];
    const detail =
      e.event_type === 'llm.called'
        ? `model=${v('model')} prompt_tokens=${v('prompt_tokens')} input_hash=${v('input_hash').slice(0, 12)}…`
        : e.event_type === 'llm.responded'
          ? `finish=${v('finish_reason')} tool_calls=${calls.map((c) => c.name).join(',') || '-'}`
          : e.event_type === 'tool.called'
            ? `tool=${v('tool_name')} args_hash=${v('args_hash').slice(0, 12)}…`
            : e.event_type === 'tool.responded'
              ? `tool=${v('tool_name')} success=${v('success')}`
              : '';
    console.log(`  step ${String(e.step_index).padStart(2)}  ${e.event_type.padEnd(15)} ${detail}`);
  }
  console.log(`\nsignals (${run.signals.length}):`);
  for (const s of run.signals) {
    console.log(`  ${s.failure_type} ${s.severity} confidence=${s.confidence} step=${s.step_index} evidence=${JSON.stringify(s.evidence)}`);
    if (s.explanation?.title) console.log(`    ${s.explanation.title}: ${s.explanation.what}`);
  }
  const caught = run.signals.some((s: { failure_type: string }) => s.failure_type === 'TOOL_LOOP');
  log(caught ? 'TOOL_LOOP caught.' : 'no TOOL_LOOP signal (are the detectors wired into the receiver?)');
  console.log(`processor stats: ${JSON.stringify(processor.stats)}`);

  await processor.shutdown();
  await llm.close();
  await receiver.close();
  return caught ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
