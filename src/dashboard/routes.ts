import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * The dashboard's static files live at the package root (`dashboard/public/`), not under src: tsc copies no
 * non-TS files, and `../../dashboard/public` is the same folder seen from src/dashboard/ and dist/dashboard/.
 */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../dashboard/public/', import.meta.url));

/** Paths the client-side router owns: the server answers each with index.html. */
export const PAGE_ROUTES = ['/', '/agents', '/agents/:agent_id', '/runs/:run_id'] as const;

/** Only same-origin code, no inline script or style, no framing, no plugins. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

interface StaticFile {
  body: Buffer;
  gzip: Buffer | null;
  type: string;
  etag: string;
}

/** Reads every file under dir once (a few tens of KB): no filesystem path is ever built from a request. */
export function loadStaticFiles(dir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  if (!existsSync(dir)) return files;
  for (const rel of readdirSync(dir, { recursive: true }) as string[]) {
    const abs = path.join(dir, rel);
    if (!statSync(abs).isFile()) continue;
    const type = TYPES[path.extname(rel).toLowerCase()];
    if (!type) continue;
    const body = readFileSync(abs);
    const compressible = /^(text\/|application\/json|image\/svg)/.test(type) && body.length > 512;
    files.set(rel.split(path.sep).join('/'), {
      body,
      gzip: compressible ? gzipSync(body, { level: 9 }) : null,
      type,
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
    });
  }
  return files;
}

function send(req: FastifyRequest, reply: FastifyReply, file: StaticFile) {
  reply.headers(SECURITY_HEADERS);
  // Unversioned file names: the browser may keep a copy but must revalidate it (a cheap 304) before each use, so
  // an upgraded receiver never serves a mix of old and new modules.
  reply.header('cache-control', 'no-cache');
  reply.header('etag', file.etag);
  reply.header('vary', 'accept-encoding');
  reply.type(file.type);
  const inm = req.headers['if-none-match'];
  if (inm && inm.split(',').some((t) => t.trim().replace(/^W\//, '') === file.etag)) return reply.code(304).send();
  if (file.gzip && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
    reply.header('content-encoding', 'gzip');
    return reply.send(file.gzip);
  }
  return reply.send(file.body);
}

/**
 * The web dashboard, served as static files at / on the receiver's port (issue #5): index.html for the client-side
 * routes, /assets/* for its ES modules, CSS and icon. No build step, no CDN; /v1/* stays the API.
 */
export function dashboardRoutes(app: FastifyInstance, dir: string = DASHBOARD_DIR): void {
  const files = loadStaticFiles(dir);
  const index = files.get('index.html');
  if (!index) app.log.warn({ dir }, 'dashboard files not found: the web dashboard is disabled (the API still works)');

  const page = async (req: FastifyRequest, reply: FastifyReply) => {
    if (!index) {
      reply.headers(SECURITY_HEADERS);
      return reply.code(404).type('text/plain; charset=utf-8').send(`dashboard files missing from ${dir}\n`);
    }
    return send(req, reply, index);
  };
  for (const url of PAGE_ROUTES) app.get(url, page);

  app.get<{ Params: { '*': string } }>('/assets/*', async (req, reply) => {
    const file = files.get(`assets/${req.params['*']}`);
    if (!file) {
      reply.headers(SECURITY_HEADERS);
      return reply.code(404).send({ error: 'not_found', message: 'no such dashboard file' });
    }
    return send(req, reply, file);
  });
}
