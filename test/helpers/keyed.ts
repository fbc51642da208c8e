/**
 * Keyed digest sets (mapping/facts/) are HMACs under a run key derived from a per-process secret: the same run seen
 * by two processes (the agent's SpanProcessor, a receiver) carries different keys and digests by design. To compare
 * two paths, replace each set by what must agree — its size and truncation — wherever it sits in a value.
 */
export function withoutKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutKeys);
  if (value === null || typeof value !== 'object') return value;
  const o = value as Record<string, unknown>;
  if (typeof o.key === 'string' && Array.isArray(o.digests)) {
    const { key: _key, digests, ...rest } = o;
    return { ...(withoutKeys(rest) as object), digests: (digests as unknown[]).length };
  }
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, withoutKeys(v)]));
}
