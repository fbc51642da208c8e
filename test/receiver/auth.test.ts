import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../../src/receiver/admin.js';
import { capture, getRun, startReceiver, waitFor, waitForClosedRun, type Running } from '../helpers/receiver.js';
import { otlpJson, jsonSpan } from '../helpers/otlp-json.js';
import { runCli, startReceiverProcess } from '../helpers/process.js';

const TRACE = '4e20a57ff03c65eb75a036945a5f6401';

describe('API keys (AUTH_MODE=keys)', () => {
  let r: Running;
  let acme: string;
  let globex: string;
  beforeAll(async () => {
    r = await startReceiver({ AUTH_MODE: 'keys', DUNETRACE_KEY_CACHE_MS: '1000' });
    acme = (await createKey(r.receiver.ctx, 'acme', 'acme-bot')).key;
    globex = (await createKey(r.receiver.ctx, 'globex', null)).key;
  });
  afterAll(async () => r?.close());

  const post = (body: string, headers: Record<string, string>) =>
    fetch(`${r.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  it('keys are dt_live_<32 hex> and only their SHA-256 is stored', async () => {
    expect(acme).toMatch(/^dt_live_[0-9a-f]{32}$/);
    const rows = await r.receiver.ctx.storage.get().listApiKeys();
    expect(JSON.stringify(rows)).not.toContain(acme.slice(8));
    expect(rows.find((k) => k.customer_id === 'acme')).toMatchObject({ key_prefix: acme.slice(0, 12), agent_id: 'acme-bot', active: true });
  });

  it('dev keys are refused outside dev mode; unknown keys are refused', async () => {
    expect((await post(capture('traceloop-python'), { authorization: 'Bearer dt_dev_x' })).status).toBe(401);
    expect((await post(capture('traceloop-python'), { authorization: `Bearer dt_live_${'1'.repeat(32)}` })).status).toBe(401);
  });

  it('the same trace sent by two customers is two runs; no read crosses customers', async () => {
    expect((await post(capture('traceloop-python'), { authorization: `Bearer ${acme}` })).status).toBe(200);
    const acmeRun = await waitForClosedRun(r.url, TRACE, acme);
    expect(acmeRun.agent_id).toBe('acme-bot'); // no dunetrace.agent_id on the resource: the key's agent
    // globex has not sent it: 404, exactly like a run that does not exist.
    expect((await getRun(r.url, TRACE, globex)).status).toBe(404);
    expect((await post(capture('traceloop-python'), { 'x-dunetrace-api-key': globex })).status).toBe(200);
    const globexRun = await waitForClosedRun(r.url, TRACE, globex);
    expect(globexRun).toMatchObject({ span_count: 1, agent_id: 'traceloop-agent' }); // a key without agent: service.name
    expect((await getRun(r.url, TRACE, acme)).body.span_count).toBe(1);
  });

  it("the key's agent names spans whose resource names none; the resource attribute key authenticates", async () => {
    const traceId = '9'.repeat(32);
    const body = otlpJson([jsonSpan({ traceId, spanId: '1'.repeat(16), name: 'chat gpt-4o', start: 1, end: 2, attrs: { 'gen_ai.request.model': 'gpt-4o' } })], {
      'dunetrace.api_key': acme,
    });
    expect((await post(body, {})).status).toBe(200);
    const run = await waitForClosedRun(r.url, traceId, acme);
    expect(run.agent_id).toBe('acme-bot');
    expect(JSON.stringify(run)).not.toContain(acme);
  });

  it('a revoked key is refused within 5 s', async () => {
    const temp = (await createKey(r.receiver.ctx, 'acme', null)).key;
    expect((await post(capture('otel-contrib-python'), { authorization: `Bearer ${temp}` })).status).toBe(200);
    const { hashApiKey } = await import('../../src/receiver/keys.js');
    expect(await r.receiver.ctx.storage.get().revokeApiKey(hashApiKey(temp))).toBe(true);
    const revokedAt = Date.now();
    await waitFor(async () => (await post(capture('otel-contrib-python'), { authorization: `Bearer ${temp}` })).status === 401, 5000, 100);
    expect(Date.now() - revokedAt).toBeLessThan(5000);
    expect((await getRun(r.url, TRACE, temp)).status).toBe(401);
  });
});

describe('dunetrace keys CLI', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('create / list / revoke against a running receiver that owns the embedded database', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'dt-keys-'));
    dirs.push(dataDir);
    const env = { DUNETRACE_DATA_DIR: dataDir, AUTH_MODE: 'keys', LOG_LEVEL: 'warn' };
    const rec = await startReceiverProcess(env);
    try {
      const created = await runCli(['keys', 'create', '--customer-id', 'acme', '--agent-id', 'bot'], env);
      expect(created.code).toBe(0);
      const key = created.stdout.trim();
      expect(key).toMatch(/^dt_live_[0-9a-f]{32}$/);
      expect(created.output).toMatch(/only time the key is shown/);

      const ok = await fetch(`${rec.url}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: capture('traceloop-python'),
      });
      expect(ok.status).toBe(200);

      const list = await runCli(['keys', 'list'], env);
      expect(list.code).toBe(0);
      expect(list.stdout).toMatch(/PREFIX\s+CUSTOMER\s+AGENT\s+ACTIVE/);
      expect(list.stdout).toContain(key.slice(0, 12));
      expect(list.stdout).not.toContain(key.slice(12));

      const revoked = await runCli(['keys', 'revoke', key], env);
      expect(revoked.code).toBe(0);
      await waitFor(
        async () =>
          (
            await fetch(`${rec.url}/v1/traces`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
              body: capture('traceloop-python'),
            })
          ).status === 401,
        5000,
        200,
      );
      expect((await runCli(['keys', 'list'], env)).stdout).toMatch(/revoked/);
      expect((await runCli(['keys', 'revoke', 'dt_live_' + '0'.repeat(32)], env)).code).toBe(1);
      expect((await runCli(['keys', 'create'], env)).output).toMatch(/--customer-id/);
    } finally {
      rec.child.kill('SIGTERM');
      await rec.exited;
    }
    // With the receiver stopped, the CLI says so (it talks to the receiver only, never to the database).
    const list = await runCli(['keys', 'list'], env);
    expect(list.code).toBe(3);
    expect(list.output).toMatch(/no receiver is running .*start it with `npm start`/);
  }, 180_000);
});
