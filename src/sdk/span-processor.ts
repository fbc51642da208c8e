import type { Attributes as ApiAttributes, Context } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { classify } from '../mapping/index.js';
import type { Attributes } from '../otlp/model.js';
import type { DunetraceSpanProcessor } from '../processor/index.js';
import { copySpan, resourceWith } from '../processor/span-copy.js';

/** Who a run belongs to: written on the resource of its spans as `dunetrace.agent_id` / `dunetrace.agent_version`. */
export interface RunIdentity {
  agentId: string;
  /** The original SDK's version fingerprint when the run declared its model/tools/prompt; else the receiver derives one. */
  agentVersion: string | null;
}

/** What only the Dunetrace processor sees of an SDK span. */
export interface SpanExtras {
  /** Content attributes (messages, tool arguments/results, queries): hashed by the processor, never on the span itself. */
  content: Attributes;
  /** The error text for the status message (content too). */
  statusMessage: string | null;
  identity: RunIdentity;
}

export interface SdkProcessorStats {
  /** Spans of another instrumentation that duplicate an LLM call a Dunetrace wrapper already records (not exported). */
  duplicateSpans: number;
  /** Spans ended in this provider that belong to no Dunetrace run (the application's own traces; not exported). */
  foreignSpans: number;
}

/** A Set that forgets its oldest entries past `max` (ids are only needed while their spans can still end). */
class RecentSet {
  private readonly items = new Set<string>();
  constructor(private readonly max: number) {}
  add(v: string): void {
    this.items.delete(v);
    this.items.add(v);
    if (this.items.size > this.max) this.items.delete(this.items.values().next().value as string);
  }
  has(v: string): boolean {
    return this.items.has(v);
  }
  delete(v: string): void {
    this.items.delete(v);
  }
}

const AGENT_ID = 'dunetrace.agent_id';
const AGENT_VERSION = 'dunetrace.agent_version';

/**
 * The SDK's SpanProcessor: a `DunetraceSpanProcessor` (bounded queue, in-process hashing, OTLP export, log-once
 * failures) behind three SDK-specific steps in `onEnd`:
 *
 *  1. Content rides beside the span, not on it. The SDK's spans carry structural GenAI attributes only (operation,
 *     model, tokens, tool names, finish reasons); the messages, tool arguments/results, queries and error texts are
 *     registered here and merged into the copy handed to the Dunetrace processor, which hashes them at export. So
 *     when the spans live in the application's own TracerProvider, its other exporters never receive raw content
 *     from Dunetrace.
 *  2. Only the traces of Dunetrace runs are exported. In a shared provider this processor sees every span of the
 *     application (HTTP, DB, other traces); each run is a trace of its own, and spans of other traces are not ours.
 *  3. No double counting: when another instrumentation (OpenLLMetry, the OTel openai instrumentation…) records the
 *     same model call inside a `dt.wrapOpenAI` / `dt.wrapAnthropic` span, its LLM span is a direct child of ours;
 *     it is dropped (counted in `duplicateSpans`) and the wrapper's span is the one call Dunetrace sees.
 */
export class SdkSpanProcessor implements SpanProcessor {
  private readonly extras = new WeakMap<object, SpanExtras>();
  private readonly openTraces = new Map<string, number>();
  private readonly closedTraces = new RecentSet(4096);
  private readonly llmWrappers = new RecentSet(4096);
  private readonly resources = new WeakMap<Resource, Map<string, Resource>>();
  private readonly counts: SdkProcessorStats = { duplicateSpans: 0, foreignSpans: 0 };

  constructor(readonly inner: DunetraceSpanProcessor) {}

  get stats(): SdkProcessorStats {
    return { ...this.counts };
  }

  /** Registers an SDK span: its content and identity reach the Dunetrace processor only. */
  register(span: object, extras: SpanExtras): void {
    this.extras.set(span, extras);
  }

  /** Marks a span as an LLM call recorded by a Dunetrace client wrapper (see step 3). */
  markLlmWrapper(spanId: string): void {
    this.llmWrappers.add(spanId);
  }

  openTrace(traceId: string): void {
    this.openTraces.set(traceId, (this.openTraces.get(traceId) ?? 0) + 1);
  }

  /** The run's root ended; spans of the trace that end later (a late stream, say) are still the run's. */
  closeTrace(traceId: string): void {
    const n = (this.openTraces.get(traceId) ?? 1) - 1;
    if (n > 0) {
      this.openTraces.set(traceId, n);
      return;
    }
    this.openTraces.delete(traceId);
    this.closedTraces.add(traceId);
  }

  onStart(span: Span, parentContext: Context): void {
    this.inner.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    try {
      const extras = this.extras.get(span);
      if (extras !== undefined) {
        this.extras.delete(span);
        this.inner.onEnd(this.withExtras(span, extras));
        return;
      }
      const traceId = span.spanContext().traceId;
      if (!this.openTraces.has(traceId) && !this.closedTraces.has(traceId)) {
        this.counts.foreignSpans++;
        return;
      }
      const parent = span.parentSpanContext?.spanId;
      if (parent !== undefined && this.llmWrappers.has(parent) && classify(span.name, span.attributes as Attributes) === 'llm') {
        this.counts.duplicateSpans++;
        return;
      }
      this.inner.onEnd(span);
    } catch {
      // Never throw into the code that ended the span.
    }
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  /** A read-only copy of the span with its content, error text and run identity (the span itself is not touched). */
  private withExtras(span: ReadableSpan, x: SpanExtras): ReadableSpan {
    let attributes = span.attributes;
    for (const _ in x.content) {
      attributes = { ...span.attributes, ...(x.content as ApiAttributes) };
      break;
    }
    return copySpan(span, {
      status: x.statusMessage !== null ? { code: span.status.code, message: x.statusMessage } : span.status,
      attributes,
      links: span.links,
      events: span.events,
      resource: this.resourceFor(span.resource, x.identity),
    });
  }

  /** The span's resource plus the run's identity (one object per resource and identity, so exports group by it). */
  private resourceFor(base: Resource, id: RunIdentity): Resource {
    let byId = this.resources.get(base);
    if (byId === undefined) this.resources.set(base, (byId = new Map<string, Resource>()));
    const key = `${id.agentId}\u0000${id.agentVersion ?? ''}`;
    let r = byId.get(key);
    if (r === undefined) {
      const attrs: ApiAttributes = { [AGENT_ID]: id.agentId };
      if (id.agentVersion !== null) attrs[AGENT_VERSION] = id.agentVersion;
      r = resourceWith(base, attrs);
      if (byId.size >= 256) byId.clear();
      byId.set(key, r);
    }
    return r;
  }
}
