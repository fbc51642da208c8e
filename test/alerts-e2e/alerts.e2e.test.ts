import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { verifySignature } from '../../src/alerts/index.js';
import { startHookServer } from '../helpers/hook-server.js';
import { loopingRun, newTraceId } from '../helpers/scenarios.js';
import { devHeaders, startReceiver, waitFor, waitForClosedRun } from '../helpers/receiver.js';

const post = (url: string, body: string) => fetch(`${url}/v1/traces`, { method: 'POST', headers: devHeaders(), body });

describe('alerts end to end (receiver → local Slack and webhook servers)', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('a looping agent alerts Slack (Block Kit, View run) and the webhook (signed), once each', async () => {
    const slack = await startHookServer();
    const hook = await startHookServer();
    const r = await startReceiver({
      SLACK_WEBHOOK_URL: `${slack.url}/services/T000/B000/secret`,
      WEBHOOK_URL: `${hook.url}/dunetrace`,
      WEBHOOK_SECRET: 's3cret',
      DUNETRACE_DASHBOARD_URL: 'http://dash.example',
    });
    try {
      const traceId = newTraceId();
      const run = loopingRun(traceId);
      expect((await post(r.url, run.all)).status).toBe(200);
      await waitFor(async () => slack.hits.length >= 1 && hook.hits.length >= 1);

      const body = JSON.parse(hook.hits[0].body);
      expect(body).toMatchObject({
        schema_version: '1.0',
        event: 'failure_signal',
        failure_type: 'TOOL_LOOP',
        severity: 'HIGH',
        run_id: traceId,
        agent_id: 'looping-agent',
      });
      expect(body.title).toBeTruthy();
      expect(body.suggested_fixes.length).toBeGreaterThan(0);
      expect(hook.hits[0].headers['x-dunetrace-event']).toBe('failure_signal');
      expect(verifySignature(hook.hits[0].body, 's3cret', String(hook.hits[0].headers['x-dunetrace-signature']))).toBe(true);

      const slackBody = JSON.parse(slack.hits[0].body);
      expect(slackBody.attachments[0].color).toBe('#FF6B00');
      const text = JSON.stringify(slackBody);
      expect(text).toContain(`http://dash.example/runs/${traceId}`);
      expect(text).toMatch(/What happened/);
      expect(text).toMatch(/Why it matters/);

      // Completion re-judges the run: TOOL_LOOP was signalled live, so no second alert.
      await waitForClosedRun(r.url, traceId);
      await new Promise((res) => setTimeout(res, 300));
      expect(hook.hits.filter((h) => JSON.parse(h.body).failure_type === 'TOOL_LOOP')).toHaveLength(1);
      expect(slack.hits).toHaveLength(1);
    } finally {
      await r.close();
      await slack.close();
      await hook.close();
    }
  });

  it('retries after a 500, then delivers once', async () => {
    const hook = await startHookServer((_h, n) => (n === 1 ? { status: 500 } : { status: 200 }));
    const r = await startReceiver({ WEBHOOK_URL: hook.url });
    try {
      expect((await post(r.url, loopingRun(newTraceId()).all)).status).toBe(200);
      await waitFor(async () => hook.hits.length >= 1, 10_000);
      expect(hook.attempts()).toBe(2);
      await new Promise((res) => setTimeout(res, 500));
      expect(hook.hits).toHaveLength(1);
    } finally {
      await r.close();
      await hook.close();
    }
  });

  it('an alert left undelivered is sent after a restart, once, and never again', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'dt-alerts-'));
    dirs.push(dataDir);
    let down = true;
    const hook = await startHookServer(() => (down ? { status: 503, headers: { 'retry-after': '3600' } } : { status: 200 }));
    const env = { DUNETRACE_DATA_DIR: dataDir, WEBHOOK_URL: hook.url };
    const first = await startReceiver(env);
    const traceId = newTraceId();
    expect((await post(first.url, loopingRun(traceId).all)).status).toBe(200);
    await waitFor(async () => hook.attempts() >= 1);
    await waitForClosedRun(first.url, traceId);
    await first.close(); // the delivery is pending (Retry-After: 1 h)
    expect(hook.hits).toHaveLength(0);

    down = false;
    const second = await startReceiver(env);
    try {
      await waitFor(async () => hook.hits.length >= 1, 10_000);
      expect(JSON.parse(hook.hits[0].body)).toMatchObject({ run_id: traceId, failure_type: 'TOOL_LOOP' });
    } finally {
      await second.close();
    }
    const third = await startReceiver(env);
    try {
      await new Promise((res) => setTimeout(res, 800));
      expect(hook.hits).toHaveLength(1);
    } finally {
      await third.close();
      await hook.close();
    }
  }, 60_000);

  it('shadow and below-minimum signals are stored but not sent', async () => {
    const hook = await startHookServer();
    const r = await startReceiver({ WEBHOOK_URL: hook.url, WEBHOOK_MIN_SEVERITY: 'CRITICAL' });
    try {
      const traceId = newTraceId();
      expect((await post(r.url, loopingRun(traceId).all)).status).toBe(200);
      const run = await waitForClosedRun(r.url, traceId);
      expect(run.signals.map((s: any) => s.failure_type)).toContain('TOOL_LOOP');
      await new Promise((res) => setTimeout(res, 300));
      expect(hook.attempts()).toBe(0);
    } finally {
      await r.close();
      await hook.close();
    }
  });
});
