import type { AttrValue, Attributes, OtlpSpan, OtlpSpanEvent } from '../otlp/model.js';
import { contentString, scanAttributes } from './attributes.js';
import { classify } from './classify.js';
import { CONTENT_FACTS_PREFIX, encodeContentFacts, hasContentFacts } from './content-codec.js';
import { isContentAttribute, isContentEventAttribute } from './content-keys.js';
import { extractContent, memoDigest } from './content/index.js';
import { dialectView } from './dialects/index.js';
import type { Hasher } from './hash.js';
import { processFactSecret, type FactSecret } from './facts/index.js';

/**
 * Redaction for the in-process SpanProcessor: nothing that leaves the process may carry raw content.
 *
 * `redactSpan` replaces the value of every content attribute (span attributes, exception/retrieval/message event
 * attributes, the status message) by its digest, and adds the content facts `mapSpan` would have derived as
 * `dunetrace.content.*` attributes. `mapSpan` reads those when the marker is present instead of recomputing, so
 * `mapSpan(redactSpan(s)) ≡ mapSpan(s)` with the same hasher.
 *
 * What counts as content is content-keys.ts; the facts' encoding (versioned) is content-codec.ts, documented in
 * docs/content-codec.md.
 */

export interface RedactOptions {
  hasher: Hasher;
  /** Secret of the run keys of the keyed fact digests (per trace id); defaults to this process's. */
  facts?: FactSecret;
}

/** What redaction needs of a span (the SpanProcessor can pass a view without ids/times). */
export type RedactableSpan = Pick<OtlpSpan, 'name' | 'parentSpanId' | 'attributes' | 'events' | 'status'> & {
  /** The trace id (the run the keyed fact digests are keyed for); without it no digest sets are computed. */
  traceId?: string;
};

export interface RedactedContent {
  /** Content attributes replaced by digests, `dunetrace.content.*` facts and the marker added. */
  attributes: Attributes;
  /** Events with content attributes replaced by digests (the input array itself when no event changed). */
  events: OtlpSpanEvent[];
  /** '' or the digest of the status message. */
  statusMessage: string;
}

function digestValue(v: AttrValue, digest: (t: string) => string): AttrValue {
  const text = contentString(v);
  return text === null ? v : digest(text);
}

const TOOL_DEFINITIONS = 'gen_ai.tool.definitions';
/** Digests of tool definition texts per hasher: the same definitions come with every LLM call (a few dozen kept). */
const DEFINITION_DIGESTS = new WeakMap<Hasher, Map<string, string>>();

function definitionsDigest(hasher: Hasher, text: string): string {
  let memo = DEFINITION_DIGESTS.get(hasher);
  if (memo === undefined) DEFINITION_DIGESTS.set(hasher, (memo = new Map<string, string>()));
  let d = memo.get(text);
  if (d === undefined) {
    d = hasher.digest(text);
    if (memo.size >= 64) memo.clear();
    memo.set(text, d);
  }
  return d;
}

/**
 * Redacts one span's attributes, events and status message. Pure: the input is not modified. A span that already
 * carries the marker is returned as is (redaction is idempotent).
 */
export function redactAttributes(span: RedactableSpan, opts: RedactOptions): RedactedContent {
  const attrs = span.attributes;
  if (hasContentFacts(attrs)) return { attributes: attrs, events: span.events, statusMessage: span.status.message };
  const digest = memoDigest(opts.hasher);
  // A framework dialect's span is read through its canonical view, as mapSpan reads it (dialects/).
  const { view, structural } = dialectView(span.name, attrs);
  const index = scanAttributes(view);
  const category = classify(span.name, view, { hasVectorQuery: index.hasVectorQuery });
  const keyer = span.traceId !== undefined && span.traceId.length > 0 ? (opts.facts ?? processFactSecret()).forRun(span.traceId) : null;
  const facts = extractContent(view === attrs ? span : { ...span, attributes: view }, { category, isRoot: span.parentSpanId === '', index, keyer }, digest);

  const out: Attributes = {};
  for (const key in attrs) {
    // Facts from the sender are never trusted: only the ones computed here are written.
    if (key.charCodeAt(0) === 100 && key.charCodeAt(1) === 117 && key.startsWith(CONTENT_FACTS_PREFIX)) continue;
    const v = attrs[key];
    if (key === TOOL_DEFINITIONS && typeof v === 'string') out[key] = definitionsDigest(opts.hasher, v);
    else out[key] = isContentAttribute(key) ? digestValue(v, digest) : v;
  }
  // The dialect's structural facts, some of which only its content held (a Genkit model call's usage is inside
  // genkit:output): exported beside the digested originals so the receiver maps the span the same.
  if (structural !== null) for (const key in structural) if (!(key in out) && !isContentAttribute(key)) out[key] = structural[key];
  encodeContentFacts(facts, out);

  let events = span.events;
  for (let i = 0; i < span.events.length; i++) {
    const e = span.events[i];
    let changed: Attributes | null = null;
    for (const key in e.attributes) {
      if (!isContentEventAttribute(e.name, key)) continue;
      changed ??= { ...e.attributes };
      changed[key] = digestValue(e.attributes[key], digest);
    }
    if (changed === null) continue;
    if (events === span.events) events = span.events.slice();
    events[i] = { ...e, attributes: changed };
  }
  const message = span.status.message;
  return { attributes: out, events, statusMessage: message.length > 0 ? digest(message) : '' };
}

/** A copy of the span with every content value digested and the content facts encoded (content-codec.ts). */
export function redactSpan(span: OtlpSpan, opts: RedactOptions): OtlpSpan {
  if (hasContentFacts(span.attributes)) return span;
  const r = redactAttributes(span, opts);
  return { ...span, attributes: r.attributes, events: r.events, status: { code: span.status.code, message: r.statusMessage } };
}
