import { rmSync } from 'node:fs';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { expect } from 'vitest';
import { createHasher, mapSpan } from '../../src/mapping/index.js';
import { assembleRun } from '../../src/runs/assemble.js';
import { freshDataDir } from '../helpers/pglite-template.js';
import { expectNoCanaryAtRest } from '../helpers/privacy.js';
import { startReceiverProcess } from '../helpers/process.js';
import { waitForClosedRun } from '../helpers/receiver.js';
import { startProxy, throughWire, type Hit } from '../processor/helpers.js';
import type { Observed } from './observe.js';
import type { Scenario } from './scenarios.js';
import { withoutKeys, withoutUnusedFacts } from '../helpers/keyed.js';

/**
 * The receiver the framework agents export to, and the checks every framework test makes on the run the receiver
 * shows (scenarios.ts has the agents' scripts, observe.ts what a test saw its agent do).
 */

export interface Harness {
  /** Base URL the agent's OTLP exporter points at (a recording proxy in front of the receiver): `${url}/v1/traces`. */
  exportUrl: string;
  /** The receiver itself, for the API. */
  apiUrl: string;
  /** Authorization header value for both. */
  authorization: string;
  /** Every export request as it went over the wire. */
  hits: Hit[];
  /** Every API response body read by the test (checked for canaries). */
  apiBodies: string[];
  /** GET an API path as JSON (the body is kept for the privacy sweep). */
  api(pathname: string): Promise<any>;
  /** Waits for the run of `traceId` to close and returns it as the API shows it. */
  run(traceId: string): Promise<any>;
  /** Stops the receiver and the proxy; returns the receiver's log output. */
  stop(): Promise<string>;
  dataDir: string;
}

/**
 * A real receiver process (embedded PGlite on disk, log level trace so every log line is there to be checked) behind
 * a recording proxy. Runs close 300 ms after their root span.
 */
