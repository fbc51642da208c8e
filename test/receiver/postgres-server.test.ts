import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { capture, devHeaders, startReceiver, waitForClosedRun } from '../helpers/receiver.js';
import { loopingRun, newTraceId } from '../helpers/scenarios.js';

/** The whole receiver on the Postgres server backend (DATABASE_URL), as production runs it. */
const url = process.env.DUNETRACE_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const reachable = await (async () => {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => {});
  }
})();
if (!reachable && process.env.DUNETRACE_REQUIRE_PG === '1') throw new Error(`Postgres server required but unreachable at ${url}`);

const schema = `dt_rcv_${Math.random().toString(16).slice(2, 10)}`;

describe.skipIf(!reachable)('receiver on a Postgres server', () => {
  afterAll(async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await c.end();
  });

  it('ingests, assembles, detects and survives a restart on the same schema', async () => {
    const env = { DATABASE_URL: url, DATABASE_SCHEMA: schema };
    const first = await startReceiver(env);
    const looping = newTraceId();
    try {
      expect((await fetch(`${first.url}/v1/traces`, { method: 'POST', headers: devHeaders(), body: capture('traceloop-python') })).status).toBe(200);
      expect((await fetch(`${first.url}/v1/traces`, { method: 'POST', headers: devHeaders(), body: loopingRun(looping).children })).status).toBe(200);
      const run = await waitForClosedRun(first.url, '4e20a57ff03c65eb75a036945a5f6401');
      expect(run).toMatchObject({ status: 'completed', exit_reason: 'final_answer' });
      await expect(first.receiver.ctx.storage.get().ping()).resolves.toBeUndefined();
      expect(first.receiver.ctx.storage.get().kind).toBe('postgres');
    } finally {
      await first.close();
    }
    // The looping run is still open (its root never came): a new process recovers it and completes it with the root.
    const second = await startReceiver(env);
    try {
      expect((await fetch(`${second.url}/v1/traces`, { method: 'POST', headers: devHeaders(), body: loopingRun(looping).root })).status).toBe(200);
      const run = await waitForClosedRun(second.url, looping);
      expect(run.span_count).toBe(6);
      expect(run.signals.map((s: { failure_type: string }) => s.failure_type)).toContain('TOOL_LOOP');
    } finally {
      await second.close();
    }
  });
});
