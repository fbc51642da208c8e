import { nameFailedTools } from '../mapping/dialects/index.js';
import type { OtlpSpan } from '../otlp/model.js';
import { groupSplitTraces, type SplitDiagnosis } from '../runs/split-traces.js';
import type { IngestUnit, OtlpSpanUnit } from './types.js';

export interface PreparedUnits {
  units: IngestUnit[];
  diagnoses: SplitDiagnosis[];
}

/**
 * Export-level fixes before mapping, per customer, on the spans of one batch (both pure): LangChain tools that threw
 * are named from the LangGraph tools node around them (mapping/dialects/openllmetry-langchain.ts), and spans an
 * emitter split into one-span traces are adopted by the invocation that contains them (runs/split-traces.ts).
 * Units keep their order; a unit whose span changed is a new object.
 */
export function prepareUnits(units: readonly IngestUnit[]): PreparedUnits {
  // OTLP spans only (a Dunetrace SDK event is not a span of an emitter that splits runs), per customer.
  const byCustomer = new Map<string, number[]>();
  for (let i = 0; i < units.length; i++) {
    const u = units[i];
    if (u.kind !== 'otlp_span') continue;
    let list = byCustomer.get(u.customerId);
    if (!list) byCustomer.set(u.customerId, (list = []));
    list.push(i);
  }
  const out = units.slice();
  const diagnoses: SplitDiagnosis[] = [];
  for (const idx of byCustomer.values()) {
    const own = idx.map((i) => units[i] as OtlpSpanUnit);
    const spans: OtlpSpan[] = own.map((u) => u.span);
    const grouped = groupSplitTraces(nameFailedTools(spans));
    diagnoses.push(...grouped.diagnoses);
    idx.forEach((i, k) => {
      if (grouped.spans[k] !== spans[k]) out[i] = { ...own[k], span: grouped.spans[k] };
    });
  }
  return { units: out, diagnoses };
}
