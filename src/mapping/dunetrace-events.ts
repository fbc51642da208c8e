/**
 * The original Dunetrace's own events (what its Python and TypeScript SDKs send to POST /v1/ingest), mapped to the
 * same content-free spans OTLP spans become, so one run model, one set of detectors and one storage serve both.
 *
 * Both SDK generations are understood: 0.3 sends digests (input_hash, args_hash, output_hash, …: 16-hex unkeyed SHA-256
 * prefixes, re-digested here so no plain digest of short text is stored), the newer ones send raw text (input_text,
 * system_prompt, output, args, query, content, error, memory values), which is digested and measured here and never
 * kept. Every event becomes one small span; run assembly joins them back (src/runs/join.ts):
 * - run.completed / run.errored → the run's root span (id derived from the run id): the run ends when it arrives;
 * - run.started → a child of that root carrying the root's facts (input digest, injection scan, tools);
 * - *.called / *.responded → one span each, paired again by call id, else the latest open call of the same name;
 * - external.signal and the events we do not judge yet (memory, approval, policy, voice) → external signals.
 * Pure: no I/O, no clock (a missing timestamp is the caller's `receivedAt`).
 */
import { replaceLoneSurrogates } from '../model/index.js';
import type { Hasher } from './hash.js';
import { argumentLeafSet, candidateSets, warrantSet } from './facts/ambiguity.js';
import { argumentEntitySet, destinationSet, groundingSet, processFactSecret, replyTerms, toolTerms, type FactSecret } from './facts/index.js';
import { scanForInjection } from './injection.js';
import { POISON_MARKER_ORDER, firstMarker, scanDirectives } from './directives.js';
import { normalizeFinishReason } from './content/index.js';
import type { ExternalSignalPayload, MappedSpan, RootFacts, SpanCategory, SpanEvent } from './events.js';

/** Every event type the original defines (anything else is refused by the decoder). */
export const DUNETRACE_EVENT_TYPES = [
  'run.started',
  'run.completed',
  'run.errored',
  'llm.called',
  'llm.responded',
  'tool.called',
  'tool.responded',
  'retrieval.called',
  'retrieval.responded',
  'external.signal',
  'policy.triggered',
  'policy.evaluated',
  'transcription.received',
  'tts.generated',
  'voice_activity.detected',
  'turn_taking.changed',
  'recording.available',
  'approval.requested',
  'approval.granted',
  'approval.denied',
  'approval.timeout',
  'memory.written',
  'memory.read',
  'memory.cleared',
] as const;
export type DunetraceEventType = (typeof DUNETRACE_EVENT_TYPES)[number];

/** One event as the SDKs send it (validated by the /v1/ingest decoder; the payload is free-form). */
export interface DunetraceEvent {
  event_type: DunetraceEventType;
  run_id: string;
  agent_id: string;
  agent_version: string;
  step_index: number;
  /** Unix seconds (float). */
  timestamp?: number;
  payload?: Record<string, unknown>;
  parent_run_id?: string | null;
  trace_id?: string | null;
  conversation_id?: string | null;
  /** A client UUID: a retried event keeps it, so it is stored once. */
  event_id?: string | null;
}

export interface EventMapOptions {
  hasher: Hasher;
  /** Secret of the run keys of the keyed fact digests (per run id); defaults to this process's. */
  facts?: FactSecret;
  /** Time the batch arrived (unix seconds): the timestamp of events that carry none. */
  receivedAt: number;
}

const MAX_NAME = 128;
// eslint-disable-next-line no-control-regex -- control characters are exactly what this removes
const CONTROL = /[\u0000-\u001f\u007f]/g;

/**
 * An identifier fit for storage: NUL and other control characters removed, lone surrogates replaced, cut to
 * `max`. A field with odd Unicode must never cost the batch (Postgres refuses NUL in text and jsonb).
 */
export function cleanName(v: unknown, max = MAX_NAME): string | null {
  if (typeof v !== 'string') return typeof v === 'number' && Number.isFinite(v) ? String(v) : null;
  const s = replaceLoneSurrogates(v).replace(CONTROL, '').trim();
  if (s.length === 0) return null;
  return s.length > max ? s.slice(0, max) : s;
}

/**
 * The run id storage and the API use: a 32-hex trace id as is; a UUID as its 32 hex digits; any other string as the
 * first 32 hex of its SHA-256 — the same function on both sides, so GET /v1/runs/<the SDK's id> finds the run.
 */
