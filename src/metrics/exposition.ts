import type { Histogram } from './histogram.js';

/** One metric family in the Prometheus text exposition format (version 0.0.4). */
export type Metric =
  | { name: string; help: string; type: 'counter' | 'gauge'; value: number; labels?: Record<string, string> }
  | { name: string; help: string; type: 'histogram'; histogram: Histogram };

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const labelText = (labels: Record<string, string> | undefined, extra?: string) => {
  const parts = Object.entries(labels ?? {}).map(([k, v]) => `${k}="${esc(v)}"`);
  if (extra) parts.push(extra);
  return parts.length ? `{${parts.join(',')}}` : '';
};

export function exposition(metrics: readonly Metric[]): string {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const m of metrics) {
    if (!seen.has(m.name)) {
      out.push(`# HELP ${m.name} ${m.help}`, `# TYPE ${m.name} ${m.type}`);
      seen.add(m.name);
    }
    if (m.type !== 'histogram') {
      out.push(`${m.name}${labelText(m.labels)} ${m.value}`);
      continue;
    }
    const s = m.histogram.snapshot();
    for (const [le, n] of s.buckets) out.push(`${m.name}_bucket${labelText(undefined, `le="${le}"`)} ${n}`);
    out.push(`${m.name}_bucket{le="+Inf"} ${s.count}`, `${m.name}_sum ${s.sum}`, `${m.name}_count ${s.count}`);
  }
  return out.join('\n') + '\n';
}
