/**
 * Builds AssembledRun fixtures the way the lead's assembly lays them out: run.started at step 0 (root span), each
 * llm/tool/retrieval span the next step with called + responded sharing it, external signals at the current step,
 * the terminal event at the last step. Timestamps advance by each span's duration plus a 10 ms gap.
 */
import type { ExternalSignalPayload, InjectionFacts, RunEvent } from '../../src/mapping/events.js';
import type { AssembledRun, RunStatus } from '../../src/runs/types.js';
import { DETECTORS, type AnyDetector, type Baseline, type Signal } from '../../src/detectors/index.js';
import {
  argumentEntitySet,
  createFactSecret,
  destinationSet,
  groundingSet,
  handoffInput,
  handoffText,
  replyTerms,
  toolTerms,
} from '../../src/mapping/facts/index.js';
import { argumentLeafSet, candidateSets, warrantSet } from '../../src/mapping/facts/ambiguity.js';

/** Content facts in fixtures are computed from text by the real extractors, under one fixed run key. */
export const TEST_KEYER = createFactSecret(Buffer.from('run-builder')).forRun('run');

export const HASH = (c: string): string => c.repeat(64).slice(0, 64);

interface SpanOpts {
  duration_ms?: number;
  /** Parent span id (defaults to the root span). */
  parent?: string;
  span_id?: string;
  /** Leave the span in flight (no responded event). */
  open?: boolean;
}

export interface LlmOpts extends SpanOpts {
  model?: string | null;
  response_model?: string | null;
  prompt_tokens?: number | null;
  completion_tokens?: number | null;
  total_tokens?: number | null;
  max_tokens?: number | null;
  finish?: string | null;
  output_length?: number | null;
  output_length_source?: 'content' | 'tokens' | null;
  tool_calls?: string[];
  success?: boolean;
  error_type?: string | null;
  input_hash?: string | null;
  tools_offered?: string[];
  injection?: InjectionFacts;
  /** Offered tools the call's user input names. */
  tools_in_input?: string[];
  /** Reply text: its content facts (term bitmasks, code-point length, hand-off entities) go on llm.responded. */
  reply?: string;
  /** User/system text of the prompt: its grounding digests go on llm.called. */
  prompt?: string;
  /** The prompt's user-role text: its warrant digests go on llm.called (UNRESOLVED_AMBIGUITY). */
  user?: string;
}

export interface ToolOpts extends SpanOpts {
  success?: boolean;
  args_hash?: string | null;
  args_length?: number | null;
  output_length?: number | null;
  error_type?: string | null;
  error_hash?: string | null;
  /** Directive marker codes found in the result (mapping/directives.ts). */
  directive_markers?: string[];
  /** Argument text (entity and destination digests on tool.called). */
  args?: string;
  /** Result text (error markers and grounding digests on tool.responded; output_length from it). */
  result?: string;
  /** Error message text (error markers). */
  error?: string;
}

export interface RetrievalOpts extends SpanOpts {
  result_count?: number | null;
  top_score?: number | null;
  query_hash?: string | null;
  /** Directive marker codes found in the documents. */
  directive_markers?: string[];
}

export interface RunOpts {
  agent_id?: string;
  agent_version?: string;
  tools?: string[];
  agent_name?: string | null;
  injection?: InjectionFacts;
  /** Tools the run's input names. */
  tools_in_input?: string[];
  start?: number;
  /** The user's input text (grounding digests on run.started); input_hash null when set to null. */
  input?: string | null;
}

/** `{ [key]: set }` when the set exists (an empty set is omitted, as the mapping core omits it). */
function withSet<K extends string, S>(key: K, set: S | null): Partial<Record<K, S>> {
  return set === null ? {} : ({ [key]: set } as Record<K, S>);
}

export class RunBuilder {
  readonly rootSpanId = 'root0000';
  private readonly events: RunEvent[] = [];
  private step = 0;
  private t: number;
  private spanSeq = 0;
  private status: RunStatus = 'open';
  private exit: AssembledRun['exit_reason'] = null;
  private readonly start: number;
  private readonly agentId: string;
  private readonly agentVersion: string;
  /** Span id of the last span added. */
  lastSpanId = this.rootSpanId;

