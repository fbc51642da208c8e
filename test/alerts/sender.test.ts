import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { postJson } from '../../src/alerts/index.js';
import { startServer, type TestServer } from './helpers.js';

describe('postJson against a local server', () => {
  let server: TestServer;
  afterEach(async () => server?.close());

  const post = (path = '/hook', timeoutMs = 2_000) =>
    postJson(`${server.origin}${path}`, '{"a":1}', { 'Content-Type': 'application/json', 'X-Test': 'yes' }, { timeoutMs });

  it('posts the body and headers; Slack-style 200 "ok" is delivered', async () => {
    server = await startServer();
    const r = await post('/services/T1/B1/xyz');
    expect(r).toMatchObject({ kind: 'delivered', status: 200 });
    expect(server.received[0]).toMatchObject({ method: 'POST', path: '/services/T1/B1/xyz', body: '{"a":1}' });
    expect(server.received[0].headers['x-test']).toBe('yes');
    expect(server.received[0].headers['content-type']).toBe('application/json');
  });

  it('5xx is retryable, with a short token-like reason only', async () => {
    server = await startServer(() => ({ status: 503, body: 'service_unavailable' }));
    expect(await post()).toMatchObject({ kind: 'retryable', status: 503, error: 'http 503 service_unavailable', retryAfterMs: null });
    server.setResponder(() => ({ status: 500, body: '<html>stack trace with secrets</html>' }));
    expect(await post()).toMatchObject({ kind: 'retryable', status: 500, error: 'http 500' });
  });

  it('429 carries Retry-After (seconds and HTTP-date)', async () => {
    server = await startServer(() => ({ status: 429, headers: { 'Retry-After': '1' } }));
    expect(await post()).toMatchObject({ kind: 'retryable', status: 429, retryAfterMs: 1_000 });
    const at = new Date(Date.now() + 30_000).toUTCString();
    server.setResponder(() => ({ status: 429, headers: { 'Retry-After': at } }));
    const r = await post();
    expect(r.kind === 'retryable' && r.retryAfterMs).toBeGreaterThan(28_000);
  });

  it('400 is permanent (Slack invalid_payload)', async () => {
    server = await startServer(() => ({ status: 400, body: 'invalid_payload' }));
    expect(await post()).toMatchObject({ kind: 'permanent', status: 400, error: 'http 400 invalid_payload' });
  });

  it('a redirect is not followed and is permanent', async () => {
    server = await startServer(() => ({ status: 302, headers: { Location: 'http://example.invalid/' } }));
    expect(await post()).toMatchObject({ kind: 'permanent', status: 302 });
    expect(server.received).toHaveLength(1);
  });

  it('a hanging server times out (retryable) within the configured timeout', async () => {
    server = await startServer(() => 'hang');
    const t0 = performance.now();
    const r = await post('/hook', 200);
    const took = performance.now() - t0;
    expect(r).toMatchObject({ kind: 'retryable', status: null, error: 'timeout after 200 ms' });
    expect(took).toBeGreaterThanOrEqual(190);
    expect(took).toBeLessThan(2_000);
  });

  it('a refused connection is a retryable network error; never throws', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((r) => probe.close(() => r()));
    const r = await postJson(`http://127.0.0.1:${port}/x`, '{}', {}, { timeoutMs: 1_000 });
    expect(r).toMatchObject({ kind: 'retryable', status: null, error: 'network ECONNREFUSED' });
  });

  it('an invalid URL is permanent', async () => {
    expect(await postJson('not a url', '{}', {})).toMatchObject({ kind: 'permanent', error: 'invalid url' });
    expect(await postJson('ftp://x/y', '{}', {})).toMatchObject({ kind: 'permanent', error: 'invalid url' });
  });
});
