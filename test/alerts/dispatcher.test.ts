import { afterEach, describe, expect, it, vi } from 'vitest';
import { AlertDispatcher, verifySignature, type AlertDispatcherConfig, type StoredSignal, type Outbox, type SlackMessage } from '../../src/alerts/index.js';
import { MemoryOutbox } from './memory-outbox.js';
import {
  explain,
  makeSignal,
  memoryLogger,
  realClearTimeout,
  realSetTimeout,
  signalsOf,
  slackOk,
  startServer,
  until,
  webhookOk,
  type Reply,
  type Received,
  type TestServer,
} from './helpers.js';

const SECRET = 'whsec_test';
const SLACK_PATH = '/services/T0001/B0001/s3cr3tPathToken';
const DASH = 'http://dash.local:3000';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  // Lets whatever a failed fake-timer test left waiting (a retry, a request timeout) finish, so close() returns.
  if (vi.isFakeTimers()) await vi.advanceTimersByTimeAsync(LATER);
  for (const fn of cleanup.splice(0).reverse()) await fn();
  vi.useRealTimers();
});

/**
 * Fakes the dispatcher's timers and clock (setTimeout/clearTimeout and Date; the request timeout too). The endpoints,
 * sockets and the helpers' waits keep real time, so a test moves the dispatcher's time by hand and waits for real I/O.
 */
function fakeTimers(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
}

/** Moves fake time on by `ms`, then waits (in real time) for whatever that started, sends included. */
async function advance(d: AlertDispatcher, ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
  await d.idle();
}

/** Awaits `p` while fake time stands still: fails (after 5 s of real time) if it needed a timer to fire. */
async function withoutTime<T>(p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<never>((_, reject) => {
    timer = realSetTimeout(() => reject(new Error('still waiting after 5 s of real time with fake time standing still')), 5_000);
  });
  try {
    return await Promise.race([p, stuck]);
  } finally {
    realClearTimeout(timer);
  }
}

/** Longer than any retry or digest in these tests: nothing may be sent after it. */
const LATER = 30 * 60_000;

interface Rig {
  slack: TestServer;
  webhook: TestServer;
  outbox: Outbox;
  store: Map<number, StoredSignal>;
  log: ReturnType<typeof memoryLogger>;
  make(config?: Partial<AlertDispatcherConfig>): AlertDispatcher;
  /** Stores the signals (as the pipeline does) and returns them. */
  save(signals: StoredSignal[]): StoredSignal[];
}

async function rig(
  opts: {
    slack?: (r: Received, i: number) => Reply;
    webhook?: (r: Received, i: number) => Reply;
    outbox?: Outbox;
  } = {},
): Promise<Rig> {
  const slack = await startServer(opts.slack ?? slackOk);
  const webhook = await startServer(opts.webhook ?? webhookOk);
  cleanup.push(
    () => slack.close(),
    () => webhook.close(),
  );
  const outbox = opts.outbox ?? new MemoryOutbox();
  const store = new Map<number, StoredSignal>();
  const log = memoryLogger();
  return {
    slack,
    webhook,
    outbox,
    store,
    log,
    make(config = {}) {
      const d = new AlertDispatcher(
        {
          slackWebhookUrl: `${slack.origin}${SLACK_PATH}`,
          webhookUrl: `${webhook.origin}/hooks/dunetrace`,
          webhookSecret: SECRET,
          dashboardUrl: DASH,
          backoff: { baseMs: 30, jitter: 0 },
          timeoutMs: 1_000,
          ...config,
        },
        { outbox, explain, loadSignal: async (id) => store.get(id) ?? null, logger: log },
      );
      cleanup.push(() => d.close());
      return d;
    },
    save(signals) {
      for (const s of signals) store.set(s.id, s);
      return signals;
    },
  };
}

const slackBody = (r: Received) => JSON.parse(r.body) as SlackMessage;
const hookBody = (r: Received) => JSON.parse(r.body) as Record<string, unknown>;
const deliveries = (o: Outbox) => (o as MemoryOutbox).all();

