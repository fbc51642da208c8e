import { safeError } from '../errors/index.js';
import type { IngestUnit, MappedUnit, PipelineLogger } from './types.js';

export interface MapResult {
  /** Mapped units grouped by customer (a request normally has one). */
  byCustomer: Map<string, MappedUnit[]>;
  rejected: number;
  reasons: string[];
}

/**
 * The mapping stage: every unit becomes a content-free mapped span with its run and agent. A unit the mapping core
 * cannot map (a bug: the decoders already rejected invalid input) is rejected and logged without its content.
 */
export function mapUnits(units: readonly IngestUnit[], map: (unit: IngestUnit) => Omit<MappedUnit, 'agent_id'>, log: PipelineLogger): MapResult {
  const byCustomer = new Map<string, MappedUnit[]>();
  let rejected = 0;
  for (const unit of units) {
    let mapped: Omit<MappedUnit, 'agent_id'>;
    try {
      mapped = map(unit);
    } catch (err) {
      rejected++;
      const where = unit.kind === 'otlp_span' ? { trace_id: unit.span.traceId, span_id: unit.span.spanId } : { event_type: unit.event.event_type };
      log.error({ err: safeError(err), ...where }, 'mapping failed for a unit');
      continue;
    }
    const { span } = mapped;
    const agentId = span.agent_id ?? unit.keyAgentId ?? span.service_name ?? 'unknown-agent';
    let list = byCustomer.get(unit.customerId);
    if (!list) byCustomer.set(unit.customerId, (list = []));
    list.push({ run_id: mapped.run_id, agent_id: agentId, span });
  }
  return { byCustomer, rejected, reasons: rejected ? ['an item could not be mapped (internal error, logged by the receiver)'] : [] };
}
