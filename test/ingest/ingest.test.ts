import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_KEY, getRun, inProcessReceiver, waitFor, waitForClosedRun, type InProcess } from '../helpers/receiver.js';
import { batches, sdkRequest, SdkRun, type Generation, type SdkEvent } from './sdk-batches.js';

/** POST /v1/ingest with batches shaped exactly as both original SDK generations send them. */
describe('POST /v1/ingest (the original Dunetrace wire protocol)', () => {
  let r: InProcess;
  beforeAll(async () => {
    r = await inProcessReceiver({ DUNETRACE_RUN_GRACE_MS: '300', DUNETRACE_RUN_IDLE_TIMEOUT_MS: '1500', DUNETRACE_MAX_BODY_BYTES: String(512 * 1024) });
  });
  afterAll(() => r.close());

  const post = async (gen: Generation, events: readonly SdkEvent[], key = DEV_KEY) => {
    const { headers, body } = sdkRequest(gen, key, events);
    return r.fetch('/v1/ingest', { method: 'POST', headers, body });
  };
  const send = async (gen: Generation, run: SdkRun) => {
    for (const batch of batches(run.events, 100)) {
      const res = await post(gen, batch);
      expect(res.status, await res.clone().text()).toBe(202);
    }
  };
  const types = (run: any) => run.events.map((e: any) => e.event_type);
  const signalTypes = (run: any) => run.signals.map((s: any) => s.failure_type).sort();

  describe.each(['v03', 'v1'] as const)('SDK generation %s', (gen) => {
    it('answers 202 {accepted, batch_id, queued_at} after the commit; a clean run has exactly its calls and no signal', async () => {
      const run = new SdkRun(gen, `clean-${gen}`)
        .started('What is the status of order A-1?', { tools: ['lookup_order'] })
        .llm('', 'tool_calls')
        .tool('lookup_order', { id: 'A-1' }, { output: '{"status":"shipped"}' })
        .llm('Your order has shipped.')
        .completed('final_answer');
      const res = await post(gen, run.events);
      expect(res.status).toBe(202);
      const body = (await res.json()) as { accepted: number; batch_id: string; queued_at: number };
      expect(body.accepted).toBe(run.events.length);
      expect(body.batch_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(Math.abs(body.queued_at - Date.now() / 1000)).toBeLessThan(60);
      // Stored before the answer: the run is readable at once (the original answered before writing).
      expect((await getRun(r.fetch, run.runId)).status).toBe(200);

      const stored = await waitForClosedRun(r.fetch, run.runId);
      expect(stored).toMatchObject({ status: 'completed', exit_reason: 'final_answer', agent_id: `clean-${gen}`, agent_version: 'a1b2c3d4' });
      expect(types(stored)).toEqual([
        'run.started',
        'llm.called',
        'llm.responded',
        'tool.called',
        'tool.responded',
        'llm.called',
        'llm.responded',
        'run.completed',
      ]);
      // A call and its response share one step, whichever generation numbered them how.
      expect(stored.events.map((e: any) => e.step_index)).toEqual([0, 1, 1, 2, 2, 3, 3, 3]);
      expect(stored.events[0].payload).toMatchObject({ tools: ['lookup_order'], model: 'gpt-4o', input_hash: expect.stringMatching(/^[0-9a-f]{32}$/) });
      expect(stored.events[4].payload).toMatchObject({ tool_name: 'lookup_order', success: true, output_length: 20 });
      expect(stored.signals).toEqual([]);
    });

    it('a looping agent → TOOL_LOOP', async () => {
      const run = new SdkRun(gen, `loop-${gen}`).started('find the refund policy', { tools: ['search'] });
      for (let i = 0; i < 6; i++) run.llm('', 'tool_calls').tool('search', { q: 'refund policy' }, { output: 'no results' });
      run.llm('I could not find it.').completed('final_answer');
      await send(gen, run);
      const stored = await waitForClosedRun(r.fetch, run.runId);
      expect(types(stored).filter((t: string) => t === 'tool.called')).toHaveLength(6);
      expect(signalTypes(stored)).toContain('TOOL_LOOP');
      expect(stored.signals.find((s: any) => s.failure_type === 'TOOL_LOOP').evidence).toMatchObject({ tool: 'search', args_identical: true });
      expect(signalTypes(stored)).not.toContain('REASONING_STALL');
    });

    it('a tool failing three times in a row → RETRY_STORM; run.errored → an errored run', async () => {
      const run = new SdkRun(gen, `storm-${gen}`).started('book a table', { tools: ['book'] });
      for (let i = 0; i < 3; i++) run.llm('', 'tool_calls').tool('book', { at: '19:00' }, { error: 'upstream 503' });
      run.errored('BookingError', 'gave up after 3 attempts');
      await send(gen, run);
      const stored = await waitForClosedRun(r.fetch, run.runId);
      expect(stored).toMatchObject({ status: 'errored', exit_reason: 'error' });
      expect(signalTypes(stored)).toContain('RETRY_STORM');
      expect(stored.events.at(-1)).toMatchObject({ event_type: 'run.errored', payload: { error_type: 'BookingError' } });
    });

    it('a retried batch is stored once', async () => {
      const run = new SdkRun(gen, `retry-${gen}`).started('hi').llm('hello').completed();
      for (let i = 0; i < 3; i++) expect((await post(gen, run.events)).status).toBe(202);
      const stored = await waitForClosedRun(r.fetch, run.runId);
      expect(stored.span_count).toBe(run.events.length);
      expect(types(stored)).toEqual(['run.started', 'llm.called', 'llm.responded', 'run.completed']);
    });
  });

  it('a run split over requests, arriving out of order, is one run judged once on all its events', async () => {
    const run = new SdkRun('v1', 'split-agent').started('x', { tools: ['search'] });
    for (let i = 0; i < 6; i++) run.llm('', 'tool_calls').tool('search', { q: 'same' }, { output: 'none' });
    run.llm('done').completed();
    const parts = batches(run.events, 7); // 4 requests, run.completed in the last
    expect(parts).toHaveLength(4);
    const answers = await Promise.all(parts.reverse().map((p) => post('v1', p)));
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 202]);
    const stored = await waitForClosedRun(r.fetch, run.runId);
    expect(types(stored).filter((t: string) => t === 'tool.called')).toHaveLength(6);
    expect(stored.events.filter((e: any) => e.late)).toEqual([]);
    expect(signalTypes(stored).filter((t: string) => t === 'TOOL_LOOP')).toHaveLength(1);
  });

  it('the API finds the run by the id the SDK gave it: a UUID, or any string', async () => {
    const custom = `order-bot/run #${randomUUID().slice(0, 8)}`;
    const run = new SdkRun('v1', 'custom-id-agent', custom).started('hi').llm('hello').completed();
    expect((await post('v1', run.events)).status).toBe(202);
    const byCustom = await waitFor(async () => {
      const got = await getRun(r.fetch, encodeURIComponent(custom));
      return got.status === 200 && got.body.status !== 'open' ? got.body : null;
    });
    expect(byCustom.agent_id).toBe('custom-id-agent');
    const uuidRun = new SdkRun('v1', 'uuid-agent').started('hi').llm('hello').completed();
    expect((await post('v1', uuidRun.events)).status).toBe(202);
    expect((await waitForClosedRun(r.fetch, uuidRun.runId)).run_id).toBe(uuidRun.runId.replace(/-/g, ''));
  });

  it('a run without run.completed goes stalled after the idle timeout', async () => {
    const run = new SdkRun('v03', 'stall-agent')
      .started('x', { tools: ['t'] })
      .llm('', 'tool_calls')
      .tool('t', {});
    expect((await post('v03', run.events)).status).toBe(202);
    const stored = await waitForClosedRun(r.fetch, run.runId);
    expect(stored).toMatchObject({ status: 'stalled', exit_reason: 'stalled' });
  });

  it('NUL characters and odd Unicode in any field never cost the batch', async () => {
    const run = new SdkRun('v1', 'odd\u0000agent\ud800').started('input with \u0000 NUL and \udc00 a lone surrogate 🤖', { tools: ['sea\u0000rch'] });
    run.llm('out \u0000').tool('sea\u0000rch', { q: '\u0000\ud83d' }, { output: '\u0000' }).completed();
    // (No X-Dunetrace-Agent header: HTTP cannot carry this agent id in one.)
    const body = JSON.stringify({ api_key: DEV_KEY, agent_id: 'odd', events: run.events });
    const res = await r.fetch('/v1/ingest', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(res.status).toBe(202);
    const stored = await waitForClosedRun(r.fetch, run.runId);
    expect(stored.agent_id).toBe('oddagent\ufffd');
    expect(stored.events.find((e: any) => e.event_type === 'tool.called').payload.tool_name).toBe('search');
  });

  it('every event type the original defines is accepted; the ones not judged yet are kept as signals', async () => {
    const run = new SdkRun('v1', 'other-events').started('hi');
    for (const type of [
      'memory.written',
      'memory.read',
      'memory.cleared',
      'approval.requested',
      'approval.granted',
      'approval.denied',
      'approval.timeout',
      'policy.triggered',
      'policy.evaluated',
      'transcription.received',
      'tts.generated',
      'voice_activity.detected',
      'turn_taking.changed',
      'recording.available',
    ]) {
      run.raw(type, { key: 'user_pref', value: 'a value', tool_name: 'refund', note: 'ok' });
    }
    run.raw('external.signal', { signal_name: 'rate_limit', source: 'gateway', retry_in: 3 }).llm('hello').completed();
    expect((await post('v1', run.events)).status).toBe(202);
    const stored = await waitForClosedRun(r.fetch, run.runId);
    const signals = stored.events.filter((e: any) => e.event_type === 'external.signal');
    expect(signals.map((e: any) => e.payload.signal_name)).toContain('memory.written');
    expect(signals).toHaveLength(15);
    const memory = signals.find((e: any) => e.payload.signal_name === 'memory.written').payload.meta;
    expect(memory).toMatchObject({ key: 'user_pref', value_length: 7, value_hash: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(signals.find((e: any) => e.payload.signal_name === 'rate_limit').payload).toMatchObject({ source: 'gateway', meta: { retry_in: 3 } });
  });

  describe('refusals, with the status the original gives and a message naming the problem', () => {
    const raw = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
      r.fetch('/v1/ingest', { method: 'POST', headers, body });
    const one = () => new SdkRun('v1', 'bad').started('x').events;

    it('501 events → 422', async () => {
      const run = new SdkRun('v1', 'big').started('x');
      for (let i = 0; i < 250; i++) run.llm('y');
      expect(run.events).toHaveLength(501);
      const res = await post('v1', run.events);
      expect(res.status).toBe(422);
      expect(((await res.json()) as { message: string }).message).toMatch(/^events: at most 500 events per batch/);
    });

    it('a bad event type or a missing run id → 422 naming the event index and field', async () => {
      const events: any[] = [...one(), { ...one()[0], event_type: 'llm.exploded' }, { ...one()[0], run_id: undefined }];
      const res = await post('v1', events);
      expect(res.status).toBe(422);
      const { error, message } = (await res.json()) as { error: string; message: string };
      expect(error).toBe('invalid_events');
      expect(message).toContain('events[1].event_type');
      expect(message).toContain('events[2].run_id');
    });

    it('no events, no agent_id, not JSON, not JSON content → 422, 422, 400, 415', async () => {
      expect((await raw(JSON.stringify({ api_key: DEV_KEY, agent_id: 'a', events: [] }))).status).toBe(422);
      expect((await raw(JSON.stringify({ api_key: DEV_KEY, events: one() }))).status).toBe(422);
      expect((await raw('{"api_key": "dt_dev_x", "events": [')).status).toBe(400);
      expect((await raw(JSON.stringify({ api_key: DEV_KEY, agent_id: 'a', events: one() }), { 'content-type': 'text/plain' })).status).toBe(415);
    });

    it('no key, an unknown body key, a bad header key → 401', async () => {
      expect((await raw(JSON.stringify({ agent_id: 'a', events: one() }))).status).toBe(401);
      expect((await raw(JSON.stringify({ api_key: 'nope', agent_id: 'a', events: one() }))).status).toBe(401);
      const res = await raw(JSON.stringify({ api_key: DEV_KEY, agent_id: 'a', events: one() }), {
        'content-type': 'application/json',
        authorization: 'Bearer dt_live_unknown',
      });
      expect(res.status).toBe(401);
    });

    it('a body over the limit → 413', async () => {
      const run = new SdkRun('v1', 'huge').started('x'.repeat(600 * 1024));
      expect((await post('v1', run.events)).status).toBe(413);
    });
  });
});
