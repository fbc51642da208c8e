/**
 * What every runnable example shares: an embedded receiver (in-memory PGlite, all detectors, random loopback port),
 * waiting for a run to close, and printing it with its signals. In an application the receiver runs elsewhere
 * (`npm start`, a container) and only its URL is configured.
 */
import { createReceiver, loadConfig } from '../src/receiver/index.js';

/** The parts of GET /v1/runs/{id} the examples print. */
export interface RunView {
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

/** Any dt_dev_* key works against a receiver in dev mode (loopback). */
export const DEV_KEY = 'dt_dev_example';

const t0 = Date.now();
export const log = (msg: string): void => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);

export interface EmbeddedReceiver {
  endpoint: string;
  close: () => Promise<void>;
}

export async function startEmbeddedReceiver(): Promise<EmbeddedReceiver> {
  const config = loadConfig({ PORT: '0', DUNETRACE_DATA_DIR: 'memory://', LOG_LEVEL: 'warn', DUNETRACE_RUN_GRACE_MS: '200' });
  const receiver = await createReceiver(config);
  await receiver.app.listen({ host: '127.0.0.1', port: 0 });
  await receiver.ready;
  const { port } = receiver.app.server.address() as { port: number };
  const endpoint = `http://127.0.0.1:${port}`;
  log(`receiver listening on ${endpoint}`);
  return { endpoint, close: () => receiver.close() };
}

/** Polls GET /v1/runs/{id} until the receiver has closed the run (20 s at most); null if it never arrived. */
export async function waitForRun(endpoint: string, runId: string): Promise<RunView | null> {
  let run: RunView | null = null;
  for (let i = 0; i < 200 && (run === null || run.status === 'open'); i++) {
    await new Promise((r) => setTimeout(r, 100));
    const res = await fetch(`${endpoint}/v1/runs/${runId}`, { headers: { authorization: `Bearer ${DEV_KEY}` } });
    run = res.status === 200 ? ((await res.json()) as RunView) : null;
  }
  return run;
}

/** Prints the run step by step and its signals; true when `expected` is among them. */
export function printRun(run: RunView, expected: string): boolean {
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
  const caught = run.signals.some((s) => s.failure_type === expected);
  log(caught ? `${expected} caught.` : `no ${expected} signal (are the detectors wired into the receiver?)`);
  return caught;
}

/**
 * The end of every SDK example: export what is queued, wait for the receiver to close the run, print it, stop
 * everything (in order). 0 when the run shows `expected` (default TOOL_LOOP), else 1.
 */
export async function reportAndStop(o: {
  flush: () => Promise<void>;
  endpoint: string;
  runId: string;
  stop: (() => Promise<unknown>)[];
  expected?: string;
}): Promise<number> {
  await o.flush();
  const run = await waitForRun(o.endpoint, o.runId);
  if (run === null) log('the run never arrived at the receiver');
  const caught = run !== null && printRun(run, o.expected ?? 'TOOL_LOOP');
  for (const stop of o.stop) await stop();
  return caught ? 0 : 1;
}

/** Runs an example's main and exits with its code (examples are scripts). */
export function runExample(main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