describe('AlertDispatcher → Slack and webhook (real local HTTP servers)', () => {
  // How fast is measured by `npm run bench:alerts`; here, that sending needs no timer at all (no polling, no batching).
  it('sends a new signal at once, to both channels, with the full payloads', async () => {
    fakeTimers();
    const r = await rig();
    const d = r.make();
    const [s] = r.save([makeSignal({ severity: 'CRITICAL' })]);
    await withoutTime(d.notify([s])); // resolves after each delivery's first attempt
    expect(r.slack.replied).toEqual([200]);
    expect(r.webhook.replied).toEqual([204]);

    const sr = r.slack.received[0];
    expect(sr.path).toBe(SLACK_PATH);
    expect(sr.headers['content-type']).toBe('application/json');
    const msg = slackBody(sr);
    expect(msg.attachments[0].color).toBe('#FF0000');
    expect(msg.attachments[0].blocks.map((b) => b.type)).toEqual([
      'header',
      'context',
      'divider',
      'section',
      'section',
      'section',
      'divider',
      'section',
      'divider',
      'actions',
    ]);
    const button = msg.attachments[0].blocks[9];
    expect(button.type === 'actions' && button.elements[0].url).toBe(`${DASH}/runs/${s.run_id}`);
    expect(button.type === 'actions' && button.elements[0].text.text).toBe('View run');

    const wr = r.webhook.received[0];
    expect(wr.path).toBe('/hooks/dunetrace');
    expect(wr.headers['x-dunetrace-event']).toBe('failure_signal');
    expect(wr.headers['x-dunetrace-version']).toBe('1.0');
    expect(wr.headers['x-dunetrace-delivery']).toBe(`signal-${s.id}`);
    expect(verifySignature(wr.body, SECRET, wr.headers['x-dunetrace-signature'])).toBe(true);
    expect(verifySignature(wr.body, 'wrong', wr.headers['x-dunetrace-signature'])).toBe(false);
    const body = hookBody(wr);
    expect(body).toMatchObject({
      schema_version: '1.0',
      event: 'failure_signal',
      failure_type: 'TOOL_LOOP',
      severity: 'CRITICAL',
      run_id: s.run_id,
      agent_id: s.agent_id,
      agent_version: s.agent_version,
      step_index: s.step_index,
      confidence: s.confidence,
      detected_at: s.detected_at.toISOString(),
      title: 'Tool loop: TOOL_LOOP',
    });

    const rows = deliveries(r.outbox);
    expect(rows.map((x) => [x.channel, x.status, x.attempts])).toEqual([
      ['slack', 'delivered', 1],
      ['webhook', 'delivered', 1],
    ]);
    expect(d.stats()).toMatchObject({ enqueued: 2, delivered: 2, failed: 0, retries: 0 });
  });

  it('50 sequential alerts: each is sent by its own notify, none waits for a timer', async () => {
    fakeTimers();
    const r = await rig();
    const d = r.make({ slackWebhookUrl: null });
    for (let i = 0; i < 50; i++) {
      const [s] = r.save([makeSignal({ agent_id: `agent-${i}` })]); // distinct agents: no flood guard
      await withoutTime(d.notify([s]));
      expect(r.webhook.received).toHaveLength(i + 1);
      expect(hookBody(r.webhook.received[i]).run_id).toBe(s.run_id);
    }
    expect(d.stats()).toMatchObject({ enqueued: 50, delivered: 50 });
  });

  it('evidence and explanations pass through unchanged (no raw content added)', async () => {
    const r = await rig();
    const d = r.make();
    const evidence = { tool: 'search', count: 4, args_hash: 'sha256:ab12', nested: { steps: [3, 4, 5] } };
    const [s] = r.save([makeSignal({ evidence })]);
    await d.notify([s]);
    const body = hookBody(r.webhook.received[0]);
    expect(body.evidence).toEqual(evidence);
    const ex = explain(s);
    expect(body).toMatchObject({ what: ex.what, why_it_matters: ex.why_it_matters, evidence_summary: ex.evidence_summary });
    // Slack shows the explainer's summary, never the raw evidence object.
    expect(r.slack.received[0].body).not.toContain('args_hash');
    // Outbox rows hold ids and state only.
    for (const row of deliveries(r.outbox)) {
      expect(Object.keys(row).sort()).toEqual([
        'attempts',
        'channel',
        'created_at',
        'customer_id',
        'delivered_at',
        'digest',
        'id',
        'last_error',
        'next_attempt_at',
        'signal_id',
        'status',
      ]);
    }
  });

  it('filters by each channel’s minimum severity (defaults: Slack HIGH, webhook LOW)', async () => {
    const r = await rig();
    const d = r.make();
    const sigs = r.save(['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'].map((severity) => makeSignal({ severity: severity as StoredSignal['severity'] })));
    await d.notify(sigs);
    expect(r.slack.received.map((x) => slackBody(x).attachments[0].color)).toEqual(['#FF6B00', '#FF0000']);
    expect(r.webhook.received.map((x) => hookBody(x).severity)).toEqual(['LOW', 'MEDIUM', 'HIGH', 'CRITICAL']);
    expect(d.stats()).toMatchObject({ skipped_severity: 2, enqueued: 6 });
  });

  it('honours custom minimums', async () => {
    const r = await rig();
    const d = r.make({ slackMinSeverity: 'CRITICAL', webhookMinSeverity: 'HIGH' });
    await d.notify(r.save(['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'].map((severity) => makeSignal({ severity: severity as StoredSignal['severity'] }))));
    expect(r.slack.received.map((x) => slackBody(x).text.split(':')[0])).toEqual(['CRITICAL']);
    expect(r.webhook.received.map((x) => hookBody(x).severity)).toEqual(['HIGH', 'CRITICAL']);
  });

  it('never sends shadow signals (and records nothing for them)', async () => {
    const r = await rig();
    const d = r.make();
    await d.notify(r.save([makeSignal({ shadow: true, severity: 'CRITICAL' })]));
    await d.idle();
    expect(r.slack.received).toHaveLength(0);
    expect(r.webhook.received).toHaveLength(0);
    expect(deliveries(r.outbox)).toHaveLength(0);
    expect(d.stats().skipped_shadow).toBe(2);
  });

  it('with no channel configured: nothing is sent or recorded, and nothing is claimed as alerted', async () => {
    const r = await rig();
    const d = r.make({ slackWebhookUrl: null, webhookUrl: null });
    await d.notify(r.save([makeSignal({ severity: 'CRITICAL' })]));
    await d.start();
    expect(deliveries(r.outbox)).toHaveLength(0);
    expect(d.stats().enqueued).toBe(0);
    expect(d.describe()).toEqual([]);
  });

  it('one alert per (signal, channel) even if notify is called twice (concurrently and later)', async () => {
    const r = await rig();
    const d = r.make();
    const sigs = r.save(signalsOf(3, { severity: 'HIGH' }));
    await Promise.all([d.notify(sigs), d.notify(sigs)]);
    await d.notify(sigs);
    const d2 = r.make(); // another dispatcher on the same outbox
    await d2.notify(sigs);
    await d2.idle();
    expect(r.slack.received).toHaveLength(3);
    expect(r.webhook.received).toHaveLength(3);
    expect(deliveries(r.outbox)).toHaveLength(6);
  });

  it('retries after a 500 at the backoff delay, then succeeds exactly once; counts attempts; logs channel/status/attempt only', async () => {
    fakeTimers();
    const r = await rig({
      slack: (_q, i) => (i === 0 ? { status: 500, body: 'internal_error' } : slackOk()),
    });
    const d = r.make({ webhookUrl: null }); // backoff 30 ms, no jitter
    const [s] = r.save([makeSignal()]);
    await d.notify([s]);
    expect(r.slack.replied).toEqual([500]);
    await advance(d, 29);
    expect(r.slack.received).toHaveLength(1);
    await advance(d, 1);
    expect(r.slack.replied).toEqual([500, 200]);
    expect(r.slack.received[1].body).toBe(r.slack.received[0].body);
    const [row] = deliveries(r.outbox);
    expect(row).toMatchObject({ status: 'delivered', attempts: 2, last_error: 'http 500 internal_error' });
    await advance(d, LATER);
    expect(r.slack.received).toHaveLength(2); // nothing after the success

    const warn = r.log.lines.filter((l) => l.level === 'warn');
    expect(warn).toHaveLength(1);
    expect(warn[0].obj).toMatchObject({ channel: 'slack', status: 500, attempt: 1, host: new URL(r.slack.origin).host });
    const logged = JSON.stringify(r.log.lines);
    expect(logged).not.toContain('s3cr3tPathToken');
    expect(logged).not.toContain('Tool loop');
    expect(logged).not.toContain(s.run_id);
  });

  it('honours Retry-After on 429 (1 s exactly, although the backoff is 30 ms)', async () => {
    fakeTimers();
    const r = await rig({
      webhook: (_q, i) => (i === 0 ? { status: 429, headers: { 'Retry-After': '1' } } : webhookOk()),
    });
    const d = r.make({ slackWebhookUrl: null });
    await d.notify(r.save([makeSignal()]));
    expect(r.webhook.replied).toEqual([429]);
    await advance(d, 999);
    expect(r.webhook.received).toHaveLength(1);
    await advance(d, 1);
    expect(r.webhook.replied).toEqual([429, 204]);
    expect(deliveries(r.outbox)[0]).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(r.log.lines.filter((l) => l.level === 'warn').map((l) => l.obj)).toMatchObject([{ status: 429, attempt: 1, retry_in_ms: 1_000 }]);
  });

  it('a 400 is permanent: one attempt, marked failed, never retried', async () => {
    fakeTimers();
    const r = await rig({ slack: () => ({ status: 400, body: 'invalid_blocks' }) });
    const d = r.make({ webhookUrl: null });
    await d.notify(r.save([makeSignal()]));
    await advance(d, LATER);
    expect(r.slack.received).toHaveLength(1);
    expect(deliveries(r.outbox)[0]).toMatchObject({ status: 'failed', attempts: 1, last_error: 'http 400 invalid_blocks' });
    expect(r.log.lines.find((l) => l.level === 'warn')?.obj).toMatchObject({ channel: 'slack', status: 400, attempt: 1, gave_up: true });
  });

  it('a hanging endpoint times out and is retried until maxAttempts', async () => {
    fakeTimers();
    const r = await rig({ webhook: () => 'hang' });
    const d = r.make({ slackWebhookUrl: null, timeoutMs: 150, maxAttempts: 3 });
    const warned = () => r.log.lines.filter((l) => l.level === 'warn').length;
    const notified = d.notify(r.save([makeSignal()]));
    for (const [attempt, backoff] of [
      [1, 30],
      [2, 60],
      [3, 0],
    ]) {
      await r.webhook.waitFor(attempt);
      await vi.advanceTimersByTimeAsync(149);
      expect(warned()).toBe(attempt - 1); // still waiting for the answer
      await vi.advanceTimersByTimeAsync(1);
      await until(() => warned() === attempt); // timed out; the retry is armed when this is logged
      if (backoff === 0) break;
      await advance(d, backoff - 1);
      expect(r.webhook.received).toHaveLength(attempt);
      await vi.advanceTimersByTimeAsync(1);
    }
    await notified;
    await advance(d, LATER);
    expect(deliveries(r.outbox)[0].status).toBe('failed');
    expect(r.webhook.received).toHaveLength(3);
    expect(deliveries(r.outbox)[0]).toMatchObject({ attempts: 3, last_error: 'timeout after 150 ms' });
    expect(r.log.lines.filter((l) => l.level === 'warn').map((l) => (l.obj as { attempt: number }).attempt)).toEqual([1, 2, 3]);
  });

  it('retries a refused connection (network error) and delivers once the endpoint is back', async () => {
    const r = await rig();
    const port = new URL(r.webhook.origin).port;
    await r.webhook.close();
    const d = r.make({ slackWebhookUrl: null, webhookUrl: `http://127.0.0.1:${port}/hook`, backoff: { baseMs: 200, jitter: 0 } });
    await d.notify(r.save([makeSignal()]));
    expect(deliveries(r.outbox)[0]).toMatchObject({ status: 'pending', attempts: 1, last_error: 'network ECONNREFUSED' });
    const back = await startServer(webhookOk);
    cleanup.push(() => back.close());
    // The retry goes to whatever listens on the configured URL: re-point by restarting on the new port.
    await d.close();
    const d2 = r.make({ slackWebhookUrl: null, webhookUrl: `${back.origin}/hook` });
    await d2.start();
    expect(back.received).toHaveLength(1);
    expect(deliveries(r.outbox)[0]).toMatchObject({ status: 'delivered', attempts: 2 });
  });

  it('no duplicate after a restart: the delivered one is not resent, the pending one is sent once', async () => {
    let failB = true;
    const r = await rig({
      webhook: (q) => (failB && hookBody(q).step_index === 2 ? { status: 503 } : webhookOk()),
    });
    const [a, b] = r.save([makeSignal({ step_index: 1 }), makeSignal({ step_index: 2 })]);
    const d1 = r.make({ slackWebhookUrl: null, backoff: { baseMs: 60_000, jitter: 0 } }); // B's retry is far away
    await d1.notify([a, b]);
    expect(deliveries(r.outbox).map((x) => x.status)).toEqual(['delivered', 'pending']);
    await d1.close(); // "process exits"

    failB = false;
    const d2 = r.make({ slackWebhookUrl: null });
    await d2.start();
    await d2.idle();
    const steps = r.webhook.received.map((q) => hookBody(q).step_index);
    expect(steps.filter((x) => x === 1)).toHaveLength(1);
    expect(r.webhook.replied.filter((x) => x === 204)).toHaveLength(2); // one success each
    expect(deliveries(r.outbox).map((x) => [x.status, x.attempts])).toEqual([
      ['delivered', 1],
      ['delivered', 2],
    ]);
    // Same delivery id on the resend, so a receiver could deduplicate.
    const bIds = r.webhook.received.filter((q) => hookBody(q).step_index === 2).map((q) => q.headers['x-dunetrace-delivery']);
    expect(new Set(bIds).size).toBe(1);

    const d3 = r.make({ slackWebhookUrl: null }); // another restart: nothing left
    await d3.start();
    expect(r.webhook.received).toHaveLength(3);
  });

  it('takes over a delivery that was in flight when the process died', async () => {
    // d1 is mid-request on B (the endpoint hangs) when "the process dies"; d2 takes over the row at start.
    fakeTimers();
    let hangB = true;
    const r = await rig({ webhook: (q) => (hangB && hookBody(q).step_index === 2 ? 'hang' : webhookOk()) });
    const [a, b] = r.save([makeSignal({ step_index: 1 }), makeSignal({ step_index: 2 })]);
    const d1 = r.make({ slackWebhookUrl: null, timeoutMs: 2_000 });
    void d1.notify([a, b]);
    await r.webhook.waitFor(2);
    await until(() => deliveries(r.outbox)[0].status === 'delivered');
    expect(deliveries(r.outbox)[1].status).toBe('pending');

    hangB = false;
    const d2 = r.make({ slackWebhookUrl: null });
    await d2.start();
    expect(deliveries(r.outbox).map((x) => x.status)).toEqual(['delivered', 'delivered']);
    const closed = d1.close();
    await vi.advanceTimersByTimeAsync(2_000); // its hung request times out; the row is delivered already, so nothing changes
    await closed;
    expect(deliveries(r.outbox).map((x) => [x.status, x.attempts])).toEqual([
      ['delivered', 1],
      ['delivered', 1],
    ]);
    expect(r.webhook.replied.filter((x) => x === 204)).toHaveLength(2);
    await advance(d2, LATER);
    expect(r.webhook.received).toHaveLength(3); // A once, B hung once + delivered once; no further resend
  });

  it('flood guard: burst 3, 10 alerts of one agent+type → 3 individual + 1 digest listing 7; others unaffected', async () => {
    fakeTimers();
    const r = await rig();
    const d = r.make({ burst: 3, floodWindowMs: 400 });
    const flood = r.save(signalsOf(10, { agent_id: 'bot-a', failure_type: 'TOOL_LOOP', severity: 'HIGH' }));
    const otherAgent = r.save(signalsOf(2, { agent_id: 'bot-b', failure_type: 'TOOL_LOOP', severity: 'HIGH' }));
    const otherType = r.save(signalsOf(2, { agent_id: 'bot-a', failure_type: 'RETRY_STORM', severity: 'CRITICAL' }));
    await d.notify(flood.slice(0, 5));
    await d.notify([...otherAgent, ...otherType]);
    await d.notify(flood.slice(5));
    expect(r.webhook.received).toHaveLength(3 + 2 + 2);
    expect(r.slack.received).toHaveLength(3 + 2 + 2);

    // The digest goes when the window that opened with the 4th alert ends, not before.
    await advance(d, 399);
    expect(r.webhook.received).toHaveLength(7);
    expect(r.slack.received).toHaveLength(7);
    await advance(d, 1);
    expect(r.webhook.received).toHaveLength(8);
    expect(r.slack.received).toHaveLength(8);
    const digest = r.webhook.received[7];
    expect(digest.headers['x-dunetrace-event']).toBe('failure_signal_digest');
    expect(verifySignature(digest.body, SECRET, digest.headers['x-dunetrace-signature'])).toBe(true);
    expect(hookBody(digest)).toMatchObject({
      event: 'failure_signal_digest',
      agent_id: 'bot-a',
      failure_type: 'TOOL_LOOP',
      severity: 'HIGH',
      count: 7,
      run_ids: flood.slice(3).map((s) => s.run_id),
      run_ids_truncated: false,
      burst: 3,
    });
    const individual = r.webhook.received.slice(0, 7).map((q) => hookBody(q).run_id);
    expect(individual).toEqual(expect.arrayContaining([...flood.slice(0, 3), ...otherAgent, ...otherType].map((s) => s.run_id)));

    const sd = slackBody(r.slack.received[7]);
    expect(sd.attachments[0].blocks[0]).toMatchObject({ type: 'header', text: { text: ':large_orange_circle:  Tool loop: TOOL_LOOP ×7' } });
    for (const s of flood.slice(3)) expect(r.slack.received[7].body).toContain(`${DASH}/runs/${s.run_id}`);

    await until(() => deliveries(r.outbox).every((x) => x.status === 'delivered'));
    const rows = deliveries(r.outbox);
    expect(rows).toHaveLength(28);
    expect(rows.filter((x) => x.digest)).toHaveLength(14);
    expect(d.stats()).toMatchObject({ held: 14, digests_delivered: 2, delivered: 14 });
    await advance(d, LATER);
    expect(r.webhook.received).toHaveLength(8);
    expect(r.slack.received).toHaveLength(8);
  });

  it('a digest pending at shutdown is sent by the next process', async () => {
    fakeTimers();
    const r = await rig();
    const d1 = r.make({ burst: 1, floodWindowMs: 300, slackWebhookUrl: null });
    const sigs = r.save(signalsOf(4, { agent_id: 'x' }));
    await d1.notify(sigs);
    expect(r.webhook.received).toHaveLength(1);
    await d1.close(); // before the digest's window ends
    await vi.advanceTimersByTimeAsync(LATER); // a closed dispatcher's timer never fires
    expect(r.webhook.received).toHaveLength(1);
    const d2 = r.make({ burst: 1, floodWindowMs: 300, slackWebhookUrl: null });
    await d2.start();
    await d2.idle();
    expect(r.webhook.received).toHaveLength(2);
    expect(hookBody(r.webhook.received[1])).toMatchObject({ event: 'failure_signal_digest', count: 3 });
  });

  it('at restart, rows of a channel no longer configured are suppressed, not sent', async () => {
    const r = await rig({ slack: () => ({ status: 503 }) });
    const d1 = r.make({ webhookUrl: null, backoff: { baseMs: 60_000, jitter: 0 } });
    await d1.notify(r.save([makeSignal()]));
    await d1.close();
    const d2 = r.make({ slackWebhookUrl: null });
    await d2.start();
    expect(deliveries(r.outbox)[0]).toMatchObject({ status: 'suppressed', last_error: 'channel not configured' });
    expect(r.slack.received).toHaveLength(1);
  });

  it('close() waits for sends in flight, is idempotent, and later notify calls are no-ops', async () => {
    const r = await rig({ slack: () => ({ status: 200, body: 'ok', delayMs: 200 }) });
    const d = r.make({ webhookUrl: null });
    void d.notify(r.save([makeSignal()]));
    await r.slack.waitFor(1);
    const c1 = d.close();
    expect(d.close()).toBe(c1);
    await c1;
    expect(deliveries(r.outbox)[0].status).toBe('delivered');
    await d.notify(r.save([makeSignal()]));
    expect(r.slack.received).toHaveLength(1);
    const fresh = r.make();
    await fresh.close(); // close without start
  });

  it('never rejects into the caller when the outbox or the explainer fail', async () => {
    const r = await rig();
    const broken: Outbox = Object.assign(new MemoryOutbox(), {
      enqueue: async () => {
        throw new Error('connection refused to postgres://user:pw@db:5432/x');
      },
    });
    const log = memoryLogger();
    const d = new AlertDispatcher(
      { slackWebhookUrl: `${r.slack.origin}${SLACK_PATH}`, webhookUrl: null, dashboardUrl: null },
      {
        outbox: broken,
        explain: () => {
          throw new Error('template missing');
        },
        loadSignal: async () => null,
        logger: log,
      },
    );
    cleanup.push(() => d.close());
    await expect(d.notify([makeSignal()])).resolves.toBeUndefined();
    // Without durable state the alert still gets one best-effort attempt, with a minimal explanation.
    expect(r.slack.received).toHaveLength(1);
    expect(slackBody(r.slack.received[0]).text).toContain('TOOL_LOOP detected');
    const logged = JSON.stringify(log.lines);
    expect(logged).toContain('could not record alert deliveries');
    expect(logged).not.toContain('user:pw');
  });

  it('rejects a bad configuration at construction without echoing the URL', () => {
    const mk = (c: Partial<AlertDispatcherConfig>) => () =>
      new AlertDispatcher(
        { slackWebhookUrl: null, webhookUrl: null, dashboardUrl: null, ...c },
        { outbox: new MemoryOutbox(), explain, loadSignal: async () => null },
      );
    expect(mk({ slackWebhookUrl: 'hooks.slack.com/services/SECRET' })).toThrow(/slack URL is not an http\(s\) URL/);
    expect(mk({ slackWebhookUrl: 'hooks.slack.com/services/SECRET' })).not.toThrow(/SECRET/);
    expect(mk({ burst: 0 })).toThrow(/burst/);
    expect(mk({ timeoutMs: 10_000, leaseMs: 5_000 })).toThrow(/leaseMs/);
  });
});
