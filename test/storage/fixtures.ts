/**
 * Small builders for MappedSpans and batches. Built from the fixed types in src/mapping/events.ts only (not the
 * mapping implementation), with realistic values: µs-precision float times, nulls, nested payloads.
 */
import { randomBytes } from 'node:crypto';
import type { MappedSpan, SpanEvent } from '../../src/mapping/events.js';
import type { Queryable } from '../../src/storage/driver.js';
import type { BatchSpan, RunClose, RunSignal, SpanBatch } from '../../src/storage/types.js';

export const hex = (bytes: number): string => randomBytes(bytes).toString('hex');
export const newRunId = (): string => hex(16);
export const newSpanId = (): string => hex(8);
export const newCustomer = (): string => `cust_${hex(4)}`;
export const sha = (): string => hex(32);

/** A unix time in seconds with µs precision, like the mapping core produces. */
export const T0 = 1_764_000_000.123456;

export function rootSpan(runId: string, over: Partial<MappedSpan> = {}): MappedSpan {
  return {
    trace_id: runId,
    span_id: newSpanId(),
    parent_span_id: null,
    name: 'invoke_agent support-bot',
    category: 'agent',
    start_time: T0,
    end_time: T0 + 12.345678,
    status: 'ok',
    error_type: null,
    agent_id: 'support-bot',
    agent_name: 'Support Bot',
    service_name: 'support-svc',
    agent_version: '1.4.2',
    tools_available: ['lookup_order', 'refund'],
    root: {
      input_hash: sha(),
      input_length: 142,
      output_hash: sha(),
      injection_signal: {
        matched_pattern_count: 1,
        matched_patterns: ['ignore_instructions'],
        input_length: 142,
      },
    },
    events: [],
    ...over,
  };
}

export function llmSpan(runId: string, parent: string | null, i = 0, over: Partial<MappedSpan> = {}): MappedSpan {
  const start = T0 + 0.5 + i * 1.000001;
  const called: SpanEvent = {
    event_type: 'llm.called',
    seq: 0,
    timestamp: start,
    payload: {
      model: 'gpt-4o-mini',
      provider: 'openai',
      operation: 'chat',
      prompt_tokens: 1200 + i,
      input_hash: sha(),
      input_length: 5000,
      max_tokens: null,
      tools_offered: ['lookup_order', 'refund'],
    },
  };
  const responded: SpanEvent = {
    event_type: 'llm.responded',
    seq: 1,
    timestamp: start + 0.734512,
    payload: {
      model: 'gpt-4o-mini-2024-07-18',
      completion_tokens: 87,
      reasoning_tokens: null,
      total_tokens: 1287 + i,
      latency_ms: 734.512,
      finish_reason: 'tool_calls',
      finish_reasons: ['tool_calls'],
      output_hash: null,
      output_length: 87,
      output_length_source: 'tokens',
      tool_calls: [{ name: 'lookup_order', args_hash: sha() }],
      success: true,
      error_type: null,
    },
  };
  return {
    trace_id: runId,
    span_id: newSpanId(),
    parent_span_id: parent,
    name: 'chat gpt-4o-mini',
    category: 'llm',
    start_time: start,
    end_time: start + 0.734512,
    status: 'unset',
    error_type: null,
    agent_id: null,
    agent_name: null,
    service_name: 'support-svc',
    agent_version: null,
    tools_available: [],
    root: null,
    events: [called, responded],
    ...over,
  };
}

export function toolSpan(runId: string, parent: string | null, over: Partial<MappedSpan> = {}): MappedSpan {
  const start = T0 + 3.25;
  return {
    trace_id: runId,
    span_id: newSpanId(),
    parent_span_id: parent,
    name: 'execute_tool lookup_order',
    category: 'tool',
    start_time: start,
    end_time: start + 0.2,
    status: 'error',
    error_type: 'TimeoutError',
    agent_id: null,
    agent_name: null,
    service_name: null,
    agent_version: null,
    tools_available: [],
    root: null,
    events: [
      {
        event_type: 'tool.called',
        seq: 0,
        timestamp: start,
        payload: { tool_name: 'lookup_order', tool_call_id: 'call_1', args_hash: sha(), args_length: 31 },
      },
      {
        event_type: 'tool.responded',
        seq: 1,
        timestamp: start + 0.2,
        payload: {
          tool_name: 'lookup_order',
          success: false,
          output_hash: null,
          output_length: null,
          latency_ms: 200,
          error_type: 'TimeoutError',
          error_hash: sha(),
        },
      },
      {
        event_type: 'external.signal',
        seq: 2,
        timestamp: start + 0.2,
        payload: { signal_name: 'rate_limit', source: 'http', meta: { status: 429, retry: true, note: null } },
      },
    ],
    ...over,
  };
}