  constructor(opts: RunOpts = {}) {
    this.start = opts.start ?? 1_700_000_000;
    this.t = this.start;
    this.agentId = opts.agent_id ?? 'test-agent';
    this.agentVersion = opts.agent_version ?? 'v1';
    this.events.push({
      event_type: 'run.started',
      seq: 0,
      timestamp: this.t,
      step_index: 0,
      span_id: this.rootSpanId,
      parent_span_id: null,
      payload: {
        source: 'otlp',
        root_span_name: 'agent_run',
        input_hash: opts.input === null ? null : HASH('a'),
        input_length: 42,
        ...(typeof opts.input === 'string' ? withSet('grounding', groundingSet([opts.input], TEST_KEYER)) : {}),
        ...(typeof opts.input === 'string' ? { handoff_text: handoffText(opts.input, TEST_KEYER) } : {}),
        ...(typeof opts.input === 'string' ? withSet('warrant', warrantSet([opts.input], TEST_KEYER)) : {}),
        system_prompt_hash: HASH('b'),
        model: 'gpt-4o',
        tools: opts.tools ?? [],
        agent_name: opts.agent_name ?? null,
        ...(opts.injection ? { injection_signal: opts.injection } : {}),
        ...(opts.tools_in_input ? { tools_in_input: opts.tools_in_input } : {}),
      },
    });
    this.t += 0.01;
  }

  private nextSpan(o: SpanOpts): { span_id: string; parent_span_id: string; step: number; t0: number; t1: number } {
    const span_id = o.span_id ?? `span${String(++this.spanSeq).padStart(4, '0')}`;
    this.lastSpanId = span_id;
    const t0 = this.t;
    const t1 = t0 + (o.duration_ms ?? 100) / 1000;
    this.t = t1 + 0.01;
    return { span_id, parent_span_id: o.parent ?? this.rootSpanId, step: ++this.step, t0, t1 };
  }

  llm(o: LlmOpts = {}): this {
    const s = this.nextSpan(o);
    const model = o.model === undefined ? 'gpt-4o' : o.model;
    this.events.push({
      event_type: 'llm.called',
      seq: 0,
      timestamp: s.t0,
      step_index: s.step,
      span_id: s.span_id,
      parent_span_id: s.parent_span_id,
      payload: {
        model,
        provider: 'openai',
        operation: 'chat',
        prompt_tokens: o.prompt_tokens === undefined ? 500 : o.prompt_tokens,
        input_hash: o.input_hash === undefined ? HASH(String(this.step % 10)) : o.input_hash,
        input_length: 300,
        max_tokens: o.max_tokens ?? null,
        tools_offered: o.tools_offered ?? [],
        ...(o.injection ? { injection_signal: o.injection } : {}),
        ...(o.tools_in_input ? { tools_in_input: o.tools_in_input } : {}),
        ...(o.prompt !== undefined ? withSet('grounding', groundingSet([o.prompt], TEST_KEYER)) : {}),
        ...(o.user !== undefined ? withSet('warrant', warrantSet([o.user], TEST_KEYER)) : {}),
      },
    });
    if (o.open) return this;
    const finish = o.finish === undefined ? (o.tool_calls?.length ? 'tool_calls' : 'stop') : o.finish;
    const completion = o.completion_tokens === undefined ? 50 : o.completion_tokens;
    this.events.push({
      event_type: 'llm.responded',
      seq: 1,
      timestamp: s.t1,
      step_index: s.step,
      span_id: s.span_id,
      parent_span_id: s.parent_span_id,
      payload: {
        model: o.response_model === undefined ? model : o.response_model,
        completion_tokens: completion,
        reasoning_tokens: null,
        total_tokens: o.total_tokens ?? null,
        latency_ms: o.duration_ms ?? 100,
        finish_reason: finish,
        finish_reasons: finish === null ? [] : [finish],
        output_hash: HASH('c'),
        output_length: o.output_length === undefined ? 120 : o.output_length,
        output_length_source: o.output_length_source === undefined ? 'content' : o.output_length_source,
        tool_calls: (o.tool_calls ?? []).map((name) => ({ name, args_hash: HASH('d') })),
        success: o.success ?? true,
        error_type: o.error_type ?? null,
        ...(o.reply !== undefined ? { reply_terms: replyTerms(o.reply) } : {}),
        ...(o.reply !== undefined ? { handoff_text: handoffText(o.reply, TEST_KEYER) } : {}),
      },
    });
    return this;
  }

