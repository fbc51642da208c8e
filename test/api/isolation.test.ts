import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../../src/receiver/admin.js';
import { loopingRun, newTraceId } from '../helpers/scenarios.js';
import { startReceiver, waitForClosedRun, type Running } from '../helpers/receiver.js';
import { getJson, openStream, postTrace, type TestStream } from './helpers.js';

/**
 * Two customers with live keys (AUTH_MODE=keys) on one receiver: each sees only its own agents, runs and signals,
 * on every endpoint and on the stream. Another customer's run is a 404; everything else is an empty list.
 */

let r: Running;
let acme: string;
let globex: string;
const acmeRun = newTraceId();
const globexRun = newTraceId();
const streams: TestStream[] = [];

beforeAll(async () => {
  r = await startReceiver({ AUTH_MODE: 'keys' });
  acme = (await createKey(r.receiver.ctx, 'acme', null)).key;
  globex = (await createKey(r.receiver.ctx, 'globex', null)).key;
  await postTrace(r.url, loopingRun(acmeRun, { agentId: 'acme-bot' }).all, acme);
  await waitForClosedRun(r.url, acmeRun, acme);
});
afterAll(async () => {
  for (const s of streams) s.close();
  await r?.close();
});

describe('cross-customer isolation', () => {
  it("a customer's stream does not receive another customer's signal", async () => {
    const url = `${r.url}/v1/signals/stream`;
    const acmeStream = await openStream(url, { authorization: `Bearer ${acme}` });
    const acmeByQuery = await openStream(`${url}?api_key=${acme}`, {});
    const globexStream = await openStream(url, { 'x-dunetrace-api-key': globex });
    streams.push(acmeStream, acmeByQuery, globexStream);
    for (const s of streams) expect(s.status).toBe(200);

    // globex's looping run: only globex's stream gets its TOOL_LOOP.
    await postTrace(r.url, loopingRun(globexRun, { agentId: 'globex-bot' }).all, globex);
    const got = await globexStream.waitForEvent((d) => d.run_id === globexRun);
    expect(got).toMatchObject({ agent_id: 'globex-bot', failure_type: 'TOOL_LOOP' });

    // Then acme's: the first (and only) event acme's streams get is their own.
    const second = newTraceId();
    await postTrace(r.url, loopingRun(second, { agentId: 'acme-bot' }).all, acme);
    for (const s of [acmeStream, acmeByQuery]) {
      await s.waitForEvent((d) => d.run_id === second);
      expect(s.events.map((e) => JSON.parse(e.data).run_id)).toEqual([second]);
    }
    expect(globexStream.events.map((e) => JSON.parse(e.data).run_id)).toEqual([globexRun]);
    await waitForClosedRun(r.url, globexRun, globex);
    await waitForClosedRun(r.url, second, acme);
  });

  it("lists show only the caller's agents, runs and signals", async () => {
    const as = async (key: string, path: string) => {
      const res = await getJson(r.url + path, key);
      expect(res.status, path).toBe(200);
      return res.body;
    };
    expect((await as(acme, '/v1/agents')).agents.map((a: any) => a.agent_id)).toEqual(['acme-bot']);
    expect((await as(globex, '/v1/agents')).agents.map((a: any) => a.agent_id)).toEqual(['globex-bot']);
    expect((await as(acme, '/v1/agents')).agents[0]).toMatchObject({ run_count: 2, signal_count: 2 });

    expect((await as(acme, '/v1/runs')).page.total).toBe(2);
    expect((await as(globex, '/v1/runs')).runs.map((x: any) => x.run_id)).toEqual([globexRun]);
    expect((await as(acme, '/v1/signals')).signals.every((s: any) => s.agent_id === 'acme-bot')).toBe(true);
    expect((await as(globex, '/v1/signals')).signals.map((s: any) => s.run_id)).toEqual([globexRun]);

    // Naming the other customer's agent or run gives nothing.
    expect(await as(acme, '/v1/agents/globex-bot/runs')).toEqual({ runs: [], page: { total: 0, offset: 0, limit: 50, has_more: false } });
    expect(await as(acme, '/v1/agents/globex-bot/signals')).toEqual({ signals: [], page: { total: 0, offset: 0, limit: 50, has_more: false } });
    expect((await as(acme, '/v1/runs?agent=globex-bot')).runs).toEqual([]);
    expect((await as(acme, '/v1/signals?agent=globex-bot')).signals).toEqual([]);
    expect((await as(acme, `/v1/signals?run_id=${globexRun}`)).signals).toEqual([]);
    expect((await as(globex, `/v1/signals?run_id=${acmeRun}&include_shadow=true`)).signals).toEqual([]);
  });

  it("another customer's run is a 404, like one that does not exist", async () => {
    expect((await getJson(`${r.url}/v1/runs/${globexRun}`, acme)).status).toBe(404);
    expect((await getJson(`${r.url}/v1/runs/${acmeRun}`, globex)).status).toBe(404);
    expect((await getJson(`${r.url}/v1/runs/${acmeRun}`, acme)).status).toBe(200);
  });

  it('dev keys are refused in AUTH_MODE=keys, on the stream too', async () => {
    expect((await getJson(`${r.url}/v1/agents`, 'dt_dev_x')).status).toBe(401);
    const s = await openStream(`${r.url}/v1/signals/stream?api_key=dt_dev_x`, {});
    expect(s.status).toBe(401);
  });

  it('agent ids with slashes and spaces work URL-encoded in the path', async () => {
    const id = newTraceId();
    await postTrace(r.url, loopingRun(id, { agentId: 'team/alpha bot' }).all, globex);
    await waitForClosedRun(r.url, id, globex);
    const body = (await getJson(`${r.url}/v1/agents/${encodeURIComponent('team/alpha bot')}/runs`, globex)).body;
    expect(body.runs.map((x: any) => x.run_id)).toEqual([id]);
    const sig = (await getJson(`${r.url}/v1/agents/${encodeURIComponent('team/alpha bot')}/signals`, globex)).body;
    expect(sig.signals.map((s: any) => s.failure_type)).toEqual(['TOOL_LOOP']);
  });
});
