import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { PermanentError } from '../errors/index.js';
import type { ReceiverContext } from './context.js';
import { generateLiveKey, hashApiKey, keyPrefix } from './keys.js';

/** Key administration for the local `dunetrace keys` CLI: loopback only, with the token of admin-handle.ts. */
export const newAdminToken = () => randomBytes(24).toString('hex');

export function adminRoutes(app: FastifyInstance, ctx: ReceiverContext, token: string): void {
  const expected = Buffer.from(token);
  app.addHook('onRequest', async (req) => {
    if (!req.url.startsWith('/admin/')) return;
    const given = Buffer.from(String(req.headers['x-dunetrace-admin-token'] ?? ''));
    const loopback = ['127.0.0.1', '::1', '::ffff:127.0.0.1'].includes(req.socket.remoteAddress ?? '');
    if (!loopback || given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new PermanentError('forbidden', 'FORBIDDEN', 'admin routes are for the local dunetrace CLI only');
    }
  });
  app.post('/admin/keys', async (req) => {
    const body = await readJson(req.body as NodeJS.ReadableStream);
    const customerId = body.customer_id;
    const agentId = body.agent_id ?? null;
    if (typeof customerId !== 'string' || customerId === '' || (agentId !== null && typeof agentId !== 'string')) {
      throw new PermanentError('invalid_argument', 'BAD_REQUEST', 'body must be {"customer_id": string, "agent_id"?: string}');
    }
    return createKey(ctx, customerId, agentId);
  });
  app.post('/admin/keys/revoke', async (req) => {
    const { key } = await readJson(req.body as NodeJS.ReadableStream);
    if (typeof key !== 'string') throw new PermanentError('invalid_argument', 'BAD_REQUEST', 'body must be {"key": string}');
    if (!(await ctx.storage.get().revokeApiKey(hashApiKey(key)))) throw new PermanentError('not_found', 'NOT_FOUND', 'no such key');
    return { revoked: true };
  });
  app.get('/admin/keys', async () => ({ keys: await ctx.storage.get().listApiKeys() }));
  // `dunetrace prune [--dry-run]`: drop the expired time partitions now (the receiver also does it on a schedule).
  app.post('/admin/prune', async (req) => {
    const { dry_run: dryRun = false } = await readJson(req.body as NodeJS.ReadableStream);
    if (typeof dryRun !== 'boolean') throw new PermanentError('invalid_argument', 'BAD_REQUEST', 'body must be {"dry_run"?: boolean}');
    return ctx.storage.get().prune({ dryRun });
  });
}

export async function createKey(ctx: ReceiverContext, customerId: string, agentId: string | null) {
  const key = generateLiveKey();
  await ctx.storage.get().createApiKey({ key_hash: hashApiKey(key), key_prefix: keyPrefix(key), agent_id: agentId, customer_id: customerId });
  return { key, key_prefix: keyPrefix(key), agent_id: agentId, customer_id: customerId };
}

async function readJson(s: NodeJS.ReadableStream): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of s) {
    text += String(chunk);
    if (text.length > 10_000) throw new PermanentError('too_large', 'PAYLOAD_TOO_LARGE', 'admin request too large');
  }
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new PermanentError('invalid_argument', 'BAD_REQUEST', 'body must be a JSON object');
}
