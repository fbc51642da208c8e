import type { Attributes, Link, SpanContext, SpanStatus } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

type TimedEvent = ReadableSpan['events'][number];

/** What a copy of a span replaces; everything else is passed by reference. */
export interface SpanCopyParts {
  status: SpanStatus;
  attributes: Attributes;
  links: Link[];
  events: TimedEvent[];
  resource: Resource;
}

/**
 * A read-only copy of an ended span with some parts replaced (the span itself is never modified: other processors of
 * the provider may hold it). One literal with every ReadableSpan field, not a spread: this runs for every exported span.
 */
export function copySpan(span: ReadableSpan, parts: SpanCopyParts): ReadableSpan {
  const sc: SpanContext = span.spanContext();
  return {
    name: span.name,
    kind: span.kind,
    spanContext: () => sc,
    parentSpanContext: span.parentSpanContext,
    startTime: span.startTime,
    endTime: span.endTime,
    status: parts.status,
    attributes: parts.attributes,
    links: parts.links,
    events: parts.events,
    duration: span.duration,
    ended: span.ended,
    resource: parts.resource,
    instrumentationScope: span.instrumentationScope,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  };
}

/**
 * `base` with `attrs` added (they win). The span's own Resource implementation does the merge, so the serializer
 * sees a real resource; callers cache the result per base resource (exports group spans by resource object).
 */
export function resourceWith(base: Resource, attrs: Attributes): Resource {
  const extra: Resource = {
    attributes: attrs,
    getRawAttributes: () => Object.entries(attrs),
    merge(other) {
      return other ?? this;
    },
  };
  return base.merge(extra);
}