export function canonicalRunId(raw: string, sha256: (text: string) => string): string {
  const s = raw.trim();
  if (/^[0-9a-fA-F]{32}$/.test(s)) return s.toLowerCase();
  if (/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(s)) return s.replace(/-/g, '').toLowerCase();
  return sha256(`dunetrace.run_id:${s}`).slice(0, 32);
}

/** The root span's id of a run sent as events: derived, so run.completed from any request names the same root. */
export function eventRunRootId(runId: string, hasher: Hasher): string {
  return hasher.digest(`dunetrace.run_root:${runId}`).slice(0, 16);
}

/** A stable span id per event: its event_id when the SDK sent one (retries dedupe), else its identifying fields. */
function eventSpanId(e: DunetraceEvent, runId: string, hasher: Hasher): string {
  const p = e.payload ?? {};
  const identity = e.event_id
    ? `id:${e.event_id}`
    : `${e.event_type}|${e.step_index}|${e.timestamp ?? ''}|${num(p.call_id) ?? ''}|${cleanName(p.tool_name) ?? ''}|${cleanName(p.signal_name) ?? ''}`;
  return hasher.digest(`dunetrace.event:${runId}|${identity}`).slice(0, 16);
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const int = (v: unknown): number | null => {
  const n = num(v);
  return n === null ? null : Math.max(0, Math.round(n));
};
const text = (v: unknown): string | null => (typeof v === 'string' ? v : v === undefined || v === null ? null : JSON.stringify(v));

/**
 * Maps one event. `runId` is the canonical run id (see canonicalRunId); the event's own agent id and version name
 * the agent, as the SDK declared them.
 */
export function mapDunetraceEvent(e: DunetraceEvent, runId: string, opts: EventMapOptions): MappedSpan {
  const { hasher } = opts;
  const p = e.payload ?? {};
  const at = num(e.timestamp) ?? opts.receivedAt;
  /** Raw text → digest and length; an SDK's own (unkeyed, short) digest → our digest of it, length as sent. */
  const keyer = () => (opts.facts ?? processFactSecret()).forRun(runId);
  const measure = (rawKey: string, hashKey: string, lengthKey?: string): { hash: string | null; length: number | null } => {
    const raw = text(p[rawKey]);
    if (raw !== null) return { hash: hasher.digest(raw), length: raw.length };
    const given = cleanName(p[hashKey]);
    return { hash: given === null ? null : hasher.digest(`dunetrace.sdk_hash:${given}`), length: lengthKey ? int(p[lengthKey]) : null };
  };

  const span: MappedSpan = {
    trace_id: runId,
    span_id: eventSpanId(e, runId, hasher),
    parent_span_id: eventRunRootId(runId, hasher),
    name: e.event_type,
    category: 'other',
    start_time: at,
    end_time: at,
    status: 'unset',
    error_type: null,
    agent_id: cleanName(e.agent_id),
    agent_name: null,
    service_name: null,
    agent_version: cleanName(e.agent_version, 64),
    tools_available: [],
    root: null,
    events: [],
  };
  const push = (event: SpanEvent, category: SpanCategory) => {
    span.category = category;
    span.events.push(event);
  };
  const latency = num(p.latency_ms) ?? 0;

  switch (e.event_type) {
    case 'run.started': {
      const input = measure('input_text', 'input_hash');
      const inputText = typeof p.input_text === 'string' ? p.input_text : null;
      const system = typeof p.system_prompt === 'string' ? hasher.digest(p.system_prompt) : null;
      const injection = inputText !== null ? scanForInjection(inputText) : injectionFromPayload(p.injection_signal);
      span.category = 'agent';
      span.tools_available = stringList(p.tools);
      span.root = {
        input_hash: input.hash,
        input_length: input.length ?? int(p.input_length),
        output_hash: null,
        error_hash: null,
        system_prompt_hash: system,
        model: cleanName(p.model),
        ...(injection ? { injection_signal: injection } : {}),
      };
      if (inputText !== null && span.tools_available.length > 0) {
        const lower = inputText.toLowerCase();
        const named = span.tools_available.filter((t) => lower.includes(t.toLowerCase()));
        if (named.length > 0) span.root.tools_in_input = named;
      }
      // Content facts from the raw text an SDK sent (the same extractors as the OTLP path), then only facts kept.
      const grounding = groundingSet([inputText, typeof p.system_prompt === 'string' ? p.system_prompt : null], keyer());
      if (grounding !== null) span.root.grounding = grounding;
      const warrant = warrantSet([inputText], keyer());
      if (warrant !== null) span.root.warrant = warrant;
      return span;
    }
    case 'run.completed':
    case 'run.errored': {
      const errored = e.event_type === 'run.errored';
      const error = measure('error', 'error_hash');
      span.span_id = eventRunRootId(runId, hasher);
      span.parent_span_id = null;
      span.category = 'agent';
      span.status = errored ? 'error' : 'ok';
      span.error_type = errored ? (cleanName(p.error_type) ?? 'Error') : null;
      span.root = {
        input_hash: null,
        input_length: null,
        output_hash: null,
        error_hash: errored ? error.hash : null,
        // The run says how it ended: final_answer, or something else (completed, idle, process_exit, …).
        answered: !errored && p.exit_reason === 'final_answer',
      };
      return span;
    }
    case 'llm.called': {
      push(
        {
          event_type: 'llm.called',
          seq: 0,
          timestamp: at,
          payload: {
            model: cleanName(p.model),
            provider: cleanName(p.provider),
            operation: 'chat',
            prompt_tokens: int(p.prompt_tokens),
            input_hash: null,
            input_length: null,
            max_tokens: null,
            tools_offered: [],
            call_id: callId(p.call_id),
          },
        },
        'llm',
      );
      return span;
    }
    case 'llm.responded': {
      const output = measure('output', 'output_hash', 'output_length');
      const failed = p.error !== undefined && p.error !== null;
      const reason = cleanName(p.finish_reason);
      span.status = failed ? 'error' : 'ok';
      push(
        {
          event_type: 'llm.responded',
          seq: 1,
          timestamp: at,
          payload: {
            model: cleanName(p.model),
            completion_tokens: int(p.completion_tokens),
            reasoning_tokens: int(p.reasoning_tokens),
            total_tokens: null,
            latency_ms: latency,
            finish_reason: reason === null ? null : normalizeFinishReason(reason),
            finish_reasons: reason === null ? [] : [normalizeFinishReason(reason)],
            output_hash: output.hash,
            output_length: output.length ?? int(p.output_length),
            output_length_source: output.length !== null || int(p.output_length) !== null ? 'content' : null,
            tool_calls: [],
            success: !failed,
            error_type: failed ? 'Error' : null,
            call_id: callId(p.call_id),
            ...(text(p.output) !== null ? { reply_terms: replyTerms(text(p.output) as string) } : {}),
          },
        },
        'llm',
      );
      return span;
    }
    case 'tool.called': {
      const args = measure('args', 'args_hash', 'args_length');
      const rawArgs = text(p.args);
      const entities = rawArgs === null ? null : argumentEntitySet(rawArgs, keyer());
      const destinations = rawArgs === null ? null : destinationSet(rawArgs, keyer());
      const leaves = rawArgs === null ? null : argumentLeafSet(rawArgs, keyer());
      push(
        {
          event_type: 'tool.called',
          seq: 0,
          timestamp: at,
          payload: {
            tool_name: cleanName(p.tool_name) ?? 'unknown',
            tool_call_id: null,
            args_hash: args.hash,
            args_length: args.length ?? int(p.args_length),
            ...(entities !== null ? { arg_entities: entities } : {}),
            ...(destinations !== null ? { arg_destinations: destinations } : {}),
            ...(leaves !== null ? { arg_leaves: leaves } : {}),
          },
        },
        'tool',
      );
      return span;
    }
    case 'tool.responded': {
      const output = measure('output', 'output_hash', 'output_length');
      const error = measure('error', 'error_hash');
      const success = p.success !== false;
      const rawOutput = text(p.output);
      const terms = toolTerms(text(p.error), rawOutput);
      const grounding = rawOutput === null ? null : groundingSet([rawOutput], keyer());
      const candidates = rawOutput === null ? null : candidateSets(rawOutput, keyer());
      span.status = success ? 'ok' : 'error';
      push(
        {
          event_type: 'tool.responded',
          seq: 1,
          timestamp: at,
          payload: {
            tool_name: cleanName(p.tool_name) ?? 'unknown',
            success,
            output_hash: output.hash,
            output_length: output.length ?? int(p.output_length),
            latency_ms: latency,
            error_type: success ? null : (cleanName(p.error_type) ?? 'Error'),
            error_hash: success ? null : error.hash,
            ...directivesOf(p.output),
            ...(terms !== null ? { tool_terms: terms } : {}),
            ...(grounding !== null ? { grounding } : {}),
            ...(candidates !== null ? { candidates } : {}),
          },
        },
        'tool',
      );
      return span;
    }
    case 'retrieval.called': {
      const query = measure('query', 'query_hash');
      push(
        {
          event_type: 'retrieval.called',
          seq: 0,
          timestamp: at,
          payload: { index_name: cleanName(p.index_name) ?? 'unknown', vendor: null, query_hash: query.hash, top_k: int(p.top_k) },
        },
        'retrieval',
      );
      return span;
    }
    case 'retrieval.responded': {
      push(
        {
          event_type: 'retrieval.responded',
          seq: 1,
          timestamp: at,
          payload: {
            index_name: cleanName(p.index_name) ?? 'unknown',
            result_count: int(p.result_count),
            top_score: num(p.top_score),
            latency_ms: latency,
            success: p.success !== false,
            ...directivesOf(p.content),
          },
        },
        'retrieval',
      );
      return span;
    }
    default: {
      push({ event_type: 'external.signal', seq: 0, timestamp: at, payload: signalPayload(e, p, hasher) }, 'other');
      return span;
    }
  }
}

/** external.signal as sent, and the events we store as signals (memory, approval, policy, voice): names and facts. */
function signalPayload(e: DunetraceEvent, p: Record<string, unknown>, hasher: Hasher): ExternalSignalPayload {
  const meta: ExternalSignalPayload['meta'] = {};
  if (e.event_type === 'external.signal') {
    // The TS SDK merges meta into the payload; the Python SDK nests it: read both, keep short labels and numbers.
    const source = isRecord(p.meta) ? p.meta : p;
    for (const [k, v] of Object.entries(source)) {
      if (k === 'signal_name' || k === 'source' || k === 'meta') continue;
      const key = cleanName(k, 64);
      if (key === null || Object.keys(meta).length >= 16) continue;
      if (typeof v === 'number' || typeof v === 'boolean' || v === null) meta[key] = typeof v === 'number' && !Number.isFinite(v) ? null : v;
      else if (typeof v === 'string') meta[key] = isLabel(v) ? v : hasher.digest(v); // free text is content: digest only
    }
    return { signal_name: cleanName(p.signal_name) ?? 'unknown', source: cleanName(p.source, 64) ?? 'sdk', meta };
  }
  // Names of things are kept; values (memory, notes, transcripts) are content: digest and length only.
  for (const k of ['key', 'tool_name', 'policy_name', 'action', 'source', 'type', 'decision']) {
    const v = cleanName(p[k], 64);
    if (v !== null) meta[k] = v;
  }
  for (const k of ['value', 'note', 'text', 'reason']) {
    const v = text(p[k]);
    if (v === null) continue;
    meta[`${k}_hash`] = hasher.digest(v);
    meta[`${k}_length`] = v.length;
    const injection = scanForInjection(v);
    if (injection) meta[`${k}_injection_patterns`] = injection.matched_patterns.join(',');
    if (k === 'value' && e.event_type === 'memory.written') {
      const marker = firstMarker(scanDirectives([v]) ?? [], POISON_MARKER_ORDER);
      if (marker !== null) meta.poison_marker = marker.code;
    }
  }
  return { signal_name: e.event_type, source: 'sdk', meta };
}

/** Directive marker codes of a raw read-back text (tool output, retrieval content), as a payload fragment. */
function directivesOf(v: unknown): { directive_markers?: string[] } {
  const t = text(v);
  const markers = t === null ? null : scanDirectives([t]);
  return markers === null ? {} : { directive_markers: markers };
}

/** A short identifier-like string (no whitespace, ≤ 64 chars) is a label, anything else free text. */
function isLabel(v: string): boolean {
  return v.length <= 64 && !/\s/.test(v) && cleanName(v, 64) === v;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function callId(v: unknown): string | null {
  return cleanName(typeof v === 'number' ? String(v) : v, 64);
}

function stringList(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  const out = new Set<string>();
  for (const x of v) {
    const name = cleanName(typeof x === 'object' && x !== null ? (x as { name?: unknown }).name : x);
    if (name !== null) out.add(name);
    if (out.size >= 128) break;
  }
  return [...out].sort();
}

/** A 0.3 Python SDK scans the input itself and sends the facts: keep them, checked. */
function injectionFromPayload(v: unknown): RootFacts['injection_signal'] {
  if (!isRecord(v)) return undefined;
  const count = int(v.matched_pattern_count);
  if (!count) return undefined;
  const patterns = Array.isArray(v.matched_patterns) ? v.matched_patterns.map((x) => cleanName(x, 64)).filter((x): x is string => x !== null) : [];
  return { matched_pattern_count: count, matched_patterns: patterns.slice(0, 5), input_length: int(v.input_length) ?? 0 };
}
