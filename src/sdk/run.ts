import { context, SpanKind, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import { firstMarker, isLabel, POISON_MARKER_ORDER, ROOT_ANSWERED, scanDirectives, scanForInjection, type Hasher } from '../mapping/index.js';
import { scopes } from './context.js';
import { ATTR, CONTENT, finiteOrNull, textOf, toolDefinitions, userMessage, type LlmRequest, type RetrievedDocument } from './genai.js';
import { parseLlmResult } from './wrappers/parse.js';
import type { RunIdentity, SdkSpanProcessor } from './span-processor.js';
import { StepSpan, type SignalMetaValue, type StepKind } from './steps.js';

/** The options of `dt.run` (the original SDK's RunOptions). */
export interface RunOptions {
  /** The model the agent uses (declared; LLM calls report their own). */
  model?: string;
  /** The tools the agent can call (names). */
  tools?: string[];
  /** The user's input: hashed and scanned for prompt injection in this process, never sent. */
  userInput?: unknown;
  systemPrompt?: string;
  /** Defaults to the enclosing run's id when runs nest. */
  parentRunId?: string;
  conversationId?: string;
  /** Accepted for compatibility; the run id is the trace id of the run's root span (see `run.runId`). */
  runId?: string;
  /** Accepted for compatibility (as `runId`). */
  traceId?: string;
}

/** `run.llmResponded(…)` (the original SDK's LlmRespondedOptions). */
export interface LlmRespondedOptions {
  completionTokens?: number;
  latencyMs?: number;
  /** Default "stop", as in the original SDK. */
  finishReason?: string;
  /** Not expressible without the text (see docs/sdk.md): the receiver then measures the reply by completionTokens. */
  outputLength?: number;
  outputText?: string;
  promptTokens?: number;
  reasoningTokens?: number;
  /** Pairs the response with `llmCalled`'s return value; without it, the most recent open call. */
  callId?: number;
}

/** What a run needs from its client. */
export interface RunCore {
  processor: SdkSpanProcessor;
  hasher: Hasher;
  /** Logs an internal problem once (the SDK never throws into the agent). */
  internalError(where: string, err: unknown): void;
}

/** How a run ended, for integrations (middleware): an error, or an HTTP status (5xx = errored). */
export interface RunOutcome {
  error?: unknown;
  status?: number;
}

/**
 * A run: one agent invocation, one trace. Its root span (`invoke_agent {agentId}`) is a new trace root, linked to the
 * span that was active when it started, so each run is a run of its own on the receiver (run id = trace id) and still
 * reachable from the application's request trace. Steps are child spans in OTel GenAI form: `chat {model}`,
 * `execute_tool {name}`, `retrieval {index}`.
 *
 * The methods mirror the original SDK's RunContext and never throw.
 */
export class DunetraceRun {
  /** The run id: the trace id of the run's spans (32 hex), as the receiver and the API know it. */
  readonly runId: string;
  readonly agentId: string;
  readonly parentRunId: string | null;
  private readonly root: StepSpan;
  private readonly identity: RunIdentity;
  private lastClock = 0;
  private steps = 0;
  private toolCallCount = 0;
  private exit: string | null = null;
  private finished = false;
  private readonly llmCalls: StepSpan[] = [];
  private readonly open = new Set<StepSpan>();

  /** @internal Use `dt.run(…)` / `dt.startRun(…)`. */
  constructor(
    private readonly core: RunCore,
    private readonly tracer: Tracer,
    agentId: string,
    opts: RunOptions,
    identity: RunIdentity,
  ) {
    this.agentId = agentId;
    this.identity = identity;
    const scope = scopes.getStore();
    this.parentRunId = opts.parentRunId ?? scope?.run.runId ?? null;
    // Linked to where it started: the enclosing run's step or root, else the application's active span.
    const linked = scope !== undefined ? (scope.step ?? scope.run.root).span.spanContext() : trace.getSpanContext(context.active());
    const attrs: Attributes = { [ATTR.operation]: 'invoke_agent', [ATTR.agentName]: agentId };
    if (opts.model) attrs[ATTR.requestModel] = opts.model;
    if (opts.conversationId) attrs[ATTR.conversationId] = opts.conversationId;
    if (this.parentRunId !== null) attrs[ATTR.parentRunId] = this.parentRunId;
    const t = this.clock();
    const span = tracer.startSpan(
      `invoke_agent ${agentId}`,
      {
        kind: SpanKind.INTERNAL,
        root: true,
        attributes: attrs,
        startTime: t,
        links: linked !== undefined && trace.isSpanContextValid(linked) ? [{ context: linked }] : [],
      },
      context.active(),
    );
    this.root = this.wrap('run', span, t, agentId);
    this.runId = span.spanContext().traceId;
    core.processor.openTrace(this.runId);
    const input = textOf(opts.userInput);
    if (input !== null) this.root.content(CONTENT.inputMessages, JSON.stringify([userMessage(input)]));
    if (opts.systemPrompt) this.root.content(CONTENT.systemInstructions, JSON.stringify([{ type: 'text', content: opts.systemPrompt }]));
    if (opts.tools && opts.tools.length > 0) this.root.content(CONTENT.toolDefinitions, toolDefinitions(opts.tools));
  }

  /** Whether the run's root span is recorded (false when a sampler dropped it). */
  get recording(): boolean {
    return this.root.span.isRecording();
  }

  // ------------------------------------------------------------------------------------------------------------
  // The original SDK's RunContext

  /** An LLM call started; returns its call id (for `llmResponded({ callId })`). */
  llmCalled(model: string, promptTokens?: number): number {
    return this.guard('llmCalled', -1, () => this.startLlm({ model, promptTokens: promptTokens ?? null }).callId);
  }

  llmResponded(opts: LlmRespondedOptions = {}): void {
    this.guard('llmResponded', undefined, () => {
      let step = opts.callId !== undefined ? this.llmCalls[opts.callId] : undefined;
      if (step === undefined || step.ended) step = this.latestOpen('llm', null);
      const latency = finiteOrNull(opts.latencyMs);
      step ??= this.startStep('llm', 'unknown', {}, latency);
      step.llmResponse({
        completionTokens: opts.completionTokens ?? null,
        promptTokens: opts.promptTokens ?? null,
        reasoningTokens: opts.reasoningTokens ?? null,
        finishReasons: [opts.finishReason ?? 'stop'],
        text: opts.outputText ?? null,
      });
      this.endStep(step, latency);
    });
  }

  /** A tool call started. `args` are hashed in this process, never sent. */
  toolCalled(toolName: string, args: unknown = {}): void {
    this.guard('toolCalled', undefined, () => this.startTool(toolName, args));
  }

  toolResponded(toolName: string, success: boolean, _outputLength = 0, latencyMs?: number, error?: string, output?: unknown): void {
    this.guard('toolResponded', undefined, () => {
      const latency = finiteOrNull(latencyMs);
      const step = this.latestOpen('tool', toolName) ?? this.startTool(toolName, undefined, null, latency);
      if (output !== undefined) step.toolResult(output);
      if (!success) step.fail(error ?? 'tool failed');
      this.endStep(step, latency);
    });
  }

  /** A retrieval started. The query is hashed in this process, never sent. */
  retrievalCalled(indexName: string, query?: string): void {
    this.guard('retrievalCalled', undefined, () => this.startRetrieval(indexName, query ?? null));
  }

  /**
   * A retrieval answered. `content` may be the retrieved documents (an array of strings or `{ id, score, content }`):
   * they are hashed in this process; a plain string is not kept (no fact is derived from it).
   */
  retrievalResponded(indexName: string, resultCount: number, topScore?: number | null, latencyMs?: number, content?: unknown): void {
    this.guard('retrievalResponded', undefined, () => {
      const latency = finiteOrNull(latencyMs);
      const step = this.latestOpen('retrieval', indexName) ?? this.startRetrieval(indexName, null, latency);
      const docs = Array.isArray(content) && content.length === resultCount ? content.map(toDocument) : null;
      step.retrievalResult(resultCount, topScore ?? null, docs);
      this.endStep(step, latency);
    });
  }

  /**
   * An infrastructure event (rate limit, cache miss, …). `meta` keeps labels, numbers and booleans; any other string
   * is content to us and is replaced by its digest here, before it is on a span.
   */
  externalSignal(signalName: string, source = '', meta: Record<string, SignalMetaValue> = {}): void {
    this.guard('externalSignal', undefined, () => {
      const safe: Record<string, SignalMetaValue> = {};
      for (const [k, v] of Object.entries(meta)) safe[k] = typeof v === 'string' && !isLabel(v) ? this.core.hasher.digest(v) : v;
      this.current().signal(signalName, source || undefined, safe);
    });
  }

  /** The agent wrote to its memory. The value is hashed in this process; its digest and length are sent. */
  memoryWritten(key: string, value: unknown, source?: string): void {
    this.guard('memoryWritten', undefined, () => {
      // The same facts /v1/ingest derives from the original SDKs' memory.written (mapping/dunetrace-events.ts).
      const text = textOf(value) ?? '';
      const injection = scanForInjection(text);
      this.current().signal('memory.written', 'sdk', {
        key,
        source,
        value_hash: this.core.hasher.digest(text),
        value_length: text.length,
        value_injection_patterns: injection?.matched_patterns.join(','),
        poison_marker: firstMarker(scanDirectives([text]) ?? [], POISON_MARKER_ORDER)?.code,
      });
    });
  }

  memoryRead(key: string): void {
    this.guard('memoryRead', undefined, () => this.current().signal('memory.read', 'sdk', { key }));
  }

  memoryCleared(key?: string): void {
    this.guard('memoryCleared', undefined, () => this.current().signal('memory.cleared', 'sdk', { key: key ?? null }));
  }

  /** The run ends with a final answer (exit_reason `final_answer`). `output`, when given, is hashed as the run's output. */
  finalAnswer(output?: unknown): void {
    this.guard('finalAnswer', undefined, () => {
      this.exit = 'final_answer';
      this.root.set(ROOT_ANSWERED, true);
      const text = textOf(output);
      if (text !== null)
        this.root.content(CONTENT.outputMessages, JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: text }], finish_reason: 'stop' }]));
    });
  }

  /** Awaits an OpenAI chat completion or Anthropic message and records it as one LLM call. */
  async llm<T>(model: string, call: Promise<T>): Promise<T> {
    const step = this.guard('llm', null, () => this.startLlm({ model }));
    try {
      const response = await call;
      this.guard('llm', undefined, () => {
        if (step === null) return;
        step.llmResponse(parseLlmResult(response));
        this.endStep(step, null);
      });
      return response;
    } catch (err) {
      this.guard('llm', undefined, () => step !== null && this.failStep(step, err));
      throw err;
    }
  }

  /** Steps so far (LLM calls, tool calls and retrievals), as the original SDK counts them. */
  currentStep(): number {
    return this.steps;
  }

  exitReason(): string | null {
    return this.exit;
  }

  // ------------------------------------------------------------------------------------------------------------
  // For integrations (wrappers, middleware, LangChain)

  /** Starts an LLM step (a `chat {model}` span under the current step or the root). */
  startLlm(req: LlmRequest, parent?: StepSpan | null): StepSpan & { callId: number } {
    const step = this.startStep('llm', req.model ?? 'unknown', {}, null, parent) as StepSpan & { callId: number };
    step.llmRequest(req);
    step.callId = this.llmCalls.push(step) - 1;
    return step;
  }

  startTool(name: string, args: unknown, callId?: string | null, latencyMs: number | null = null, parent?: StepSpan | null): StepSpan {
    const step = this.startStep('tool', name, { [ATTR.toolName]: name, [ATTR.toolType]: 'function' }, latencyMs, parent);
    step.set(ATTR.toolCallId, callId ?? null);
    if (args !== undefined) step.content(CONTENT.toolArguments, textOf(args));
    this.toolCallCount++;
    return step;
  }

  startRetrieval(indexName: string, query: string | null, latencyMs: number | null = null, parent?: StepSpan | null): StepSpan {
    const step = this.startStep('retrieval', indexName, { [ATTR.dataSource]: indexName }, latencyMs, parent);
    step.content(CONTENT.query, query);
    return step;
  }

  /** Ends a step (at `startMs + latencyMs` when a latency is given). */
  endStep(step: StepSpan, latencyMs: number | null): void {
    this.open.delete(step);
    if (latencyMs === null || latencyMs < 0) return step.end();
    // A reported latency is the truth (calls are often reported after the fact); what follows starts after it.
    const end = step.startMs + latencyMs;
    if (end > this.lastClock) this.lastClock = end;
    step.end(end);
  }

  failStep(step: StepSpan, err: unknown, errorType?: string): void {
    step.fail(err, errorType);
    this.endStep(step, null);
  }

  /** Runs `fn` inside this run: `getCurrentRun()` returns it, and spans started meanwhile are children of its root. */
  enter<T>(fn: () => T): T {
    return context.with(this.root.context(), () => scopes.run({ run: this, step: null }, fn));
  }

  /** Runs `fn` inside a step (a tool that calls a model: the model call is the tool's child). */
  within<T>(step: StepSpan, fn: () => T): T {
    return context.with(step.context(), () => scopes.run({ run: this, step }, fn));
  }

  /** Sets (or replaces) the user input, until the run ends (middleware reads request bodies late). */
  setUserInput(input: unknown): void {
    this.guard('setUserInput', undefined, () => {
      const text = textOf(input);
      if (text !== null) this.root.content(CONTENT.inputMessages, JSON.stringify([userMessage(text)]));
    });
  }

  /** Sets a structural attribute on the run's root span (`http.route`, …). Never content. */
  setAttribute(key: string, value: string | number | boolean): void {
    this.guard('setAttribute', undefined, () => this.root.set(key, value));
  }

  get ended(): boolean {
    return this.finished;
  }

  /** Ends the run: run.completed, or run.errored with `outcome.error` / a 5xx `outcome.status`. Idempotent. */
  end(outcome: RunOutcome = {}): void {
    this.guard('end', undefined, () => {
      if (this.finished) return;
      this.finished = true;
      // Steps never answered end with the run; when it failed, the error went through them.
      for (const step of this.open) {
        if (outcome.error !== undefined) step.fail(outcome.error);
        step.end();
      }
      this.open.clear();
      const status = outcome.status;
      if (status !== undefined && Number.isFinite(status)) {
        this.root.set('http.response.status_code', status >= 500 ? status : null);
      }
      if (outcome.error !== undefined) this.root.fail(outcome.error);
      else if (status !== undefined && status >= 500) this.root.fail(`HTTP ${status}`, String(status));
      this.root.end();
      this.core.processor.closeTrace(this.runId);
    });
  }

  // ------------------------------------------------------------------------------------------------------------

  /** Strictly increasing epoch milliseconds (µs apart at least): steps started back to back keep their order. */
  private clock(): number {
    const now = performance.timeOrigin + performance.now();
    this.lastClock = now > this.lastClock + 0.001 ? now : this.lastClock + 0.001;
    return this.lastClock;
  }

  private wrap(kind: StepKind, span: Span, startMs: number, label: string): StepSpan {
    const extras = { content: {}, statusMessage: null, identity: this.identity };
    this.core.processor.register(span, extras);
    return new StepSpan(kind, span, extras, () => this.clock(), startMs, label);
  }

  private startStep(kind: 'llm' | 'tool' | 'retrieval', label: string, attrs: Attributes, latencyMs: number | null, parent?: StepSpan | null): StepSpan {
    const parentStep = parent ?? this.current();
    const now = this.clock();
    // A step reported after the fact (a *Responded without its *Called) started `latencyMs` ago.
    const start = latencyMs !== null && latencyMs > 0 ? now - latencyMs : now;
    const name = kind === 'llm' ? `chat ${label}` : kind === 'tool' ? `execute_tool ${label}` : `retrieval ${label}`;
    const operation = kind === 'llm' ? 'chat' : kind === 'tool' ? 'execute_tool' : 'retrieval';
    const span = this.tracer.startSpan(
      name,
      { kind: kind === 'tool' ? SpanKind.INTERNAL : SpanKind.CLIENT, attributes: { [ATTR.operation]: operation, ...attrs }, startTime: start },
      parentStep.context(),
    );
    const step = this.wrap(kind, span, start, label);
    this.open.add(step);
    this.steps++;
    return step;
  }

  /** The innermost open step of this run in the calling context, else the root. */
  private current(): StepSpan {
    const scope = scopes.getStore();
    return scope?.run === this && scope.step !== null && !scope.step.ended ? scope.step : this.root;
  }

  /** The most recently started open step of a kind (and label), as the original pairs responses with calls. */
  private latestOpen(kind: StepKind, label: string | null): StepSpan | undefined {
    let found: StepSpan | undefined;
    for (const s of this.open) if (s.kind === kind && (label === null || s.label === label)) found = s;
    return found;
  }

  private guard<T>(where: string, fallback: T, fn: () => T): T {
    if (this.finished && where !== 'end') return fallback;
    try {
      return fn();
    } catch (err) {
      this.core.internalError(`run.${where}`, err);
      return fallback;
    }
  }
}

function toDocument(d: unknown): RetrievedDocument {
  if (typeof d === 'object' && d !== null && !Array.isArray(d)) {
    const o = d as { id?: unknown; score?: unknown; content?: unknown; pageContent?: unknown };
    return { id: typeof o.id === 'string' ? o.id : null, score: finiteOrNull(o.score), content: o.content ?? o.pageContent ?? d };
  }
  return { content: d };
}
