import { defaultDetectorConfig, settingsFor, unusedFacts } from '../../src/detectors/index.js';

/**
 * Keyed digest sets (mapping/facts/) are HMACs under a run key derived from a per-process secret: the same run seen
 * by two processes (the agent's SpanProcessor, a receiver) carries different keys and digests by design. To compare
 * two paths, drop each set's key id and replace every list of fact digests by its size, wherever they sit in a value
 * (digest sets, hand-off sets, candidate records).
 */
const KEY_ID = /^[0-9a-f]{8}$/;
const FACT_DIGEST = /^[0-9a-f]{16}$/;

export function withoutKeys(value: unknown): unknown {
  if (Array.isArray(value)) {
    if (value.length > 0 && value.every((v) => typeof v === 'string' && FACT_DIGEST.test(v))) return value.length;
    return value.map(withoutKeys);
  }
  if (value === null || typeof value !== 'object') return value;
  const o = value as Record<string, unknown>;
  const keyed = typeof o.key === 'string' && KEY_ID.test(o.key) && ('digests' in o || 'sets' in o);
  return Object.fromEntries(
    Object.entries(o)
      .filter(([k]) => !(keyed && k === 'key'))
      .map(([k, v]) => [k, withoutKeys(v)]),
  );
}

/**
 * An event payload without the digest facts a receiver with the built-in detector settings neither computes nor
 * stores (UNRESOLVED_AMBIGUITY's until irreversible_tools is set: pipeline/stored-facts.ts), for comparing a run
 * assembled here with one read back from a receiver.
 */
export function withoutUnusedFacts(payload: unknown, agentId: string): unknown {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return payload;
  const unused = unusedFacts(settingsFor(builtIn, agentId));
  return Object.fromEntries(Object.entries(payload).filter(([k]) => !unused.has(k)));
}
const builtIn = defaultDetectorConfig();