/** A small complete run: root + llm + tool. */
export function smallRun(runId = newRunId()): { runId: string; spans: MappedSpan[] } {
  const root = rootSpan(runId);
  return { runId, spans: [root, llmSpan(runId, root.span_id), toolSpan(runId, root.span_id)] };
}

export function batchOf(customerId: string, spans: MappedSpan[], agentId = 'support-bot'): SpanBatch {
  return {
    customer_id: customerId,
    spans: spans.map((span): BatchSpan => ({ run_id: span.trace_id, agent_id: agentId, span })),
  };
}

export function signal(customerId: string, runId: string, over: Partial<RunSignal> = {}): RunSignal {
  return {
    customer_id: customerId,
    run_id: runId,
    agent_id: 'support-bot',
    agent_version: '1.4.2',
    failure_type: 'TOOL_LOOP',
    severity: 'HIGH',
    confidence: 0.85,
    step_index: 7,
    evidence: { tool: 'lookup_order', count: 5, window: [3, 7], nested: { ok: false } },
    shadow: false,
    detected_live: true,
    ...over,
  };
}

export const bySpanId = <T extends { span: { span_id: string } }>(a: T, b: T): number =>
  a.span.span_id < b.span.span_id ? -1 : a.span.span_id > b.span.span_id ? 1 : 0;

/** A keyed digest set (mapping/facts/digest-set.ts) of `n` random digests, or of the given ones. */
export function digestSet(digests: string[] | number, key = 'a1b2c3d4', truncated = false) {
  return { key, digests: typeof digests === 'number' ? Array.from({ length: digests }, () => hex(8)) : digests, truncated };
}

/**
 * A conversation of `calls` LLM spans under a root: each prompt re-sends the previous one's user text plus a new turn,
 * so each call's grounding and warrant sets are the previous call's digests plus a few new ones (as a real run's are).
 */
export function conversation(runId: string, calls: number, key = 'a1b2c3d4'): MappedSpan[] {
  const root = rootSpan(runId);
  let warrant: string[] = Array.from({ length: 20 }, () => hex(8));
  let grounding: string[] = Array.from({ length: 12 }, () => hex(8));
  (root.root as unknown as Record<string, unknown>).warrant = digestSet([...warrant], key);
  const spans = [root];
  const system = sha(); // the same system prompt with every call
  for (let i = 0; i < calls; i++) {
    warrant = [...warrant, hex(8), hex(8), hex(8)];
    grounding = [hex(8), ...grounding, hex(8)];
    const llm = llmSpan(runId, root.span_id, i);
    Object.assign(llm.events[0].payload, { system_prompt_hash: system, grounding: digestSet([...grounding], key), warrant: digestSet([...warrant], key) });
    spans.push(llm);
  }
  return spans;
}

export function closeOf(customerId: string, runId: string, over: Partial<RunClose> = {}): RunClose {
  return {
    customer_id: customerId,
    run_id: runId,
    status: 'completed',
    exit_reason: 'final_answer',
    agent_id: 'support-bot',
    agent_version: '1.4.2',
    started_at: 1_764_000_000.123456,
    ended_at: 1_764_000_012.469134,
    step_count: 5,
    ...over,
  };
}

/** The same database through a driver without COPY: batches are INSERTed (the path that can meet stored copies). */
export const withoutCopy = (q: Queryable): Queryable =>
  new Proxy(q, {
    get: (target, key) => {
      if (key === 'copyFrom') return undefined;
      const v = Reflect.get(target, key) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
