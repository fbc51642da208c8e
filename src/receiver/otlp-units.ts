import { PermanentError } from '../errors/index.js';
import type { OtlpSpan } from '../otlp/model.js';
import type { OtlpSpanUnit } from '../pipeline/index.js';
import type { Principal } from './auth.js';

export interface OtlpUnits {
  units: OtlpSpanUnit[];
  /** Spans refused for want of a valid key (reported in partial_success). */
  unauthenticated: number;
  reasons: string[];
}

const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);

export const NO_KEY_REASON = 'spans without a valid API key (header or resource attribute dunetrace.api_key) were rejected';

/**
 * The OTLP way in's authentication step: attributes each decoded span to a customer. The header key wins; otherwise
 * each resource's `dunetrace.api_key` (looked up once per resource). Spans without a valid key are refused (partial
 * success); a request whose spans all lack one is a 401. The key itself is never stored.
 */
export async function otlpUnits(
  spans: readonly OtlpSpan[],
  headerPrincipal: Principal | null,
  authenticate: (key: string | null) => Promise<Principal | null>,
): Promise<OtlpUnits> {
  const units: OtlpSpanUnit[] = [];
  const byResource = new Map<object, Principal | null>();
  let unauthenticated = 0;
  for (const span of spans) {
    let principal = headerPrincipal;
    if (!principal) {
      if (!byResource.has(span.resource)) byResource.set(span.resource, await authenticate(str(span.resource.attributes['dunetrace.api_key'])));
      principal = byResource.get(span.resource) ?? null;
    }
    if (!principal) {
      unauthenticated++;
      continue;
    }
    units.push({ kind: 'otlp_span', customerId: principal.customerId, keyAgentId: principal.agentId, span });
  }
  if (spans.length > 0 && units.length === 0) {
    throw new PermanentError(
      'unauthenticated',
      'UNAUTHORIZED',
      'missing API key: send Authorization: Bearer <key>, X-Dunetrace-API-Key, or the resource attribute dunetrace.api_key',
    );
  }
  return { units, unauthenticated, reasons: unauthenticated ? [NO_KEY_REASON] : [] };
}
