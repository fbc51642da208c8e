import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { capture, getRun, waitForClosedRun } from '../helpers/receiver.js';
import { freshDataDir } from '../helpers/pglite-template.js';
import { startReceiverProcess } from '../helpers/process.js';
import { jsonSpan, otlpJson } from '../helpers/otlp-json.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

describe('durability (a real receiver process on an embedded database)', () => {
  it('a 200 means stored: SIGKILL right after the answer, restart on the same data, the run is there', async () => {
    // An empty directory: the first start is a fresh install (initdb and every migration), as a new user's is.
    const dataDir = mkdtempSync(path.join(tmpdir(), 'dt-durable-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const env = { DUNETRACE_DATA_DIR: dataDir, DUNETRACE_RUN_GRACE_MS: '300' };
    const first = await startReceiverProcess(env);
    const res = await fetch(`${first.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer dt_dev_x' },
      body: capture('traceloop-python'),
    });
    expect(res.status).toBe(200);
    first.child.kill('SIGKILL'); // before the grace period could complete the run
    await first.exited;

    const second = await startReceiverProcess(env);
    try {
      // The open run was recovered from the database and completed after its remaining grace.
      const run = await waitForClosedRun(second.url, '4e20a57ff03c65eb75a036945a5f6401', 'dt_dev_x');
      expect(run).toMatchObject({ status: 'completed', exit_reason: 'final_answer', span_count: 1 });
      expect(run.events.map((e: any) => e.event_type)).toEqual(['run.started', 'llm.called', 'llm.responded', 'run.completed']);
      expect(second.output()).toMatch(/recovered open runs/);
    } finally {
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    }
  }, 180_000);

  it('open runs survive a graceful restart: spans before and after it form one run', async () => {
    const data = await freshDataDir(); // an initialised database: this test is about the restart, not the install
    cleanups.push(data.remove);
    const env = { DUNETRACE_DATA_DIR: data.dir, DUNETRACE_RUN_GRACE_MS: '200', DUNETRACE_RUN_IDLE_TIMEOUT_MS: '60000' };
    const traceId = '7'.repeat(32);
    const t0 = Date.now() - 5000;
    const headers = { 'content-type': 'application/json', authorization: 'Bearer dt_dev_x' };
    const child = jsonSpan({
      traceId,
      spanId: '2'.repeat(16),
      parent: '1'.repeat(16),
      name: 'chat gpt-4o',
      start: t0 + 10,
      end: t0 + 20,
      attrs: { 'gen_ai.request.model': 'gpt-4o' },
    });
    const root = jsonSpan({ traceId, spanId: '1'.repeat(16), name: 'agent.workflow', start: t0, end: t0 + 100 });

    const first = await startReceiverProcess(env);
    expect((await fetch(`${first.url}/v1/traces`, { method: 'POST', headers, body: otlpJson([child]) })).status).toBe(200);
    expect((await getRun(first.url, traceId, 'dt_dev_x')).body.status).toBe('open');
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const second = await startReceiverProcess(env);
    try {
      expect((await fetch(`${second.url}/v1/traces`, { method: 'POST', headers, body: otlpJson([root]) })).status).toBe(200);
      const run = await waitForClosedRun(second.url, traceId, 'dt_dev_x');
      expect(run).toMatchObject({ status: 'completed', span_count: 2, step_count: 1 });
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  }, 180_000);
});
