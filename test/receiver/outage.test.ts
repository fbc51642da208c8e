import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createReceiver, type Receiver } from '../../src/receiver/app.js';
import { capture, DEV_KEY, testConfig } from '../helpers/receiver.js';

/** Every route answers a database outage the same way: 503, Retry-After, and no internal text. */
describe('database outage on every route', () => {
  let rec: Receiver;
  beforeAll(async () => {
    // Nothing listens on port 1: the database never opens; the receiver keeps retrying and answers meanwhile.
    rec = await createReceiver(testConfig({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' }));
  });
  afterAll(() => rec.close());

  const auth = { authorization: `Bearer ${DEV_KEY}` };
  const routes: [string, string, Record<string, string>, string | undefined][] = [
    ['GET', '/v1/runs/4bf92f3577b34da6a3ce929d0e0e4736', auth, undefined],
    ['GET', '/v1/runs', auth, undefined],
    ['GET', '/v1/agents', auth, undefined],
    ['GET', '/v1/agents/a/runs', auth, undefined],
    ['GET', '/v1/agents/a/signals', auth, undefined],
    ['GET', '/v1/signals', auth, undefined],
    ['POST', '/v1/traces', { ...auth, 'content-type': 'application/json' }, capture('traceloop-python')],
    [
      'POST',
      '/v1/ingest',
      { ...auth, 'content-type': 'application/json' },
      JSON.stringify({ agent_id: 'a', events: [{ event_type: 'run.started', run_id: 'r1', agent_id: 'a', agent_version: 'v', step_index: 0 }] }),
    ],
  ];
  it.each(routes)('%s %s → 503 + Retry-After 5, fixed message', async (method, url, headers, payload) => {
    const res = await rec.app.inject({ method: method as 'GET' | 'POST', url, headers, payload });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.json()).toMatchObject({ message: 'database unavailable, retry later' });
    expect(res.body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|not ready|postgres/i);
  });

  it('live keys cannot be checked during an outage: 503, not 401 (the key may be valid)', async () => {
    const cfg = testConfig({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none', AUTH_MODE: 'keys' });
    const keys = await createReceiver(cfg);
    try {
      const res = await keys.app.inject({ method: 'GET', url: '/v1/agents', headers: { authorization: `Bearer dt_live_${'a'.repeat(32)}` } });
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
    } finally {
      await keys.close();
    }
  });

  it('/health is 503 with its counters while the database is not ready', async () => {
    const res = await rec.app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ status: 'starting', database: 'not ready', spans: { accepted: 0 } });
  });
});

describe('a bug on the ingest path', () => {
  it('is a 500 logged once with its stack frames and without the request content or the error text', async () => {
    const { openPGliteStorage } = await import('../../src/storage/pglite.js');
    const { RECEIVER_MIGRATIONS } = await import('../../src/receiver/app.js');
    const storage = await openPGliteStorage({ dataDir: 'memory://', migrations: RECEIVER_MIGRATIONS });
    storage.writeSpans = () => Promise.reject(new TypeError('CANARY_BUG_TEXT'));
    const rec = await createReceiver(testConfig({ LOG_LEVEL: 'error' }), { storage });
    await rec.ready;
    const spy = vi.spyOn(rec.app.log, 'error');
    try {
      const res = await rec.app.inject({
        method: 'POST',
        url: '/v1/traces',
        headers: { authorization: `Bearer ${DEV_KEY}`, 'content-type': 'application/json' },
        payload: capture('traceloop-python'),
      });
      expect(res.statusCode).toBe(500);
      expect(res.json()).toEqual({ code: 2, message: 'internal error' }); // google.rpc.Status, as the Collector maps 500
      expect(res.body).not.toContain('CANARY');
      expect(spy).toHaveBeenCalledTimes(1);
      const text = JSON.stringify(spy.mock.calls[0]);
      expect(text).toContain('TypeError');
      expect(text).toMatch(/at .*\.(ts|js)/); // stack frames
      expect(text).not.toContain('CANARY');
      expect(text).not.toContain('gen_ai'); // no request content
    } finally {
      await rec.close();
    }
  });
});
