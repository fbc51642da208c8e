/**
 * RunFacts: one pass over an AssembledRun that pairs every called/responded event by span_id (never by step) and
 * reads payloads defensively (odd input yields nulls, not exceptions). Late events (spans that arrived after the run
 * completed: shown, never judged) are left out. Memoised per run object and event count, so the 23 detectors share
 * one pass.
 */
import type { InjectionFacts, RunEvent, RunStartedPayload, ToolCallRequest } from '../mapping/events.js';
import type { AssembledRun, ExitReason, RunStatus } from '../runs/types.js';
import { num, str } from './util.js';

type Obj = Record<string, unknown>;

/** Timing and position shared by every paired span (llm / tool / retrieval). */
export interface SpanFact {
  /** Order among calls of its kind (0-based, by called event). */
  index: number;
  /** Position of its first event in run.events (orders facts of different kinds). */
  ordinal: number;
  span_id: string;
  parent_span_id: string | null;
  step_index: number;
  /** Epoch seconds of the called event (span start); null when only the responded event arrived. */
  started_at: number | null;
  /** Epoch seconds of the responded event (span end); null while in flight. */
  ended_at: number | null;
  responded: boolean;
  /** latency_ms of the response, else end − start; null while in flight or unknown. */
  duration_ms: number | null;
}

export interface ToolCallFact extends SpanFact {
  name: string;
  args_hash: string | null;
  args_length: number | null;
  /** null while in flight. */
  success: boolean | null;
  error_type: string | null;
  error_hash: string | null;
  /** null = unknown (not empty). */
  output_length: number | null;
  /** Directive marker codes found in the result (mapping/directives.ts); [] = none or not captured. */
  directive_markers: string[];
}

export interface LlmCallFact extends SpanFact {
  /** Requested model, else the response's model. */
  model: string | null;
  request_model: string | null;
  response_model: string | null;
  provider: string | null;
  prompt_tokens: number | null;
  max_tokens: number | null;
  input_hash: string | null;
  tools_offered: string[];
  injection: InjectionFacts | null;
  completion_tokens: number | null;
  /** total_tokens, else prompt + completion (whichever are known); null when no count is known. */
  total_tokens: number | null;
  /** Lower-case first finish reason, null when unknown or in flight. */
  finish_reason: string | null;
  finish_reasons: string[];
  /** null = unknown (content not captured), never "empty". */
  output_length: number | null;
  output_length_source: 'content' | 'tokens' | null;
  tool_calls: ToolCallRequest[];
  success: boolean | null;
  error_type: string | null;
}

export interface RetrievalFact extends SpanFact {
  index_name: string;
  vendor: string | null;
  query_hash: string | null;
  top_k: number | null;
  /** null = unknown. */
  result_count: number | null;
  top_score: number | null;
  success: boolean | null;
  /** Directive marker codes found in the retrieved documents; [] = none or not captured. */
  directive_markers: string[];
}

export interface SignalFact {
  ordinal: number;
  step_index: number;
  timestamp: number | null;
  span_id: string | null;
  parent_span_id: string | null;
  name: string;
  source: string | null;
  meta: Record<string, string | number | boolean | null>;
}

export interface RunFacts {
  /** The events detectors judge: run.events without late ones (and without non-objects). */
  events: readonly RunEvent[];
  status: RunStatus | null;
  /** run.exit_reason, else derived from the terminal event / status. */
  exit: ExitReason | null;
  started: { step_index: number; span_id: string | null; payload: Partial<RunStartedPayload> } | null;
  terminal: { event_type: 'run.completed' | 'run.errored'; step_index: number; timestamp: number | null; payload: Obj } | null;
  tools: ToolCallFact[];
  llm: LlmCallFact[];
  retrievals: RetrievalFact[];
  signals: SignalFact[];
  /** Tools the agent had: run.started tools ∪ every llm.called tools_offered, sorted. */
  available_tools: string[];
  /** Highest step seen (events and run.step_count). */
  last_step: number;
  /** span_id → parent_span_id for every span an event came from. */
  parents: Map<string, string | null>;
  /** Injection facts on run.started / llm.called, in event order. */
  injections: { step_index: number; source: 'run_input' | 'llm_input'; facts: InjectionFacts }[];
  /** Tool names the run's input (or an LLM call's user input) names, lower-cased. */
  tools_in_input: Set<string>;
}

const TRUNCATION_REASONS = new Set(['length', 'max_tokens', 'max_output_tokens', 'model_length', 'token_limit']);

/** finish_reason values meaning "the output hit its token limit". */
export function isTruncationReason(reason: string | null | undefined): boolean {
  return typeof reason === 'string' && TRUNCATION_REASONS.has(reason.toLowerCase());
}

