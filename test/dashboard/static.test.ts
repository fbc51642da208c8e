import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, DASHBOARD_DIR } from '../../src/dashboard/routes.js';
import { startReceiver, type Running } from '../helpers/receiver.js';

/** How the dashboard is served: no browser needed, so these always run. */
describe('dashboard static files on the receiver port', () => {
  let r: Running;
  beforeAll(async () => {
    r = await startReceiver();
  });
  afterAll(() => r?.close());

  const get = (p: string, headers: Record<string, string> = {}) => fetch(`${r.url}${p}`, { headers });

  it('serves index.html for every client-side route, with security and cache headers', async () => {
    for (const p of ['/', '/agents', '/agents/looping-agent', '/agents/a%2Fb%20c', '/runs/0123456789abcdef0123456789abcdef']) {
      const res = await get(p);
      expect(res.status, p).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
      expect(res.headers.get('content-security-policy')).toMatch(/^default-src 'self'/);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(res.headers.get('etag')).toMatch(/^"[\w-]+"$/);
      const html = await res.text();
      expect(html).toContain('<script type="module" src="/assets/app.js"></script>');
      expect(html).not.toMatch(/<script>|<style>|\sstyle=|\son\w+=/); // nothing inline: the CSP forbids it
      expect(html).not.toMatch(/https?:\/\//); // no CDN
    }
  });

  it('serves the modules and CSS with their types, revalidates with ETag (304), gzips', async () => {
    const js = await get('/assets/app.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const etag = js.headers.get('etag')!;
    expect((await get('/assets/app.js', { 'if-none-match': etag })).status).toBe(304);
    expect((await get('/assets/style.css')).headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect((await get('/assets/favicon.svg')).headers.get('content-type')).toBe('image/svg+xml');
    // fetch() decompresses on its own: ask through a raw request instead.
    const http = await import('node:http');
    const gz = await new Promise<{ enc: string | undefined; body: Buffer }>((resolve, reject) => {
      http
        .get(`${r.url}/assets/views/run.js`, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ enc: res.headers['content-encoding'], body: Buffer.concat(chunks) }));
        })
        .on('error', reject);
    });
    expect(gz.enc).toBe('gzip');
    expect(gunzipSync(gz.body).toString()).toBe(readFileSync(path.join(DASHBOARD_DIR, 'assets/views/run.js'), 'utf8'));
  });

  it('serves nothing outside the dashboard folder, and leaves /v1 to the API', async () => {
    for (const p of [
      '/assets/../package.json',
      '/assets/%2e%2e/package.json',
      '/assets/..%2f..%2fpackage.json',
      '/assets/nope.js',
      '/assets/',
      '/index.html',
    ]) {
      const res = await get(p);
      expect(res.status, p).toBe(404);
      expect(await res.text()).not.toContain('dunetrace-otel');
    }
    const api = await get('/v1/agents');
    expect(api.status).toBe(401);
    expect(api.headers.get('content-type')).toMatch(/application\/json/);
  });

  it('every module import resolves to a served file (no build, no CDN)', async () => {
    const dir = path.join(DASHBOARD_DIR, 'assets');
    const files = (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.js'));
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) {
      const src = readFileSync(path.join(dir, f), 'utf8');
      for (const m of src.matchAll(/^\s*import\s[^'"]*['"]([^'"]+)['"]/gm)) {
        const target = path.join(path.dirname(path.join(dir, f)), m[1]);
        expect(m[1], `${f} imports ${m[1]}`).toMatch(/^\.\.?\//);
        expect(existsSync(target), `${f} imports ${m[1]}`).toBe(true);
        const res = await get(`/assets/${path.relative(dir, target).split(path.sep).join('/')}`);
        expect(res.status, `${f} imports ${m[1]}`).toBe(200);
      }
    }
  });

  it('never renders through HTML parsing (untrusted names and evidence)', () => {
    const dir = path.join(DASHBOARD_DIR, 'assets');
    for (const f of (readdirSync(dir, { recursive: true }) as string[]).filter((x) => x.endsWith('.js'))) {
      const src = readFileSync(path.join(dir, f), 'utf8');
      expect(src, f).not.toMatch(/\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write|createContextualFragment|\beval\(|new Function\(/);
    }
  });
});
