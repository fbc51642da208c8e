import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { otlpRun, rng } from '../../bench/fuzz/bodies.js';
import { devHeaders, getRun, inProcessReceiver, type InProcess } from '../helpers/receiver.js';

/**
 * Found by `npm run fuzz` (seed 1, case 39433: 500 on OTLP/JSON): a NUL byte in `service.name` became the run's
 * agent_id, Postgres refused it (22P05) and the whole export was answered 500 — the original's "one NUL drops the
 * batch" again. Identities are now cleaned like /v1/ingest's: control characters removed, lone surrogates replaced.
 */
describe('hostile identities in the resource and span attributes', () => {
  let r: InProcess;
  beforeAll(async () => {
    r = await inProcessReceiver();
  });
  afterAll(() => r.close());

  it.each([
    ['service.name', 'support\u0000bot', { agent_id: 'supportbot' }],
    ['service.version', '2.1\u0000.0', { agent_version: '2.1.0' }],
    ['service.name', '\ud800agent\u0007', { agent_id: '\ufffdagent' }],
  ])('%s %j → 200 and stored, cleaned', async (key, value, expected) => {
    const { req, traceId } = otlpRun(rng(key.length + value.length));
    const resource = (req as { resourceSpans: { resource: { attributes: { key: string; value: { stringValue: string } }[] } }[] }).resourceSpans[0].resource;
    resource.attributes = [
      { key: 'service.name', value: { stringValue: 'svc' } },
      { key, value: { stringValue: value } },
    ];
    const res = await r.fetch('/v1/traces', { method: 'POST', headers: devHeaders(), body: JSON.stringify(req) });
    expect(res.status, await res.clone().text()).toBe(200);
    const run = await getRun(r.fetch, traceId);
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({ span_count: 3, ...expected });
  });
});