export function isTruncated(call: LlmCallFact): boolean {
  return isTruncationReason(call.finish_reason) || call.finish_reasons.some((r) => isTruncationReason(r));
}

const cache = new WeakMap<AssembledRun, { events: unknown; length: number; facts: RunFacts }>();

export function runFacts(run: AssembledRun): RunFacts {
  const all: unknown[] = Array.isArray(run?.events) ? run.events : [];
  const hit = cache.get(run);
  if (hit && hit.events === run.events && hit.length === all.length) return hit.facts;
  const judged = all.filter((e): e is RunEvent => isObj(e) && e.late !== true);
  const facts = buildFacts(run, judged);
  if (run && typeof run === 'object') cache.set(run, { events: run.events, length: all.length, facts });
  return facts;
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stepOf(e: RunEvent): number {
  const s = num(e.step_index);
  return s !== null && s >= 0 ? s : 0;
}

function nonNeg(v: unknown): number | null {
  const n = num(v);
  return n !== null && n >= 0 ? n : null;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.length > 0) : [];
}

function lower(v: unknown): string | null {
  const s = str(v);
  return s === null ? null : s.toLowerCase();
}

function injectionOf(v: unknown): InjectionFacts | null {
  if (!isObj(v)) return null;
  const count = nonNeg(v.matched_pattern_count);
  if (count === null) return null;
  return {
    matched_pattern_count: count,
    matched_patterns: strings(v.matched_patterns),
    input_length: nonNeg(v.input_length) ?? 0,
    ...(typeof v.scan_truncated === 'boolean' ? { scan_truncated: v.scan_truncated } : {}),
    ...(nonNeg(v.scanned_chars) !== null ? { scanned_chars: nonNeg(v.scanned_chars) as number } : {}),
  };
}

function durationOf(latency: unknown, start: number | null, end: number | null): number | null {
  const l = nonNeg(latency);
  if (l !== null) return l;
  if (start !== null && end !== null && end >= start) return (end - start) * 1000;
  return null;
}

function exitOf(run: AssembledRun, terminal: RunFacts['terminal']): ExitReason | null {
  const declared = run?.exit_reason;
  if (declared === 'final_answer' || declared === 'completed' || declared === 'error' || declared === 'stalled') {
    return declared;
  }
  if (terminal?.event_type === 'run.errored') return 'error';
  if (terminal?.event_type === 'run.completed') {
    return terminal.payload.exit_reason === 'final_answer' ? 'final_answer' : 'completed';
  }
  if (run?.status === 'stalled') return 'stalled';
  return null;
}

// The SpanFact fields are copied one by one, not spread: on Node 20 a spread followed by more properties builds a
// slow dictionary-mode object, and these constructors run for every call of every judged run.

/** A call from its called payload (or, for an orphan response, from what the responded payload also carries). */
function newLlm(base: SpanFact, p: Obj): LlmCallFact {
  return {
    index: base.index,
    ordinal: base.ordinal,
    span_id: base.span_id,
    parent_span_id: base.parent_span_id,
    step_index: base.step_index,
    started_at: base.started_at,
    ended_at: base.ended_at,
    responded: base.responded,
    duration_ms: base.duration_ms,
    model: str(p.model),
    request_model: str(p.model),
    response_model: null,
    provider: lower(p.provider),
    prompt_tokens: nonNeg(p.prompt_tokens),
    max_tokens: nonNeg(p.max_tokens),
    input_hash: str(p.input_hash),
    tools_offered: strings(p.tools_offered),
    injection: injectionOf(p.injection_signal),
    completion_tokens: null,
    total_tokens: null,
    finish_reason: null,
    finish_reasons: [],
    output_length: null,
    output_length_source: null,
    tool_calls: [],
    success: null,
    error_type: null,
  };
}

function newTool(base: SpanFact, p: Obj): ToolCallFact {
  return {
    index: base.index,
    ordinal: base.ordinal,
    span_id: base.span_id,
    parent_span_id: base.parent_span_id,
    step_index: base.step_index,
    started_at: base.started_at,
    ended_at: base.ended_at,
    responded: base.responded,
    duration_ms: base.duration_ms,
    name: str(p.tool_name) ?? 'unknown',
    args_hash: str(p.args_hash),
    args_length: nonNeg(p.args_length),
    success: null,
    error_type: null,
    error_hash: null,
    output_length: null,
    directive_markers: [],
  };
}

