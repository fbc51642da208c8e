import { createHash } from 'node:crypto';
import type { MappedSpan, RunEvent, SpanEvent, LlmRespondedPayload } from '../mapping/events.js';
import { joinSpans } from './join.js';
import { dedupeNestedLlm } from './nested-llm.js';
import type { AssembledRun, ExitReason, RunStatus } from './types.js';

export interface AssemblySpan {
  span: MappedSpan;
  /** Arrived after the run had completed: shown, flagged, never judged. */
  late?: boolean;
}

export interface AssembleOptions {
  runId: string;
  agentId: string;
  /** Decided by the run tracker: open while spans may still come, stalled when the root never came. */
  status: RunStatus;
}

/** Spans with one of these produce a step of their own; spans with only external signals share the current one. */
const STEP_EVENTS = new Set(['llm.called', 'tool.called', 'retrieval.called']);

/**
 * Turns the spans of one trace, in any arrival order, into the run detectors judge and the API shows.
 * Deterministic: the same spans always give the same steps, so assembling on read reproduces what was judged.
 *
 * Steps: run.started is 0; each llm/tool/retrieval span takes the next step in order of its start time and its
 * called/responded pair shares it (a pair belongs to one span, never to equal step numbers); external signals take
 * their span's step; the terminal event takes the last step.
 */
export function assembleRun(input: AssemblySpan[], opts: AssembleOptions): AssembledRun {
  const onTime = dedupeNestedLlm(joinSpans(input.filter((s) => !s.late).map((s) => s.span))).sort(byStart);
  const late = joinSpans(input.filter((s) => s.late).map((s) => s.span)).sort(byStart);

  const root = onTime.find((s) => s.parent_span_id === null) ?? null;
  // What the run said about itself at its start: the root's facts, or (root not arrived yet) a run-start span's.
  const startFacts = root?.root ?? onTime.find((s) => s.root !== null)?.root ?? null;
  const events: RunEvent[] = [];
  let step = 0;
  for (const span of onTime) step = pushSpanEvents(events, span, step, false);
  const stepCount = step;

  // In step order: SDK clocks give starts and ends different precision, so end timestamps alone can misorder calls.
  const llmResponses = events
    .filter((e): e is RunEvent & { event_type: 'llm.responded'; payload: LlmRespondedPayload } => e.event_type === 'llm.responded')
    .sort((a, b) => a.step_index - b.step_index || a.timestamp - b.timestamp);
  const tools = collectTools(onTime, events);
  const model = firstLlmModel(events) ?? startFacts?.model ?? null;
  const startedAt = root?.start_time ?? onTime[0]?.start_time ?? null;

  if (onTime.length > 0) {
    const anchor = root ?? onTime[0];
    const injection = startFacts?.injection_signal ?? firstInjection(events);
    events.unshift({
      event_type: 'run.started',
      step_index: 0,
      seq: -1,
      timestamp: anchor.start_time,
      span_id: anchor.span_id,
      parent_span_id: anchor.parent_span_id,
      payload: {
        source: 'otlp',
        root_span_name: root?.name ?? '',
        input_hash: startFacts?.input_hash ?? firstLlmInputHash(events),
        input_length: startFacts?.input_length ?? null,
        system_prompt_hash: startFacts?.system_prompt_hash ?? firstSystemPromptHash(events),
        model,
        tools,
        agent_name: root?.agent_name ?? onTime.find((s) => s.agent_name)?.agent_name ?? null,
        ...(injection ? { injection_signal: injection } : {}),
        ...(startFacts?.tools_in_input?.length ? { tools_in_input: startFacts.tools_in_input } : {}),
        ...(startFacts?.grounding ? { grounding: startFacts.grounding } : {}),
        ...(startFacts?.handoff_text ? { handoff_text: startFacts.handoff_text } : {}),
        ...(startFacts?.warrant ? { warrant: startFacts.warrant } : {}),
      },
    });
  }

  let exitReason: ExitReason | null = null;
  let endedAt: number | null = null;
  if (opts.status === 'stalled') {
    exitReason = 'stalled';
    endedAt = onTime.length ? Math.max(...onTime.map((s) => s.end_time)) : null;
  } else if (opts.status !== 'open' && root) {
    const errored = root.status === 'error';
    const last = llmResponses[llmResponses.length - 1];
    // The root's own word when it has one (a framework's call/flow span); else the last LLM response stopped on text.
    const answered = root.root?.answered ?? (last !== undefined && last.payload.finish_reason === 'stop' && last.payload.tool_calls.length === 0);
    exitReason = errored ? 'error' : answered ? 'final_answer' : 'completed';
    endedAt = root.end_time;
    const common = {
      total_steps: stepCount,
      tool_call_count: events.filter((e) => e.event_type === 'tool.called').length,
      latency_ms: Math.max(0, (root.end_time - root.start_time) * 1000),
    };
    events.push(
      errored
        ? terminal('run.errored', root, stepCount, {
            exit_reason: 'error',
            error_type: root.error_type,
            error_hash: rootErrorHash(root),
            ...common,
          })
        : terminal('run.completed', root, stepCount, {
            exit_reason: exitReason as 'final_answer' | 'completed',
            ...common,
          }),
    );
  }

  if (root) placeRootSignals(events, root.span_id);
  events.sort(byStepTimeSeq);
  // Late spans are shown after everything that was judged, numbered on from the last step.
  let lateStep = stepCount;
  for (const span of late) lateStep = pushSpanEvents(events, span, lateStep, true);

  return {
    run_id: opts.runId,
    agent_id: opts.agentId,
    agent_version: agentVersion(onTime.length ? onTime : late, model, tools),
    status: opts.status,
    exit_reason: exitReason,
    started_at: startedAt,
    ended_at: endedAt,
    step_count: stepCount,
    events,
  };
}