export async function startHarness(env: Record<string, string> = {}): Promise<Harness> {
  const { dir: dataDir } = await freshDataDir(); // removed by the run's scratch cleanup, or below
  const rec = await startReceiverProcess({ DUNETRACE_DATA_DIR: dataDir, LOG_LEVEL: 'trace', DUNETRACE_RUN_GRACE_MS: '300', ...env });
  const proxy = await startProxy(rec.url);
  const key = 'dt_dev_frameworks';
  const authorization = `Bearer ${key}`;
  const apiBodies: string[] = [];
  let logs: string | null = null;
  return {
    exportUrl: proxy.url,
    apiUrl: rec.url,
    authorization,
    hits: proxy.hits,
    apiBodies,
    dataDir,
    async api(pathname) {
      const res = await fetch(`${rec.url}${pathname}`, { headers: { authorization } });
      const text = await res.text();
      apiBodies.push(text);
      expect(res.status, `${pathname}: ${text}`).toBe(200);
      return JSON.parse(text) as unknown;
    },
    async run(traceId) {
      const run = (await waitForClosedRun(rec.url, traceId, key)) as unknown;
      apiBodies.push(JSON.stringify(run));
      return run;
    },
    async stop() {
      if (logs !== null) return logs;
      await proxy.close();
      rec.child.kill('SIGTERM');
      await rec.exited;
      logs = rec.output();
      return logs;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Checks

type ApiEvent = { event_type: string; step_index: number; payload: Record<string, any> };

export interface CheckOptions {
  /** The framework reports token usage: every LLM call must carry it. */
  tokens?: boolean;
  /** The framework records the model's tool requests: they must match the script exactly. */
  toolRequests?: boolean;
}

/**
 * The run shows exactly the LLM and tool calls the agent made (as the scenario prescribes and as the test counted
 * them), ends in a final answer, and raises the signals it must and none it must not.
 */
export function checkRun(run: any, s: Scenario, seen: Observed, opts: CheckOptions = {}): void {
  const label = `scenario ${s.id}`;
  const events = run.events as ApiEvent[];
  const of = (t: string) => events.filter((e) => e.event_type === t);

  // The agent did what the scenario says.
  expect(seen.llmCalls, `${label}: model calls served`).toBe(s.expect.llmCalls);
  expect(
    seen.tools.map((t) => t.name),
    `${label}: tools run`,
  ).toEqual(s.expect.toolCalls);
  expect(seen.tools.filter((t) => !t.ok).length, `${label}: tools failed`).toBe(s.expect.failedTools);

  // The run shows exactly that.
  expect(run.status, label).toBe('completed');
  expect(run.exit_reason, label).toBe('final_answer');
  expect(of('llm.called').length, `${label}: LLM calls`).toBe(seen.llmCalls);
  expect(of('llm.responded').length, `${label}: LLM responses`).toBe(seen.llmCalls);
  expect(
    of('tool.called').map((e) => e.payload.tool_name),
    `${label}: tool calls`,
  ).toEqual(seen.tools.map((t) => t.name));
  expect(
    of('tool.responded').map((e) => [e.payload.tool_name, e.payload.success]),
    `${label}: tool outcomes`,
  ).toEqual(seen.tools.map((t) => [t.name, t.ok]));
  for (const e of of('tool.responded')) {
    // A failed call carries its error's digest, never its text.
    if (e.payload.success === false) expect(e.payload.error_hash, label).toMatch(/^[0-9a-f]{32}$/);
    else expect(e.payload.error_hash, label).toBeNull();
  }

  // The model's side: the last response answers; its tool requests are the scripted ones.
  const responses = of('llm.responded');
  expect(responses[responses.length - 1].payload.finish_reason, label).toBe('stop');
  const requested = responses.flatMap((e) => (e.payload.tool_calls as { name: string }[]).map((c) => c.name));
  const scripted = s.turns.flatMap((t) => ('tools' in t ? t.tools.map((c) => c.name) : []));
  if (opts.toolRequests || requested.length > 0) expect(requested, `${label}: tool calls the model asked for`).toEqual(scripted);
  // The tools the agent had are known to the run.
  const started = events.find((e) => e.event_type === 'run.started');
  expect(started?.payload.tools, label).toEqual(s.tools.map((t) => t.name).sort());
  if (opts.tokens) {
    for (const e of responses) expect(e.payload.total_tokens, `${label}: tokens`).toBeGreaterThan(0);
    for (const e of of('llm.called')) expect(e.payload.prompt_tokens, `${label}: prompt tokens`).toBeGreaterThan(0);
  }

  const types = (run.signals as { failure_type: string }[]).map((x) => x.failure_type);
  for (const t of s.expect.signals) expect(types, label).toContain(t);
  if (s.expect.absent.includes('*')) expect(types, `${label}: no signal at all`).toEqual([]);
  else for (const t of s.expect.absent) expect(types, label).not.toContain(t);
}

/**
 * The in-process path on the same agents: what DunetraceSpanProcessor exported (redacted spans) keeps every span of
 * each run, carries no canary, and maps to exactly the events the receiver showed for the raw spans.
 */
export function checkProcessorPath(exported: ReadableSpan[], runs: Map<string, any>, canary: string): void {
  const spans = throughWire(exported);
  expect(JSON.stringify(spans, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).not.toContain(canary);
  expect(runs.size).toBeGreaterThan(0);
  const hasher = createHasher();
  // Keyed digest sets differ between the two processes by design (test/helpers/keyed.ts): compared by size.
  // Facts the receiver neither computes nor stores under the built-in settings are left out of the comparison.
  const strip = (events: any[], agentId: string) =>
    events.map((e) => ({ event_type: e.event_type, step_index: e.step_index, payload: withoutKeys(withoutUnusedFacts(e.payload, agentId)) }));
  for (const [traceId, run] of runs) {
    const mine = spans.filter((x) => x.traceId === traceId);
    expect(mine.length, `run ${traceId}: spans exported`).toBe(run.span_count);
    const assembled = assembleRun(
      mine.map((x) => ({ span: mapSpan(x, { hasher }) })),
      { runId: traceId, agentId: run.agent_id, status: 'completed' },
    );
    expect(strip(assembled.events, run.agent_id), `run ${traceId}`).toEqual(strip(run.events, run.agent_id));
    expect(assembled.exit_reason).toBe(run.exit_reason);
  }
}

/**
 * Privacy sweep after the receiver stopped: the canary went over the wire in every kind of content (so the sweep
 * can fail), and it is in none of the logs, API responses, table rows or bytes of the database directory.
 */
export async function checkNoCanary(h: Harness, canary: string, logs: string, sentIn: readonly string[]): Promise<void> {
  const wire = h.hits.map((x) => x.body.toString('latin1')).join('\n');
  expect(wire).toContain(canary);
  // The kinds of content the agents put the canary in, each seen on the wire next to it.
  for (const needle of sentIn) expect(wire, `sent: ${needle}`).toContain(needle);

  const leaks = (where: string, text: string) => expect(text.includes(canary), where).toBe(false);
  expect(logs.length).toBeGreaterThan(0);
  leaks('receiver logs', logs);
  expect(h.apiBodies.length).toBeGreaterThan(0);
  for (const body of h.apiBodies) leaks('API response', body);

  const swept = await expectNoCanaryAtRest(h.dataDir, canary);
  expect(swept.bytes).toBeGreaterThan(1_000_000);
}

export function removeHarness(h: Harness | undefined): void {
  if (h) rmSync(h.dataDir, { recursive: true, force: true });
}
