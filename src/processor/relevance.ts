import { INVALID_SPANID } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { classify, isRateLimited, memoryOperation } from '../mapping/index.js';
import type { Attributes } from '../otlp/model.js';

const HTTP_STATUS_KEYS = ['http.response.status_code', 'http.status_code'] as const;
const VECTOR_QUERY_PREFIX = 'db.vector.query.';

function httpStatus(a: Attributes): number | null {
  for (const key of HTTP_STATUS_KEYS) {
    const v = a[key];
    if (typeof v === 'number') return v;
    if (typeof v === 'string' && /^\d{3}$/.test(v)) return Number(v);
  }
  return null;
}

function errorType(span: ReadableSpan): string | null {
  const t = span.attributes['error.type'];
  if (typeof t === 'string' && t.length > 0) return t;
  for (const e of span.events) {
    if (e.name !== 'exception') continue;
    const x = e.attributes?.['exception.type'];
    return typeof x === 'string' && x.length > 0 ? x : null;
  }
  return null;
}

/** Whether any key is `db.vector.query.*` (the classify hint), without allocating the key list. */
function hasVectorQueryKey(a: Attributes): boolean {
  for (const key in a) if (key.charCodeAt(0) === 100 /* d */ && key.startsWith(VECTOR_QUERY_PREFIX)) return true;
  return false;
}

/**
 * Whether a span matters to an agent run, i.e. whether the receiver derives anything from it: the mapping core's
 * category is an LLM call, tool, retrieval, agent, workflow or task; or it is the local root of the trace (the run's
 * start and end; a span whose parent is in another process counts as one); or it records a rate limit (an HTTP
 * client span answered 429 becomes a `rate_limit` signal), or it is a GenAI memory operation. Cheap: attribute lookups and the span name, never
 * content. Everything else (HTTP, DB, framework spans) is noise to the detectors and is not exported unless
 * `passThroughOtherSpans` is set.
 */
export function isAgentSpan(span: ReadableSpan): boolean {
  // The SDK records a parent only when its context is valid; an all-zero id still counts as none (as the receiver does).
  const parent = span.parentSpanContext;
  if (parent === undefined || parent.isRemote === true || parent.spanId === INVALID_SPANID || parent.spanId === '') return true;
  const a = span.attributes as Attributes;
  if (classify(span.name, a, { hasVectorQuery: hasVectorQueryKey(a) }) !== 'other') return true;
  // A GenAI memory operation (create/update/upsert/search_memory) becomes a memory.written / memory.read signal.
  if (memoryOperation(a) !== null) return true;
  return isRateLimited(httpStatus(a), errorType(span));
}