  tool(name: string, o: ToolOpts = {}): this {
    const s = this.nextSpan(o);
    this.events.push({
      event_type: 'tool.called',
      seq: 0,
      timestamp: s.t0,
      step_index: s.step,
      span_id: s.span_id,
      parent_span_id: s.parent_span_id,
      payload: {
        tool_name: name,
        tool_call_id: null,
        args_hash: o.args_hash === undefined ? HASH('e') : o.args_hash,
        args_length: o.args_length === undefined ? 20 : o.args_length,
        ...(o.args !== undefined ? withSet('arg_entities', argumentEntitySet(o.args, TEST_KEYER)) : {}),
        ...(o.args !== undefined ? withSet('arg_destinations', destinationSet(o.args, TEST_KEYER)) : {}),
        ...(o.args !== undefined ? withSet('arg_leaves', argumentLeafSet(o.args, TEST_KEYER)) : {}),
      },
    });
    if (o.open) return this;
    const success = o.success ?? true;
    this.events.push({
      event_type: 'tool.responded',
      seq: 1,
      timestamp: s.t1,
      step_index: s.step,
      span_id: s.span_id,
      parent_span_id: s.parent_span_id,
      payload: {
        tool_name: name,
        success,
        output_hash: HASH('f'),
        output_length: o.output_length !== undefined ? o.output_length : o.result !== undefined ? o.result.length : 80,
        latency_ms: o.duration_ms ?? 100,
        error_type: o.error_type ?? (success ? null : 'ToolError'),
        error_hash: o.error_hash ?? (success ? null : HASH('9')),
        ...(o.directive_markers ? { directive_markers: o.directive_markers } : {}),
        ...(o.result !== undefined || o.error !== undefined ? { tool_terms: toolTerms(o.error ?? null, o.result ?? null)! } : {}),
        ...(o.result !== undefined ? withSet('grounding', groundingSet([o.result], TEST_KEYER)) : {}),
        ...(o.result !== undefined ? { handoff_text: handoffText(o.result, TEST_KEYER) } : {}),
        ...(o.result !== undefined ? withSet('candidates', candidateSets(o.result, TEST_KEYER)) : {}),
      },
    });
    return this;
  }

  tools(n: number, name: string | ((i: number) => string), o: ToolOpts | ((i: number) => ToolOpts) = {}): this {
    for (let i = 0; i < n; i++) this.tool(typeof name === 'string' ? name : name(i), typeof o === 'function' ? o(i) : o);
    return this;
  }

  llms(n: number, o: LlmOpts | ((i: number) => LlmOpts) = {}): this {
    for (let i = 0; i < n; i++) this.llm(typeof o === 'function' ? o(i) : o);
    return this;
  }

  retrieval(index: string, o: RetrievalOpts = {}): this {
    const s = this.nextSpan(o);
    this.events.push({
      event_type: 'retrieval.called',
      seq: 0,
      timestamp: s.t0,
      step_index: s.step,
      span_id: s.span_id,
      parent_span_id: s.parent_span_id,
      payload: { index_name: index, vendor: 'pinecone', query_hash: o.query_hash === undefined ? HASH('7') : o.query_hash, top_k: 5 },
    });
    if (o.open) return this;
    this.events.push({
      event_type: 'retrieval.responded',
      seq: 1,
      timestamp: s.t1,
      step_index: s.step,
      span_id: s.span_id,
      parent_span_id: s.parent_span_id,
      payload: {
        index_name: index,
        result_count: o.result_count === undefined ? 5 : o.result_count,
        top_score: o.top_score === undefined ? 0.82 : o.top_score,
        latency_ms: o.duration_ms ?? 100,
        success: true,
        ...(o.directive_markers ? { directive_markers: o.directive_markers } : {}),
      },
    });
    return this;
  }

  signal(
    name: string,
    meta: Record<string, string | number | boolean | null> = {},
    o: { span_id?: string; parent?: string; extra?: Partial<ExternalSignalPayload> } = {},
  ): this {
    this.events.push({
      event_type: 'external.signal',
      seq: 2,
      timestamp: this.t,
      step_index: this.step,
      span_id: o.span_id ?? this.lastSpanId,
      parent_span_id: o.parent ?? this.rootSpanId,
      payload: { signal_name: name, source: 'otlp', meta, ...o.extra },
    });
    this.t += 0.001;
    return this;
  }

  /** A nested agent span: external.signal agent.invoked carrying the agent span's own id. */
  agent(name: string, o: { span_id?: string; parent?: string; success?: boolean; error_type?: string | null; input?: string } = {}): this {
    const span_id = o.span_id ?? `agent${String(++this.spanSeq).padStart(4, '0')}`;
    this.lastSpanId = span_id;
    return this.signal(
      'agent.invoked',
      { agent_name: name, success: o.success ?? true, error_type: o.error_type ?? null },
      // The sub-agent's input text: its length and token digests (HANDOFF_CONTEXT_LOSS) on the signal.
      { span_id, parent: o.parent ?? this.rootSpanId, extra: o.input !== undefined ? { handoff_input: handoffInput(o.input, TEST_KEYER) } : {} },
    );
  }

