import { isValidSpanId, type Attributes as ApiAttributes, type Link } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { contentString } from '../mapping/attributes.js';
import { failedToolNames, withToolName } from '../mapping/dialects/index.js';
import { CONTENT_FACTS_PREFIX, hasContentFacts, isContentAttribute, redactAttributes, type Hasher } from '../mapping/index.js';
import type { Attributes, OtlpSpanEvent } from '../otlp/model.js';
import { copySpan, resourceWith } from './span-copy.js';

type TimedEvent = ReadableSpan['events'][number];

export const AGENT_ID_ATTRIBUTE = 'dunetrace.agent_id';

export interface SpanRedactorOptions {
  hasher: Hasher;
  /** When set, exported spans carry the resource attribute `dunetrace.agent_id`. */
  agentId: string | null;
}

/**
 * The root test the receiver applies (its decoder makes an empty or all-zero parent id a root): the parent id as
 * exported, or '' when there is none.
 */
export function exportedParentId(span: ReadableSpan): string {
  const parent = span.parentSpanContext?.spanId;
  return parent !== undefined && isValidSpanId(parent) ? parent : '';
}

const hrToNanos = (t: readonly [number, number]): bigint => BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);

const NO_EVENTS: OtlpSpanEvent[] = [];
const EMPTY_ATTRIBUTES: Attributes = {};

function toOtlpEvent(e: TimedEvent): OtlpSpanEvent {
  return { name: e.name, timeUnixNano: hrToNanos(e.time), attributes: (e.attributes ?? EMPTY_ATTRIBUTES) as Attributes };
}

function stripFacts(attrs: Attributes): Attributes {
  const out: Attributes = {};
  for (const key in attrs) if (!key.startsWith(CONTENT_FACTS_PREFIX)) out[key] = attrs[key];
  return out;
}

/**
 * Builds the function that turns an ended SDK span into the span that leaves the process: the mapping core's
 * `redactAttributes` (the same code the receiver runs) digests every content attribute of the span, its events and
 * its status message, scans the raw input for prompt injection and encodes the facts as `dunetrace.content.*`.
 * Links (rarely attributed) get their content attributes digested too. Everything else is passed by reference.
 * The input span is never modified.
 */
export function createSpanRedactor(opts: SpanRedactorOptions): (span: ReadableSpan) => ReadableSpan {
  const { hasher, agentId } = opts;
  const resources = new WeakMap<Resource, Resource>();
  const resourceOf = (src: Resource): Resource => {
    if (agentId === null) return src;
    let r = resources.get(src);
    if (r === undefined) {
      r = resourceWith(src, { [AGENT_ID_ATTRIBUTE]: agentId });
      resources.set(src, r);
    }
    return r;
  };

  return (span) => {
    let attributes = span.attributes as Attributes;
    // A sender-set marker must never switch redaction off: drop its facts and redact from the raw values.
    if (hasContentFacts(attributes)) attributes = stripFacts(attributes);
    const sourceEvents = span.events;
    const events: OtlpSpanEvent[] = sourceEvents.length === 0 ? NO_EVENTS : sourceEvents.map(toOtlpEvent);
    const r = redactAttributes(
      {
        name: span.name,
        parentSpanId: exportedParentId(span),
        traceId: span.spanContext().traceId,
        attributes,
        events,
        status: { code: span.status.code, message: span.status.message ?? '' },
      },
      { hasher },
    );

    let outEvents: TimedEvent[] = sourceEvents;
    if (r.events !== events) {
      outEvents = sourceEvents.map((e, i) => (r.events[i] === events[i] ? e : { ...e, attributes: r.events[i].attributes as ApiAttributes }));
    }
    const status = r.statusMessage === '' ? { code: span.status.code } : { code: span.status.code, message: r.statusMessage };
    return copySpan(span, {
      status,
      attributes: r.attributes as ApiAttributes,
      links: redactLinks(span.links, hasher),
      events: outEvents,
      resource: resourceOf(span.resource),
    });
  };
}

function redactLinks(links: Link[], hasher: Hasher): Link[] {
  let out: Link[] | null = null;
  for (let i = 0; i < links.length; i++) {
    const attrs = links[i].attributes;
    if (attrs === undefined) continue;
    let changed: ApiAttributes | null = null;
    for (const key in attrs) {
      if (!isContentAttribute(key)) continue;
      const text = contentString(attrs[key] as Attributes[string]);
      if (text === null) continue;
      changed ??= { ...attrs };
      changed[key] = hasher.digest(text);
    }
    if (changed === null) continue;
    out ??= links.slice();
    out[i] = { ...links[i], attributes: changed };
  }
  return out ?? links;
}

/**
 * A batch's spans ready for redaction: LangChain tool spans that threw get the name their LangGraph tools node
 * recorded (mapping/dialects/openllmetry-langchain.ts), as the receiver does per export, so both paths map alike.
 * A named span is a view of the original (its own attributes over the original as prototype); the others are the
 * originals.
 */
export function withBatchFacts(spans: ReadableSpan[]): ReadableSpan[] {
  const names = failedToolNames(spans, (s) => ({
    traceId: s.spanContext().traceId,
    start: hrToNanos(s.startTime),
    end: hrToNanos(s.endTime),
    attributes: s.attributes as Attributes,
  }));
  if (names.size === 0) return spans;
  return spans.map((s) => {
    const n = names.get(s);
    if (n === undefined) return s;
    return Object.create(s, { attributes: { value: withToolName(s.attributes as Attributes, n) as ApiAttributes, enumerable: true } }) as ReadableSpan;
  });
}