function newRetrieval(base: SpanFact, p: Obj): RetrievalFact {
  return {
    index: base.index,
    ordinal: base.ordinal,
    span_id: base.span_id,
    parent_span_id: base.parent_span_id,
    step_index: base.step_index,
    started_at: base.started_at,
    ended_at: base.ended_at,
    responded: base.responded,
    duration_ms: base.duration_ms,
    index_name: str(p.index_name) ?? 'unknown',
    vendor: str(p.vendor),
    query_hash: str(p.query_hash),
    top_k: nonNeg(p.top_k),
    result_count: null,
    top_score: null,
    success: null,
    directive_markers: [],
  };
}

function buildFacts(run: AssembledRun, events: readonly RunEvent[]): RunFacts {
  const tools: ToolCallFact[] = [];
  const llm: LlmCallFact[] = [];
  const retrievals: RetrievalFact[] = [];
  const signals: SignalFact[] = [];
  const injections: RunFacts['injections'] = [];
  const parents = new Map<string, string | null>();
  const pending = {
    tool: new Map<string, ToolCallFact[]>(),
    llm: new Map<string, LlmCallFact[]>(),
    retrieval: new Map<string, RetrievalFact[]>(),
  };
  const available = new Set<string>();
  const toolsInInput = new Set<string>();
  let started: RunFacts['started'] = null;
  let terminal: RunFacts['terminal'] = null;
  let lastStep = Math.max(0, num(run?.step_count) ?? 0);

  const take = <T>(map: Map<string, T[]>, spanId: string): T | undefined => {
    const q = map.get(spanId);
    const v = q?.shift();
    if (q && q.length === 0) map.delete(spanId);
    return v;
  };
  const put = <T>(map: Map<string, T[]>, spanId: string, v: T): void => {
    const q = map.get(spanId);
    if (q) q.push(v);
    else map.set(spanId, [v]);
  };

  for (let ordinal = 0; ordinal < events.length; ordinal++) {
    const e = events[ordinal];
    const p: Obj = isObj(e.payload) ? e.payload : {};
    const step = stepOf(e);
    const ts = num(e.timestamp);
    const spanId = str(e.span_id) ?? `#${step}`;
    const parentId = str(e.parent_span_id);
    if (!parents.has(spanId)) parents.set(spanId, parentId);
    if (step > lastStep) lastStep = step;

    const base = (index: number): SpanFact => ({
      index,
      ordinal,
      span_id: spanId,
      parent_span_id: parentId,
      step_index: step,
      started_at: ts,
      ended_at: null,
      responded: false,
      duration_ms: null,
    });
    const finish = (f: SpanFact): void => {
      f.responded = true;
      f.ended_at = ts;
      f.duration_ms = durationOf(p.latency_ms, f.started_at, ts);
    };

    switch (e.event_type) {
      case 'run.started': {
        if (!started) {
          started = { step_index: step, span_id: str(e.span_id), payload: p };
          for (const t of strings(p.tools)) available.add(t);
          for (const t of strings(p.tools_in_input)) toolsInInput.add(t.toLowerCase());
          const inj = injectionOf(p.injection_signal);
          if (inj) injections.push({ step_index: step, source: 'run_input', facts: inj });
        }
        break;
      }
      case 'llm.called': {
        const f = newLlm(base(llm.length), p);
        for (const t of f.tools_offered) available.add(t);
        for (const t of strings(p.tools_in_input)) toolsInInput.add(t.toLowerCase());
        if (f.injection) injections.push({ step_index: step, source: 'llm_input', facts: f.injection });
        llm.push(f);
        put(pending.llm, spanId, f);
        break;
      }
      case 'llm.responded': {
        let f = take(pending.llm, spanId);
        if (!f) {
          f = newLlm({ ...base(llm.length), started_at: null }, {});
          llm.push(f);
        }
        finish(f);
        f.response_model = str(p.model);
        f.model = f.request_model ?? f.response_model;
        f.completion_tokens = nonNeg(p.completion_tokens);
        const total = nonNeg(p.total_tokens);
        if (f.prompt_tokens === null && total !== null && f.completion_tokens !== null && total >= f.completion_tokens) {
          f.prompt_tokens = total - f.completion_tokens;
        }
        f.total_tokens = total ?? (f.prompt_tokens !== null || f.completion_tokens !== null ? (f.prompt_tokens ?? 0) + (f.completion_tokens ?? 0) : null);
        f.finish_reasons = strings(p.finish_reasons).map((r) => r.toLowerCase());
        f.finish_reason = lower(p.finish_reason) ?? f.finish_reasons[0] ?? null;
        f.output_length = nonNeg(p.output_length);
        f.output_length_source = p.output_length_source === 'content' || p.output_length_source === 'tokens' ? p.output_length_source : null;
        f.tool_calls = Array.isArray(p.tool_calls)
          ? p.tool_calls.filter(isObj).map((c) => ({ name: str(c.name) ?? 'unknown', args_hash: str(c.args_hash) }))
          : [];
        f.success = typeof p.success === 'boolean' ? p.success : null;
        f.error_type = str(p.error_type);
        break;
      }
      case 'tool.called': {
        const f = newTool(base(tools.length), p);
        tools.push(f);
        put(pending.tool, spanId, f);
        break;
      }
      case 'tool.responded': {
        let f = take(pending.tool, spanId);
        if (!f) {
          f = newTool({ ...base(tools.length), started_at: null }, p);
          tools.push(f);
        }
        finish(f);
        f.success = typeof p.success === 'boolean' ? p.success : null;
        f.error_type = str(p.error_type);
        f.error_hash = str(p.error_hash);
        f.output_length = nonNeg(p.output_length);
        f.directive_markers = strings(p.directive_markers);
        break;
      }
      case 'retrieval.called': {
        const f = newRetrieval(base(retrievals.length), p);
        retrievals.push(f);
        put(pending.retrieval, spanId, f);
        break;
      }
      case 'retrieval.responded': {
        let f = take(pending.retrieval, spanId);
        if (!f) {
          f = newRetrieval({ ...base(retrievals.length), started_at: null }, p);
          retrievals.push(f);
        }
        finish(f);
        f.result_count = nonNeg(p.result_count);
        f.top_score = num(p.top_score);
        f.success = typeof p.success === 'boolean' ? p.success : null;
        f.directive_markers = strings(p.directive_markers);
        break;
      }
      case 'external.signal': {
        const meta: SignalFact['meta'] = {};
        if (isObj(p.meta)) {
          for (const [k, v] of Object.entries(p.meta)) {
            if (v === null || typeof v === 'string' || typeof v === 'boolean' || num(v) !== null) {
              meta[k] = v as string | number | boolean | null;
            }
          }
        }
        signals.push({
          ordinal,
          step_index: step,
          timestamp: ts,
          span_id: str(e.span_id),
          parent_span_id: parentId,
          name: str(p.signal_name) ?? 'unknown',
          source: str(p.source),
          meta,
        });
        break;
      }
      case 'run.completed':
      case 'run.errored': {
        if (!terminal) terminal = { event_type: e.event_type, step_index: step, timestamp: ts, payload: p };
        break;
      }
      default:
        break;
    }
  }

  return {
    events,
    status: run?.status ?? null,
    exit: exitOf(run, terminal),
    started,
    terminal,
    tools,
    llm,
    retrievals,
    signals,
    available_tools: [...available].sort(),
    last_step: lastStep,
    parents,
    injections,
    tools_in_input: toolsInInput,
  };
}