  /** A memory write (the signal every way in derives from memory.written / a GenAI memory write span). */
  memoryWrite(key: string, o: { source?: string; poison_marker?: string } = {}): this {
    const meta: Record<string, string | number | boolean | null> = { key };
    if (o.source !== undefined) meta.source = o.source;
    if (o.poison_marker !== undefined) meta.poison_marker = o.poison_marker;
    return this.signal('memory.written', meta);
  }

  memoryRead(key: string): this {
    return this.signal('memory.read', { key });
  }

  /** Advance the clock without a step. */
  wait(ms: number): this {
    this.t += ms / 1000;
    return this;
  }

  private terminal(kind: 'run.completed' | 'run.errored', exit: 'final_answer' | 'completed' | 'error', errorType: string | null): this {
    const base = {
      total_steps: this.step,
      tool_call_count: this.events.filter((e) => e.event_type === 'tool.called').length,
      latency_ms: (this.t - this.start) * 1000,
    };
    this.events.push(
      kind === 'run.completed'
        ? {
            event_type: kind,
            seq: 1,
            timestamp: this.t,
            step_index: this.step,
            span_id: this.rootSpanId,
            parent_span_id: null,
            payload: { exit_reason: exit as 'final_answer' | 'completed', ...base },
          }
        : {
            event_type: kind,
            seq: 1,
            timestamp: this.t,
            step_index: this.step,
            span_id: this.rootSpanId,
            parent_span_id: null,
            payload: { exit_reason: 'error', error_type: errorType, error_hash: errorType ? HASH('8') : null, ...base },
          },
    );
    this.status = kind === 'run.completed' ? 'completed' : 'errored';
    this.exit = exit;
    return this;
  }

  finalAnswer(): this {
    return this.terminal('run.completed', 'final_answer', null);
  }
  complete(): this {
    return this.terminal('run.completed', 'completed', null);
  }
  error(errorType: string | null = 'RuntimeError'): this {
    return this.terminal('run.errored', 'error', errorType);
  }
  stall(): this {
    this.status = 'stalled';
    this.exit = 'stalled';
    return this;
  }

  build(): AssembledRun {
    const done = this.status !== 'open';
    return {
      run_id: 'ab'.repeat(16),
      agent_id: this.agentId,
      agent_version: this.agentVersion,
      status: this.status,
      exit_reason: this.exit,
      started_at: this.start,
      ended_at: done ? this.t : null,
      step_count: this.step,
      events: [...this.events],
    };
  }
}

export function run(opts?: RunOpts): RunBuilder {
  return new RunBuilder(opts);
}

/** Runs one detector with its defaults overridden by `params`. */
export function detect(failureType: string, r: AssembledRun, params: Record<string, unknown> = {}, baseline: Baseline | null = null): Signal | null {
  const d = DETECTORS.find((x) => x.failure_type === failureType) as AnyDetector;
  if (!d) throw new Error(`no detector ${failureType}`);
  return d.detect(r, { params: { ...d.defaults, ...params }, baseline });
}

/** A realistic healthy run: plan → search → fetch → retrieve → answer. No detector should fire on it. */
export function cleanRun(opts: RunOpts & { captured?: boolean } = {}): AssembledRun {
  const captured = opts.captured ?? true;
  const out = (n: number) => (captured ? { output_length: n, output_length_source: 'content' as const } : { output_length: null, output_length_source: null });
  return run({ tools: ['search', 'fetch'], agent_name: 'researcher', ...opts })
    .llm({ prompt_tokens: 800, tool_calls: ['search'], tools_offered: ['search', 'fetch'], duration_ms: 1200, ...out(0) })
    .tool('search', { duration_ms: 900 })
    .llm({ prompt_tokens: 1100, tool_calls: ['fetch'], tools_offered: ['search', 'fetch'], duration_ms: 1300, ...out(0) })
    .tool('fetch', { duration_ms: 700, args_hash: HASH('1') })
    .retrieval('docs', { duration_ms: 300 })
    .llm({ prompt_tokens: 1500, finish: 'stop', duration_ms: 2000, ...out(640) })
    .finalAnswer()
    .build();
}