function pushSpanEvents(out: RunEvent[], span: MappedSpan, step: number, late: boolean): number {
  const events = span.events;
  if (events.length === 0) return step;
  let ownStep = step;
  for (let i = 0; i < events.length; i++) {
    if (STEP_EVENTS.has(events[i].event_type)) {
      ownStep = step + 1;
      break;
    }
  }
  // A literal with the event's four fields (same keys, same order as spreading it): on Node 20 a spread followed by
  // more properties is ~50× slower than a literal, and this runs for every event on every assembly (bench/scaling.ts).
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    const ev = {
      event_type: e.event_type,
      seq: e.seq,
      timestamp: e.timestamp,
      payload: e.payload,
      step_index: ownStep,
      span_id: span.span_id,
      parent_span_id: span.parent_span_id,
    } as RunEvent;
    if (late) ev.late = true;
    out.push(ev);
  }
  return ownStep;
}

/**
 * External signals raised on the root span itself (outside any step: an SDK's run.externalSignal between calls, a
 * rate limit on the root) take the step in effect when they were raised, not the root's step 0.
 */
function placeRootSignals(events: RunEvent[], rootSpanId: string): void {
  const starts: { t: number; step: number }[] = [];
  for (const e of events) if (STEP_EVENTS.has(e.event_type)) starts.push({ t: e.timestamp, step: e.step_index });
  if (starts.length === 0) return;
  starts.sort((a, b) => a.t - b.t || a.step - b.step);
  for (const e of events) {
    if (e.event_type !== 'external.signal' || e.span_id !== rootSpanId) continue;
    let step = 0;
    for (const s of starts) {
      if (s.t > e.timestamp) break;
      step = s.step;
    }
    e.step_index = step;
  }
}

function terminal<T extends 'run.completed' | 'run.errored'>(
  type: T,
  root: MappedSpan,
  step: number,
  payload: Extract<SpanEvent, { event_type: T }>['payload'],
): RunEvent {
  return {
    event_type: type,
    step_index: step,
    seq: Number.MAX_SAFE_INTEGER,
    timestamp: root.end_time,
    span_id: root.span_id,
    parent_span_id: root.parent_span_id,
    payload,
  } as RunEvent;
}

function rootErrorHash(root: MappedSpan): string | null {
  return root.root?.error_hash ?? null;
}

function firstSystemPromptHash(events: RunEvent[]): string | null {
  for (const e of events) if (e.event_type === 'llm.called' && e.payload.system_prompt_hash) return e.payload.system_prompt_hash;
  return null;
}

function collectTools(spans: MappedSpan[], events: RunEvent[]): string[] {
  const tools = new Set<string>();
  for (const s of spans) for (const t of s.tools_available) tools.add(t);
  for (const e of events) if (e.event_type === 'llm.called') for (const t of e.payload.tools_offered) tools.add(t);
  return [...tools].sort();
}

function firstLlmModel(events: RunEvent[]): string | null {
  for (const e of events) if (e.event_type === 'llm.called' && e.payload.model) return e.payload.model;
  return null;
}

function firstLlmInputHash(events: RunEvent[]): string | null {
  for (const e of events) if (e.event_type === 'llm.called' && e.payload.input_hash) return e.payload.input_hash;
  return null;
}

function firstInjection(events: RunEvent[]) {
  for (const e of events) if (e.event_type === 'llm.called' && e.payload.injection_signal) return e.payload.injection_signal;
  return undefined;
}

/**
 * agent_version: what the agent says it is (resource dunetrace.agent_version / service.version), else a short
 * fingerprint of its model and tool set, so a changed agent gets a fresh baseline (as upstream's SDK does).
 */
function agentVersion(spans: MappedSpan[], model: string | null, tools: string[]): string {
  const declared = spans.find((s) => s.parent_span_id === null && s.agent_version)?.agent_version ?? spans.find((s) => s.agent_version)?.agent_version;
  if (declared) return declared;
  return createHash('sha256')
    .update(`${model ?? 'unknown'}:${tools.join(',')}`)
    .digest('hex')
    .slice(0, 8);
}

/** Start time, then end time (spans started in the same millisecond: the one that ended first came first), then id. */
function byStart(a: MappedSpan, b: MappedSpan): number {
  return a.start_time - b.start_time || a.end_time - b.end_time || (a.span_id < b.span_id ? -1 : a.span_id > b.span_id ? 1 : 0);
}

const isTerminal = (e: RunEvent) => e.event_type === 'run.completed' || e.event_type === 'run.errored';

/** Step, then time, then order within the span; run.started first and the terminal event last whatever the clocks say. */
function byStepTimeSeq(a: RunEvent, b: RunEvent): number {
  return (
    a.step_index - b.step_index ||
    Number(isTerminal(a)) - Number(isTerminal(b)) ||
    Number(b.event_type === 'run.started') - Number(a.event_type === 'run.started') ||
    a.timestamp - b.timestamp ||
    a.seq - b.seq
  );
}