/** True for runs that are no longer in flight (completed, errored or stalled). */
export function isFinished(run: AssembledRun): boolean {
  return run?.status === 'completed' || run?.status === 'errored' || run?.status === 'stalled';
}

/** True when the run ended normally (final_answer or completed exit). */
export function endedOk(facts: RunFacts): boolean {
  return facts.exit === 'final_answer' || facts.exit === 'completed';
}

/** Run wall-clock in ms: ended_at − started_at, else the terminal latency, else the span of event timestamps. */
export function wallClockMs(run: AssembledRun, facts: RunFacts): number | null {
  const s = num(run?.started_at);
  const e = num(run?.ended_at);
  if (s !== null && e !== null && e >= s) return (e - s) * 1000;
  const l = nonNeg(facts.terminal?.payload.latency_ms);
  if (l !== null) return l;
  let lo = Infinity;
  let hi = -Infinity;
  for (const ev of facts.events) {
    const t = num(ev?.timestamp);
    if (t === null) continue;
    if (t < lo) lo = t;
    if (t > hi) hi = t;
  }
  return hi >= lo ? (hi - lo) * 1000 : null;
}

/** Sum of known token totals over the LLM calls; null when no call reported any count. */
export function totalTokens(facts: RunFacts): number | null {
  let sum = 0;
  let known = false;
  for (const c of facts.llm) {
    if (c.total_tokens !== null) {
      sum += c.total_tokens;
      known = true;
    }
  }
  return known ? sum : null;
}

const STOP_REASONS = new Set(['stop', 'end_turn', 'stop_sequence']);

/** finish_reason values meaning "the model finished its answer" (not a tool call, not a limit). */
export function isStopReason(reason: string | null | undefined): boolean {
  return typeof reason === 'string' && STOP_REASONS.has(reason.toLowerCase());
}

/**
 * A response that really was empty: finished with "stop", asked for no tool, and its output length is KNOWN to be
 * 0. output_length null means the content was not captured and is never taken as empty.
 */
export function isEmptyResponse(call: LlmCallFact): boolean {
  return call.responded && isStopReason(call.finish_reason) && call.tool_calls.length === 0 && call.output_length === 0;
}
