import type { OtlpSpan } from '../otlp/model.js';
import type { MappedSpan } from '../mapping/events.js';
import type { BatchSpan } from '../storage/types.js';
import type { Principal } from './auth.js';

export interface IngestPlan {
  /** Spans to write, grouped by customer (a request normally has one). */
  batches: Map<string, BatchSpan[]>;
  rejected: number;
  reasons: string[];
}

export interface IngestDeps {
  /** Principal for a resource-attribute key (only consulted when the request had no header key). */
  authenticate(key: string | null): Promise<Principal | null>;
  map(span: OtlpSpan): MappedSpan;
  /** Reports a span the mapping core could not map (a bug): rejected, never silently dropped. */
  onMapError(err: unknown, span: OtlpSpan): void;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);

/**
 * Decides, span by span, who a span belongs to and what gets stored: the header key wins; otherwise each resource's
 * `dunetrace.api_key`. Spans without a valid key are rejected (counted in partial_success). The key itself is never
 * stored: only the mapped span is.
 */
export async function planIngest(spans: OtlpSpan[], headerPrincipal: Principal | null, deps: IngestDeps): Promise<IngestPlan> {
  const batches = new Map<string, BatchSpan[]>();
  const reasons = new Set<string>();
  let rejected = 0;
  const byResource = new Map<object, Principal | null>();

  for (const span of spans) {
    let principal = headerPrincipal;
    if (!principal) {
      if (!byResource.has(span.resource)) byResource.set(span.resource, await deps.authenticate(str(span.resource.attributes['dunetrace.api_key'])));
      principal = byResource.get(span.resource) ?? null;
    }
    if (!principal) {
      rejected++;
      reasons.add('spans without a valid API key (header or resource attribute dunetrace.api_key) were rejected');
      continue;
    }
    let mapped: MappedSpan;
    try {
      mapped = deps.map(span);
    } catch (err) {
      deps.onMapError(err, span);
      rejected++;
      reasons.add('a span could not be mapped (internal error, logged by the receiver)');
      continue;
    }
    const agentId = mapped.agent_id ?? principal.agentId ?? mapped.service_name ?? 'unknown-agent';
    let batch = batches.get(principal.customerId);
    if (!batch) batches.set(principal.customerId, (batch = []));
    batch.push({ run_id: span.traceId, agent_id: agentId, span: mapped });
  }
  return { batches, rejected, reasons: [...reasons] };
}

/** True when the request can only be answered 401: it had spans, and none carried a valid key. */
export function allUnauthenticated(plan: IngestPlan, total: number): boolean {
  return total > 0 && plan.batches.size === 0 && plan.rejected === total && plan.reasons.some((r) => r.startsWith('spans without'));
}
