import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { expectNoCanaryAtRest } from '../helpers/privacy.js';
import { startReceiverProcess } from '../helpers/process.js';
import { DEV_KEY, waitFor, waitForClosedRun } from '../helpers/receiver.js';
import { startProxy, type Hit } from '../processor/helpers.js';

/**
 * A real receiver process (on-disk PGlite, trace-level logs) behind a recording proxy, for the end-to-end tests of the
 * SDK, the middleware and the LangChain handler. Agents export to `endpoint` (the proxy), so `hits` is exactly what
 * left the agent process. `finish(canary)` stops the receiver and asserts the canary is in none of: the wire, the
 * API answers fetched through `run()`, the logs, any table, any byte of the data directory.
 */
export interface PrivateReceiver {
  /** Where agents export (the recording proxy). */
  endpoint: string;
  /** The receiver itself (API reads). */
  url: string;
  key: string;
  hits: Hit[];
  /** The closed run as the API answers it (recorded for the canary check). */
  run(runId: string): Promise<ApiRun>;
  /** The (first) run of an agent, once closed: for ways in that do not hand the run id to the caller. */
  runOf(agentId: string): Promise<ApiRun>;
  finish(canary: RegExp): Promise<void>;
}

export interface ApiRun {
  run_id: string;
  agent_id: string;
  status: string;
  exit_reason: string | null;
  step_count: number;
  events: { event_type: string; step_index: number; span_id: string; payload: Record<string, any> }[];
  signals: { failure_type: string; evidence: Record<string, any>; shadow: boolean }[];
}

export async function startPrivateReceiver(): Promise<PrivateReceiver> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'dt-sdk-e2e-'));
  const rec = await startReceiverProcess({ DUNETRACE_DATA_DIR: dataDir, LOG_LEVEL: 'trace', DUNETRACE_RUN_GRACE_MS: '300' });
  const proxy = await startProxy(rec.url);
  const answers: string[] = [];
  const auth = { headers: { authorization: `Bearer ${DEV_KEY}` } };
  const run = async (runId: string): Promise<ApiRun> => {
    const body = (await waitForClosedRun(rec.url, runId)) as ApiRun;
    answers.push(JSON.stringify(body));
    answers.push(await (await fetch(`${rec.url}/v1/signals?limit=200`, auth)).text());
    return body;
  };
  return {
    endpoint: proxy.url,
    url: rec.url,
    key: DEV_KEY,
    hits: proxy.hits,
    run,
    async runOf(agentId) {
      const runId = await waitFor(async () => {
        const res = await fetch(`${rec.url}/v1/agents/${encodeURIComponent(agentId)}/runs`, auth);
        const text = await res.text();
        answers.push(text);
        return res.status === 200 ? ((JSON.parse(text) as { runs?: { run_id: string }[] }).runs?.[0]?.run_id ?? null) : null;
      });
      return run(runId);
    },
    async finish(canary) {
      try {
        expect(proxy.hits.length, 'nothing was exported').toBeGreaterThan(0);
        for (const hit of proxy.hits) expect(hit.body.toString('latin1'), `wire ${hit.url}`).not.toMatch(canary);
        expect(answers.length).toBeGreaterThan(0);
        for (const a of answers) expect(a, 'API answer').not.toMatch(canary);
      } finally {
        rec.child.kill('SIGTERM');
        await rec.exited;
        await proxy.close();
      }
      try {
        const logs = rec.output();
        expect(logs.length).toBeGreaterThan(0);
        expect(logs, 'receiver log').not.toMatch(canary);
        // Every table (span bodies decoded) and every byte of the data directory: the shared sweep.
        await expectNoCanaryAtRest(dataDir, canary);
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

/** The events of the clean scenario every way in runs: one tool call, then the answer. */
export const CLEAN_RUN_EVENTS = ['run.started', 'llm.called', 'llm.responded', 'tool.called', 'tool.responded', 'llm.called', 'llm.responded', 'run.completed'];

/** The failure types a run was flagged with (shadow signals included: a clean run has none at all). */
export const failureTypes = (run: ApiRun): string[] => run.signals.map((s) => s.failure_type).sort();
