import { randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { ReceiverContext } from './context.js';
import { generateLiveKey, hashApiKey, keyPrefix } from './keys.js';

/**
 * Key administration. PGlite is single-process, so while a receiver owns an embedded data dir the CLI cannot open it:
 * the receiver then writes `<dataDir>/receiver.json` (pid, url, a random admin token, mode 0600) and the CLI sends
 * `keys …` to these loopback-only routes instead.
 */
export interface AdminHandle {
  pid: number;
  url: string;
  token: string;
}

export const adminFile = (dataDir: string) => path.join(dataDir, 'receiver.json');

export async function writeAdminHandle(dataDir: string, handle: AdminHandle): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  await writeFile(adminFile(dataDir), JSON.stringify(handle), { mode: 0o600 });
}

export async function removeAdminHandle(dataDir: string, pid: number): Promise<void> {
  const h = await readAdminHandle(dataDir);
  if (h && h.pid === pid) await rm(adminFile(dataDir), { force: true });
}

/** The handle of a live receiver on this data dir, or null (none, or a stale file left by a killed process). */
export async function readAdminHandle(dataDir: string): Promise<AdminHandle | null> {
  try {
    const h = JSON.parse(await readFile(adminFile(dataDir), 'utf8')) as AdminHandle;
    process.kill(h.pid, 0);
    return h;
  } catch {
    return null;
  }
}

export const newAdminToken = () => randomBytes(24).toString('hex');

export function adminRoutes(app: FastifyInstance, ctx: ReceiverContext, token: string): void {
  const expected = Buffer.from(token);
  app.addHook('onRequest', async (req, reply) => {
    if (!req.url.startsWith('/admin/')) return;
    const given = Buffer.from(String(req.headers['x-dunetrace-admin-token'] ?? ''));
    const loopback = ['127.0.0.1', '::1', '::ffff:127.0.0.1'].includes(req.socket.remoteAddress ?? '');
    if (!loopback || given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return reply.code(403).send({ error: 'forbidden', message: 'admin routes are for the local dunetrace CLI only' });
    }
  });
  app.post<{ Body: unknown }>('/admin/keys', async (req) => {
    const body = JSON.parse(await readStream(req.body as NodeJS.ReadableStream)) as { agent_id?: string; customer_id: string };
    return createKey(ctx, body.customer_id, body.agent_id ?? null);
  });
  app.post<{ Params: { key: string } }>('/admin/keys/revoke', async (req, reply) => {
    const body = JSON.parse(await readStream(req.body as NodeJS.ReadableStream)) as { key: string };
    const ok = await ctx.storage.revokeApiKey(hashApiKey(body.key));
    if (!ok) return reply.code(404).send({ error: 'not_found', message: 'no such key' });
    return { revoked: true };
  });
  app.get('/admin/keys', async () => ({ keys: await ctx.storage.listApiKeys() }));
}

export async function createKey(ctx: Pick<ReceiverContext, 'storage'>, customerId: string, agentId: string | null) {
  const key = generateLiveKey();
  await ctx.storage.createApiKey({ key_hash: hashApiKey(key), key_prefix: keyPrefix(key), agent_id: agentId, customer_id: customerId });
  return { key, key_prefix: keyPrefix(key), agent_id: agentId, customer_id: customerId };
}

async function readStream(s: NodeJS.ReadableStream): Promise<string> {
  let out = '';
  for await (const chunk of s) {
    out += chunk.toString();
    if (out.length > 10_000) throw new Error('admin request too large');
  }
  return out;
}
