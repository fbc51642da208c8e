import { nameFailedTools } from '../mapping/dialects/index.js';
import type { OtlpSpan } from '../otlp/model.js';
import { groupSplitTraces, type SplitDiagnosis } from '../runs/split-traces.js';
import type { IngestUnit } from './types.js';

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
  const byCustomer = new Map<string, number[]>();
  for (let i = 0; i < units.length; i++) {
    let list = byCustomer.get(units[i].customerId);
    if (!list) byCustomer.set(units[i].customerId, (list = []));
    list.push(i);
  }
  const out = units.slice();
  const diagnoses: SplitDiagnosis[] = [];
  for (const idx of byCustomer.values()) {
    const spans: OtlpSpan[] = idx.map((i) => units[i].span);
    const grouped = groupSplitTraces(nameFailedTools(spans));
    diagnoses.push(...grouped.diagnoses);
    idx.forEach((i, k) => {
      if (grouped.spans[k] !== units[i].span) out[i] = { ...units[i], span: grouped.spans[k] };
    });
  }
  return { units: out, diagnoses };
}
