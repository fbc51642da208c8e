import { createHmac, randomBytes } from 'node:crypto';
import { hmacSha256Hex64 } from './sha256.js';

/**
 * Keyed digests of short tokens (ids, numbers, emails, hosts) for set membership within one run. A six-digit id's
 * plain SHA-256 is one brute-force away from the id, so these are HMAC-SHA256 under a PER-RUN key, truncated to 64
 * bits: equal tokens of one run give equal digests, digests of different runs cannot be linked, and nobody holding
 * only stored data can test a guess. The run key is derived from a secret that lives in one process (the agent's
 * SpanProcessor/SDK, or the receiver) and is never stored or exported.
 */

/** Digests one run's tokens. `keyId` names the key (not the secret): facts made under different keys never compare. */
export interface FactKeyer {
  readonly keyId: string;
  /** 16 lowercase hex (HMAC-SHA256, first 64 bits). */
  digest(token: string): string;
}

/** Gives the keyer of a run (trace id / run id). */
export interface FactSecret {
  forRun(runId: string): FactKeyer;
}

const MAX_CACHED_RUNS = 4096;
/** Digests remembered per run: a run's prompts repeat the same input tokens on every LLM call. */
const MAX_CACHED_TOKENS = 1024;

/** A secret from the given bytes, or 32 fresh random bytes (the default: the secret dies with the process). */
export function createFactSecret(secret?: Uint8Array): FactSecret {
  const material = secret !== undefined && secret.length > 0 ? Buffer.from(secret) : randomBytes(32);
  const cache = new Map<string, FactKeyer>();
  return {
    forRun(runId) {
      let k = cache.get(runId);
      if (k !== undefined) return k;
      const key = createHmac('sha256', material).update(`dunetrace.facts.run:${runId}`, 'utf8').digest();
      const mac = hmacSha256Hex64(key);
      const memo = new Map<string, string>();
      k = {
        keyId: createHmac('sha256', key).update('dunetrace.facts.key-id', 'utf8').digest('hex').slice(0, 8),
        digest: (token) => {
          let d = memo.get(token);
          if (d === undefined) {
            d = mac(token);
            if (memo.size >= MAX_CACHED_TOKENS) memo.clear();
            memo.set(token, d);
          }
          return d;
        },
      };
      // Runs end; a long-lived process must not keep every run's key.
      if (cache.size >= MAX_CACHED_RUNS) cache.clear();
      cache.set(runId, k);
      return k;
    },
  };
}

let processSecret: FactSecret | null = null;

/** This process's secret (random, created on first use): the default of the mapping core, processor and receiver. */
export function processFactSecret(): FactSecret {
  processSecret ??= createFactSecret();
  return processSecret;
}

// The digest and key-id shapes are the model's: storage and detectors read them back too.
export { isFactDigest, isKeyId } from '../../model/values.js';
