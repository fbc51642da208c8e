import type { OtlpSpan } from '../otlp/model.js';

/**
 * One run per agent invocation even when the emitter splits it (issue 10, item 2).
 *
 * OpenLLMetry's LangChain instrumentation starts every LangChain span with `tracer.startSpan` and never makes one
 * active: without an enclosing span (`withWorkflow` / `withAgent`, or any active span of the app), each LLM call,
 * tool call and chain step is a trace of its own, so one agent invocation arrives as ten one-span "runs". The spans
 * carry no LangChain run id, session id or parent; what they do carry is their service, their scope and their time.
 * The invocation's outermost chain span (`workflow CompiledStateGraph`, `invoke_agent AgentExecutor`) starts first and
 * ends last, so every other span of that invocation lies inside its time range.
 *
 * Rule, over the spans of one export of one customer (pure, deterministic):
 *  - candidates: parentless spans from a splitting scope (SPLITTING_SCOPES), grouped by service.name;
 *  - containers: candidate chain spans (workflow / agent) that no other candidate chain span contains;
 *  - a candidate inside exactly one container is adopted by it: its trace id becomes the container's and its parent
 *    the container span, so the pipeline stores it in the container's run. Inside two or more (overlapping, i.e.
 *    concurrent, invocations of one service) or none (its container is in another export): left as it came —
 *    grouping must never merge two invocations.
 *  - every service that sent such spans gets a diagnosis naming the wrapper that makes the runs whole at the source,
 *    whether or not the spans could be grouped (grouping by time works only within one export).
 */

export interface SplitDiagnosis {
  service: string | null;
  scope: string;
  /** Parentless spans of the scope in the export (each would be a run of its own). */
  spans: number;
  /** Of them, adopted into the run of the invocation that contains them. */
  grouped: number;
  /** Left alone: no container in this export, or inside two overlapping ones. */
  ungrouped: number;
  /** What the user should change, in one sentence. */
  advice: string;
}

export interface SplitResult {
  /** The export's spans, adopted ones rewritten (new objects), all others the same objects, in the same order. */
  spans: OtlpSpan[];
  diagnoses: SplitDiagnosis[];
}

/** Instrumentation scopes known to emit an agent invocation as unparented spans, and the fix at the source. */
export const SPLITTING_SCOPES: ReadonlyMap<string, string> = new Map([
  [
    '@traceloop/instrumentation-langchain',
    'OpenLLMetry sends every LangChain step as its own trace: wrap each agent call in ' +
      "traceloop.withWorkflow({ name: '<agent>' }, () => agent.invoke(…)) (or withAgent) so that one invocation is one run",
  ],
]);

const CONTAINER_OPERATIONS: ReadonlySet<string> = new Set(['workflow', 'invoke_agent', 'invoke_workflow']);

const isContainer = (s: OtlpSpan): boolean => {
  const op = s.attributes['gen_ai.operation.name'];
  return (typeof op === 'string' && CONTAINER_OPERATIONS.has(op)) || s.attributes['traceloop.span.kind'] === 'workflow';
};

/**
 * OTel JS takes a span's start from Date.now() (whole milliseconds) and its end as start + a precise duration, so a
 * step that ends just before its invocation can appear to end up to a millisecond after it: containment allows that.
 */
export const CLOCK_SLACK_NS = 1_000_000n;

const contains = (outer: OtlpSpan, inner: OtlpSpan): boolean =>
  outer !== inner && outer.startTimeUnixNano <= inner.startTimeUnixNano + CLOCK_SLACK_NS && inner.endTimeUnixNano <= outer.endTimeUnixNano + CLOCK_SLACK_NS;

const serviceOf = (s: OtlpSpan): string | null => {
  const v = s.resource.attributes['service.name'];
  return typeof v === 'string' && v.length > 0 ? v : null;
};

export function groupSplitTraces(spans: readonly OtlpSpan[]): SplitResult {
  const groups = new Map<string, OtlpSpan[]>();
  for (const s of spans) {
    if (s.parentSpanId !== '' || !SPLITTING_SCOPES.has(s.scope.name)) continue;
    const key = `${serviceOf(s) ?? ''}\u0000${s.scope.name}`;
    let list = groups.get(key);
    if (!list) groups.set(key, (list = []));
    list.push(s);
  }
  if (groups.size === 0) return { spans: spans as OtlpSpan[], diagnoses: [] };

  const adopted = new Map<OtlpSpan, OtlpSpan>();
  const diagnoses: SplitDiagnosis[] = [];
  for (const candidates of groups.values()) {
    const chains = candidates.filter(isContainer);
    // Outermost chains: inside no other chain. Two chains with the very same range: the one listed first wins.
    const containers = chains.filter((c) => !chains.some((o) => o !== c && contains(o, c) && !(contains(c, o) && chains.indexOf(o) > chains.indexOf(c))));
    let grouped = 0;
    for (const s of candidates) {
      if (containers.includes(s)) continue;
      const around = containers.filter((c) => contains(c, s));
      if (around.length !== 1) continue;
      adopted.set(s, around[0]);
      grouped++;
    }
    const first = candidates[0];
    diagnoses.push({
      service: serviceOf(first),
      scope: first.scope.name,
      spans: candidates.length,
      grouped,
      ungrouped: candidates.length - grouped - containers.length,
      advice: SPLITTING_SCOPES.get(first.scope.name) ?? '',
    });
  }
  return {
    spans: adopted.size === 0 ? (spans as OtlpSpan[]) : spans.map((s) => adoptedBy(s, adopted.get(s))),
    diagnoses,
  };
}

function adoptedBy(s: OtlpSpan, container: OtlpSpan | undefined): OtlpSpan {
  return container === undefined ? s : { ...s, traceId: container.traceId, parentSpanId: container.spanId };
}
