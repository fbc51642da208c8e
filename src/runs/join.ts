import type { MappedSpan, SpanEvent } from '../mapping/events.js';

/**
 * Joins spans that stand for halves of one thing back together, before assembly. OTLP spans are whole (a span holds
 * its call and its response; the root holds the run), so for them this changes nothing. The original Dunetrace SDKs
 * send events one by one, possibly over several requests (mapping/dunetrace-events.ts): a call and its response
 * arrive as two spans, and a run's start as a child of its root, which comes with run.completed.
 * Deterministic for a given set of spans, whatever their arrival order, like the rest of assembly.
 */
export function joinSpans(spans: readonly MappedSpan[]): MappedSpan[] {
  let halves = 0;
  let starts = 0;
  for (const s of spans) {
    if (halfOf(s)) halves++;
    else if (s.root !== null && s.parent_span_id !== null) starts++;
  }
  if (halves === 0 && starts === 0) return spans as MappedSpan[];
  return pairCalls(foldRunStart(spans));
}

type Half = { span: MappedSpan; event: SpanEvent; family: 'llm' | 'tool' | 'retrieval'; phase: 'called' | 'responded' };

function halfOf(span: MappedSpan): Half | null {
  if (span.events.length !== 1) return null;
  const event = span.events[0];
  const [family, phase] = event.event_type.split('.') as [string, string];
  if ((family === 'llm' || family === 'tool' || family === 'retrieval') && (phase === 'called' || phase === 'responded')) {
    return { span, event, family, phase };
  }
  return null;
}

/** A run's start facts (a child carrying RootFacts) fold into its root when the root has arrived. */
function foldRunStart(spans: readonly MappedSpan[]): MappedSpan[] {
  const root = spans.find((s) => s.parent_span_id === null);
  if (!root) return [...spans];
  const starts = spans.filter((s) => s.root !== null && s.parent_span_id !== null);
  if (starts.length === 0) return [...spans];
  const start = starts.reduce((a, b) => (b.start_time < a.start_time ? b : a));
  const merged: MappedSpan = {
    ...root,
    start_time: Math.min(root.start_time, start.start_time),
    agent_version: root.agent_version ?? start.agent_version,
    tools_available: [...new Set([...start.tools_available, ...root.tools_available])].sort(),
    root: { ...start.root!, ...definedOnly(root.root ?? {}) },
  };
  return spans.filter((s) => s !== root && !starts.includes(s)).concat(merged);
}

/** Root facts of the terminal event win where they say something; the start's fill in the rest. */
function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined)) as Partial<T>;
}

/**
 * Each response joins its call: the same call id when both have one, else the latest open call of its family with the
 * same tool or index name (the original SDK's rule). A response with no call stays alone.
 */
function pairCalls(spans: MappedSpan[]): MappedSpan[] {
  const out: MappedSpan[] = [];
  const halves: Half[] = [];
  for (const s of spans) {
    const h = halfOf(s);
    if (h) halves.push(h);
    else out.push(s);
  }
  halves.sort(
    (a, b) => a.span.start_time - b.span.start_time || (a.phase === b.phase ? 0 : a.phase === 'called' ? -1 : 1) || cmp(a.span.span_id, b.span.span_id),
  );
  const open: Half[] = [];
  for (const h of halves) {
    if (h.phase === 'called') {
      open.push(h);
      continue;
    }
    let match = -1;
    for (let i = open.length - 1; i >= 0; i--) {
      if (open[i].family !== h.family) continue;
      const a = pairKey(open[i]);
      const b = pairKey(h);
      if (a.callId !== null && b.callId !== null ? a.callId === b.callId : a.name === null || b.name === null || a.name === b.name) {
        match = i;
        break;
      }
    }
    if (match < 0) {
      out.push(h.span);
      continue;
    }
    const [call] = open.splice(match, 1);
    out.push({
      ...call.span,
      end_time: Math.max(call.span.end_time, h.span.end_time),
      status: h.span.status,
      error_type: h.span.error_type,
      events: [call.event, h.event],
    });
  }
  for (const h of open) out.push(h.span);
  return out;
}

function pairKey(h: Half): { callId: string | null; name: string | null } {
  const p = h.event.payload as { call_id?: string | null; tool_name?: string; index_name?: string };
  return { callId: p.call_id ?? null, name: h.family === 'tool' ? (p.tool_name ?? null) : h.family === 'retrieval' ? (p.index_name ?? null) : null };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
