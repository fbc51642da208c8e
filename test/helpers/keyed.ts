import type { MappedSpan } from '../../src/mapping/events.js';
import { defaultDetectorConfig, settingsFor, unusedFacts } from '../../src/detectors/index.js';
import { withoutUnusedFacts } from '../../src/pipeline/stored-facts.js';

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
 * A mapped span as the receiver stores it under the built-in detector settings (pipeline/stored-facts.ts): digest
 * facts no enabled detector can use are kept as truncated markers. For comparing a run assembled here with one read
 * back from a receiver.
 */
export function asStored(span: MappedSpan, agentId: string): MappedSpan {
  return withoutUnusedFacts({ run_id: span.trace_id, agent_id: agentId, span }, unusedFacts(settingsFor(builtIn, agentId))).span;
}
const builtIn = defaultDetectorConfig();
