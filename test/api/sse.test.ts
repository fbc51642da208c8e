import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sseSettings } from '../../src/receiver/api/sse.js';
import { loopingRun, newTraceId } from '../helpers/scenarios.js';
import { DEV_KEY, startReceiver, waitFor, type Running } from '../helpers/receiver.js';
import { getJson, openStream, postTrace, signal, type TestStream } from './helpers.js';

/** GET /v1/signals/stream: live signals over SSE, filters, replay, heartbeats, auth by query key, clean shutdown. */

let r: Running;
const open: TestStream[] = [];
const stream = async (query = '', headers?: Record<string, string>) => {
  const s = await openStream(`${r.url}/v1/signals/stream${query}`, headers);
  open.push(s);
  return s;
};
/** Stores signals and hands them to the hub, exactly as the pipeline's sink does after a detector run. */
const publish = async (...rows: Parameters<typeof signal>[0][]) => {
  const stored = await r.receiver.ctx.storage.get().saveSignals(rows.map(signal));
  r.receiver.ctx.signals.publish(stored);
  return stored;
};

beforeAll(async () => {
  r = await startReceiver();
});
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});
afterAll(async () => r?.close());

describe('GET /v1/signals/stream', () => {
  it('pushes the TOOL_LOOP of a looping run posted after subscribing, in the GET /v1/signals shape', async () => {
    const s = await stream();
    expect(s.status).toBe(200);
    expect(s.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(s.headers.get('cache-control')).toContain('no-cache');
    await s.waitForText(`retry: ${sseSettings.retryMs}\n`);

    const traceId = newTraceId();
    const run = loopingRun(traceId, { agentId: 'sse-agent' });
    await postTrace(r.url, run.children); // TOOL_LOOP is found live, before the root arrives
    const got = await s.waitForEvent((d) => d.run_id === traceId);
    expect(got).toMatchObject({ failure_type: 'TOOL_LOOP', severity: 'HIGH', agent_id: 'sse-agent', shadow: false, detected_live: true });
    expect(got.explanation.title).toMatch(/^Tool loop: search called/);
    const event = s.events.find((e) => JSON.parse(e.data).run_id === traceId)!;
    expect(event.event).toBe('message');
    expect(event.id).toBe(String(got.id));
    // Exactly what the list endpoint shows for it.
    const listed = (await getJson(`${r.url}/v1/signals?run_id=${traceId}`)).body.signals;
    expect(listed).toEqual([got]);
    await postTrace(r.url, run.root);
  });

  it('honours agent, min_severity, failure_type and include_shadow', async () => {
    const critical = await stream('?min_severity=CRITICAL');
    const loops = await stream('?failure_type=TOOL_LOOP&agent=a1');
    const shadows = await stream('?include_shadow=true&agent=a2');
    await waitFor(async () => r.receiver.ctx.signals.size >= 3);
    const [high, crit, other, shadow] = await publish(
      { agent_id: 'a1', failure_type: 'TOOL_LOOP', severity: 'HIGH' },
      { agent_id: 'a1', failure_type: 'RETRY_STORM', severity: 'CRITICAL' },
      { agent_id: 'a2', failure_type: 'TOOL_LOOP', severity: 'CRITICAL', shadow: true },
      { agent_id: 'a2', failure_type: 'SLOW_STEP', severity: 'LOW', shadow: true },
    );
    // A last, matching-for-all marker: once it arrived, everything before it had been sent or filtered.
    const [marker] = await publish({ agent_id: 'a1', failure_type: 'TOOL_LOOP', severity: 'CRITICAL' });
    for (const s of [critical, loops]) await s.waitForEvent((d) => d.id === marker.id);
    const [a2Marker] = await publish({ agent_id: 'a2', failure_type: 'TOOL_LOOP', severity: 'CRITICAL', shadow: true });
    await shadows.waitForEvent((d) => d.id === a2Marker.id);

    const ids = (s: TestStream) => s.events.map((e) => Number(e.id));
    expect(ids(critical)).toEqual([crit.id, marker.id]); // shadow CRITICAL left out by default
    expect(ids(loops)).toEqual([high.id, marker.id]);
    expect(ids(shadows)).toEqual([other.id, shadow.id, a2Marker.id]);
    expect(JSON.parse(shadows.events[0].data)).toMatchObject({ shadow: true });
  });

  it('replays stored signals first with since=, then streams live ones, without duplicates', async () => {
    const before = await publish(
      { agent_id: 'replay', failure_type: 'TOOL_LOOP', severity: 'HIGH', detected_at: new Date(Date.now() - 20 * 60_000) },
      { agent_id: 'replay', failure_type: 'RETRY_STORM', severity: 'HIGH', detected_at: new Date(Date.now() - 5 * 60_000) },
      { agent_id: 'replay', failure_type: 'SLOW_STEP', severity: 'HIGH', detected_at: new Date(Date.now() - 3 * 3_600_000) },
    );
    const s = await stream('?agent=replay&since=1h');
    await s.waitForEvent((d) => d.id === before[1].id);
    const [live] = await publish({ agent_id: 'replay', failure_type: 'CONTEXT_BLOAT', severity: 'LOW' });
    await s.waitForEvent((d) => d.id === live.id);
    // Oldest first, the 3-hour-old one left out.
    expect(s.events.map((e) => Number(e.id))).toEqual([before[0].id, before[1].id, live.id]);
  });

  it('replays what was missed after Last-Event-ID (EventSource reconnect)', async () => {
    const rows = await publish(
      { agent_id: 'resume', failure_type: 'TOOL_LOOP', severity: 'HIGH' },
      { agent_id: 'resume', failure_type: 'RETRY_STORM', severity: 'HIGH' },
      { agent_id: 'resume', failure_type: 'SLOW_STEP', severity: 'HIGH' },
    );
    const s = await stream('?agent=resume', { authorization: `Bearer ${DEV_KEY}`, 'last-event-id': String(rows[0].id) });
    await s.waitForEvent((d) => d.id === rows[2].id);
    expect(s.events.map((e) => Number(e.id))).toEqual([rows[1].id, rows[2].id]);
  });

  it('sends heartbeat comments on the configured interval', async () => {
    const saved = sseSettings.heartbeatMs;
    sseSettings.heartbeatMs = 100;
    try {
      const s = await stream();
      await s.waitForText(': heartbeat\n\n', 3000);
      expect(sseSettings.heartbeatMs).toBe(100);
    } finally {
      sseSettings.heartbeatMs = saved;
    }
    expect(saved).toBe(15_000);
  });

  it('takes the key from ?api_key= (EventSource sends no headers); refuses a missing or unknown key', async () => {
    const s = await stream(`?api_key=${DEV_KEY}`, {});
    expect(s.status).toBe(200);
    const noKey = await stream('', {});
    expect(noKey.status).toBe(401);
    expect(JSON.parse(noKey.raw()).message).toContain('api_key');
    expect((await stream(`?api_key=dt_live_${'0'.repeat(32)}`, {})).status).toBe(401);
    // Other routes do not take it.
    expect((await getJson(`${r.url}/v1/signals?api_key=${DEV_KEY}`, null)).status).toBe(401);
  });

  it('unsubscribes when the client goes away', async () => {
    const size = () => r.receiver.ctx.signals.size;
    await waitFor(async () => size() === 0); // the streams of earlier tests were closed by afterEach
    const s = await stream();
    await waitFor(async () => size() === 1);
    s.close();
    await waitFor(async () => size() === 0);
  });
});

describe('shutdown with open streams', () => {
  it("app.close() (and the receiver's close()) ends open streams and does not hang", async () => {
    const own = await startReceiver();
    const a = await openStream(`${own.url}/v1/signals/stream`);
    const b = await openStream(`${own.url}/v1/signals/stream?api_key=${DEV_KEY}`, {});
    await a.waitForText(': connected');
    await b.waitForText(': connected');
    const t0 = Date.now();
    await own.receiver.app.close(); // what receiver.close() does first; waits for in-flight responses
    expect(Date.now() - t0).toBeLessThan(3_000);
    await own.close();
    await Promise.all([a.ended, b.ended]); // the clients see the stream end
    expect(a.raw()).toContain(': receiver shutting down');
    expect(own.receiver.ctx.signals.size).toBe(0);
  });
});
