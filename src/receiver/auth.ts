import { PermanentError } from '../errors/index.js';
import type { StorageAccess } from '../pipeline/index.js';
import { hashApiKey, isDevKey } from './keys.js';

/** Who a request acts for. Every stored row and every read is scoped by customerId. */
export interface Principal {
  customerId: string;
  /** The key's agent, used when a span's resource names none. */
  agentId: string | null;
  kind: 'dev' | 'live';
}

export const DEV_CUSTOMER = 'dev';

/** The key a request carries in its headers: `Authorization: Bearer …` or `X-Dunetrace-API-Key`. */
export function keyFromHeaders(headers: Record<string, string | string[] | undefined>): string | null {
  const auth = first(headers['authorization']);
  if (auth) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  const direct = first(headers['x-dunetrace-api-key'])?.trim();
  return direct ? direct : null;
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Resolves keys to principals. Lookups are cached for `cacheMs` (< 5 s), which bounds how long a revoked key keeps
 * working on a running receiver. Storage errors propagate (StorageUnavailableError → 503), they never mean "unknown".
 */
export class Authenticator {
  private readonly cache = new Map<string, { principal: Principal | null; expires: number }>();

  constructor(
    private readonly storage: StorageAccess,
    private readonly opts: { mode: 'dev' | 'keys'; cacheMs: number; now?: () => number },
  ) {}

  async authenticate(key: string | null | undefined): Promise<Principal | null> {
    if (!key) return null;
    if (this.opts.mode === 'dev' && isDevKey(key)) return { customerId: DEV_CUSTOMER, agentId: null, kind: 'dev' };
    if (!key.startsWith('dt_live_') || key.length > 200) return null;
    const hash = hashApiKey(key);
    const now = (this.opts.now ?? Date.now)();
    const hit = this.cache.get(hash);
    if (hit && hit.expires > now) return hit.principal;
    const row = await this.storage().findApiKey(hash);
    const principal = row && row.active ? { customerId: row.customer_id, agentId: row.agent_id, kind: 'live' as const } : null;
    if (this.cache.size >= 10_000) this.cache.clear(); // bounded: a flood of random keys cannot grow memory
    this.cache.set(hash, { principal, expires: now + this.opts.cacheMs });
    return principal;
  }

  /** The principal for `key`, or a permanent `unauthenticated` error carrying `message`. */
  async require(key: string | null | undefined, message = MISSING_KEY): Promise<Principal> {
    const principal = await this.authenticate(key);
    if (!principal) throw new PermanentError('unauthenticated', 'UNAUTHORIZED', message);
    return principal;
  }
}

export const MISSING_KEY = 'missing, unknown or revoked API key: send Authorization: Bearer <key>';
