import { context, SpanStatusCode, trace, type AttributeValue, type Context, type Span } from '@opentelemetry/api';
import { SIGNAL_EVENT, SIGNAL_META_PREFIX, SIGNAL_NAME, SIGNAL_SOURCE_KEY } from '../mapping/index.js';
import { ATTR, CONTENT, finiteOrNull, replyMessage, textOf, toolDefinitions, type LlmRequest, type LlmResponse, type RetrievedDocument } from './genai.js';
import type { SpanExtras } from './span-processor.js';

export type StepKind = 'run' | 'llm' | 'tool' | 'retrieval';

/** A scalar a signal's meta can hold (labels and numbers, never content). */
export type SignalMetaValue = string | number | boolean | null | undefined;

/**
 * One SDK span: the run's root or one of its steps (an LLM call, a tool call, a retrieval). Structural attributes go
 * on the span; content goes to `extras`, which only the Dunetrace processor reads. Every method is idempotent after
 * `end()` and never throws (the OTel span API does not).
 */
export class StepSpan {
  private done = false;

  constructor(
    readonly kind: StepKind,
    readonly span: Span,
    private readonly extras: SpanExtras,
    private readonly clock: () => number,
    /** Epoch milliseconds (fractional) the span started at. */
    readonly startMs: number,
    /** The tool name / index name / model this step is about (pairs *Responded calls with their *Called). */
    readonly label: string,
  ) {}

  get ended(): boolean {
    return this.done;
  }

  get spanId(): string {
    return this.span.spanContext().spanId;
  }

  /** The active context with this span as the current one (what code running "inside" the step sees). */
  context(base: Context = context.active()): Context {
    return trace.setSpan(base, this.span);
  }

  set(key: string, value: AttributeValue | null | undefined): void {
    if (value === null || value === undefined || this.done) return;
    this.span.setAttribute(key, value);
  }

  /** A content attribute: seen by the Dunetrace processor only, hashed there. */
  content(key: string, value: string | null | undefined): void {
    if (value === null || value === undefined || this.done) return;
    this.extras.content[key] = value;
  }

  /** An external signal on this span (a `dunetrace.signal` span event; labels and numbers only). */
  signal(name: string, source: string | undefined, meta: Record<string, SignalMetaValue> | undefined): void {
    if (this.done) return;
    const attrs: Record<string, AttributeValue> = { [SIGNAL_NAME]: name };
    if (source) attrs[SIGNAL_SOURCE_KEY] = source;
    for (const [k, v] of Object.entries(meta ?? {})) {
      if (typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) attrs[SIGNAL_META_PREFIX + k] = v;
    }
    this.span.addEvent(SIGNAL_EVENT, attrs, this.clock());
  }

  /** Marks the step failed: status ERROR and `error.type` on the span, the error text only for the processor. */
  fail(err: unknown, errorType?: string): void {
    if (this.done) return;
    this.span.setStatus({ code: SpanStatusCode.ERROR });
    this.span.setAttribute(ATTR.errorType, errorType ?? errorTypeOf(err));
    this.extras.statusMessage = errorText(err);
  }

  end(endMs?: number): void {
    if (this.done) return;
    this.done = true;
    const now = this.clock();
    this.span.end(endMs !== undefined && Number.isFinite(endMs) && endMs >= this.startMs ? endMs : now);
  }

  // ------------------------------------------------------------------------------------------------------------
  // What each kind of step records

  llmRequest(r: LlmRequest): void {
    this.set(ATTR.provider, r.provider);
    this.set(ATTR.requestModel, r.model);
    this.set(ATTR.inputTokens, finiteOrNull(r.promptTokens));
    this.set(ATTR.maxTokens, finiteOrNull(r.maxTokens));
    if (r.messages) this.content(CONTENT.inputMessages, JSON.stringify(r.messages));
    this.content(CONTENT.systemInstructions, r.system === null || r.system === undefined ? null : JSON.stringify([{ type: 'text', content: r.system }]));
    if (r.tools && r.tools.length > 0) this.content(CONTENT.toolDefinitions, toolDefinitions(r.tools));
  }

  llmResponse(r: LlmResponse): void {
    this.set(ATTR.responseModel, r.model);
    this.set(ATTR.responseId, r.id);
    this.set(ATTR.inputTokens, finiteOrNull(r.promptTokens));
    this.set(ATTR.outputTokens, finiteOrNull(r.completionTokens));
    this.set(ATTR.reasoningTokens, finiteOrNull(r.reasoningTokens));
    if (r.finishReasons && r.finishReasons.length > 0) this.set(ATTR.finishReasons, [...r.finishReasons]);
    const reply = replyMessage(r);
    if (reply !== null) this.content(CONTENT.outputMessages, JSON.stringify([reply]));
  }

  toolResult(output: unknown): void {
    this.content(CONTENT.toolResult, textOf(output));
  }

  retrievalResult(count: number | null, topScore: number | null, documents: readonly RetrievedDocument[] | null): void {
    this.set(ATTR.resultCount, finiteOrNull(count));
    this.set(ATTR.topScore, finiteOrNull(topScore));
    if (documents !== null) {
      this.content(
        CONTENT.documents,
        JSON.stringify(
          documents.map((d) => ({
            ...(d.id ? { id: d.id } : {}),
            ...(finiteOrNull(d.score) !== null ? { score: d.score } : {}),
            content: textOf(d.content) ?? '',
          })),
        ),
      );
    }
  }
}

/** The exception class name for `error.type` (OTel convention), `_OTHER` when there is none. */
export function errorTypeOf(err: unknown): string {
  if (err instanceof Error) return err.name && err.name !== 'Error' ? err.name : (err.constructor?.name ?? 'Error');
  if (typeof err === 'object' && err !== null && typeof (err as { name?: unknown }).name === 'string') return (err as { name: string }).name;
  return '_OTHER';
}

/** The error's text, as the original SDK hashed it (`String(err)`). Content: only ever hashed. */
export function errorText(err: unknown): string {
  if (typeof err === 'string') return err;
  try {
    return String(err);
  } catch {
    return 'error';
  }
}
