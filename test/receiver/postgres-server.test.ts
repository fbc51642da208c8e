import { afterAll, expect, it } from 'vitest';
import { describeWithPostgres, dropSchemas, freshSchema, PG_URL as url } from '../helpers/postgres.js';
import { capture, devHeaders, startReceiver, waitForClosedRun } from '../helpers/receiver.js';
import { loopingRun, newTraceId } from '../helpers/scenarios.js';

/** The whole receiver on the Postgres server backend (DATABASE_URL), as production runs it. Server and skip/fail
 * policy: test/helpers/postgres.ts. */

afterAll(dropSchemas);

await describeWithPostgres('receiver on a Postgres server', () => {
  const schema = freshSchema('dt_rcv');

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
