import type { AttrValue, Attributes, OtlpSpan, OtlpSpanEvent } from '../otlp/model.js';
import type { InjectionFacts, ToolCallRequest } from './events.js';
import { contentString, scanAttributes } from './attributes.js';
import { classify } from './classify.js';
import { extractContent, memoDigest, type ContentFacts, type Measured } from './content.js';
import { isDigest, type Hasher } from './hash.js';
import { INJECTION_PATTERNS } from './injection.js';

/**
 * Redaction for the in-process SpanProcessor: nothing that leaves the process may carry raw content.
 *
 * `redactSpan` replaces the value of every content attribute (span attributes, exception/retrieval/message event
 * attributes, the status message) by its digest, and adds the content facts `mapSpan` would have derived as
 * `dunetrace.content.*` attributes. `mapSpan` reads those when the marker is present instead of recomputing, so
 * `mapSpan(redactSpan(s)) ≡ mapSpan(s)` with the same hasher.
 *
 * Encoding (version 1). Every key is optional except the marker; a missing key means "no such fact" (null/empty).
 * Hashes are lowercase 64-hex; lengths are non-negative integers (JS string length).
 *
 * | key                                             | type      | fact                                              |
 * |-------------------------------------------------|-----------|---------------------------------------------------|
 * | dunetrace.content.v                             | int       | marker, = 1                                       |
 * | dunetrace.content.input.hash / .input.length    | str / int | LLM prompt text                                   |
 * | dunetrace.content.user.hash / .user.length      | str / int | the user's input (root spans)                     |
 * | dunetrace.content.system.hash                   | str       | system instructions                               |
 * | dunetrace.content.output.hash / .output.length  | str / int | reply text / entity output (absent = not captured)|
 * | dunetrace.content.args.hash / .args.length      | str / int | tool arguments                                    |
 * | dunetrace.content.result.hash / .result.length  | str / int | tool result                                       |
 * | dunetrace.content.query.hash                    | str       | retrieval query                                   |
 * | dunetrace.content.error.hash                    | str       | status message, else exception.message            |
 * | dunetrace.content.finish_reasons                | str[]     | finish reasons read from output messages          |
 * | dunetrace.content.tool_calls.names              | str[]     | tool calls requested by the model, in order       |
 * | dunetrace.content.tool_calls.args_hashes        | str[]     | their argument digests, "" = none (same order)    |
 * | dunetrace.content.tools                         | str[]     | tool names offered/defined, sorted                |
 * | dunetrace.content.injection.patterns            | str[]     | matched injection labels (first 5)                |
 * | dunetrace.content.injection.count               | int       | number of patterns matched                        |
 * | dunetrace.content.injection.input_length        | int       | length of the scanned input                       |
 * | dunetrace.content.injection.scanned_chars       | int       | present only when the scan was bounded            |
 * | dunetrace.content.documents.count / .top_score  | int / num | from gen_ai.retrieval.documents                   |
 */

// ---------------------------------------------------------------------------------------------------------
// Which attributes are content

/** Attribute keys whose value is content, exactly. */
export const CONTENT_ATTRIBUTE_KEYS: ReadonlySet<string> = new Set([
  // OTel GenAI semconv
  'gen_ai.input.messages',
  'gen_ai.output.messages',
  'gen_ai.system_instructions',
  'gen_ai.tool.definitions',
  'gen_ai.tool.description',
  'gen_ai.agent.description',
  'gen_ai.tool.call.arguments',
  'gen_ai.tool.call.result',
  'gen_ai.retrieval.query.text',
  'gen_ai.retrieval.documents',
  'gen_ai.prompt',
  'gen_ai.completion',
  // Traceloop
  'traceloop.entity.input',
  'traceloop.entity.output',
  'traceloop.prompt.template',
  'traceloop.prompt.template_variables',
  // OpenInference
  'input.value',
  'output.value',
  'tool.arguments',
  'tool.result',
  'tool.parameters',
  'tool.description',
  'tool_call.function.arguments',
  'reranker.query',
  // Errors (span events)
  'exception.message',
  'exception.stacktrace',
  // Vector DB span events
  'db.query.embeddings.vector',
  // Vercel AI SDK, Langfuse, MLflow (not mapped, but never exported raw)
  'ai.prompt',
  'ai.prompt.messages',
  'ai.prompt.tools',
  'ai.response.text',
  'ai.response.object',
  'ai.response.toolCalls',
  'ai.response.reasoning',
  'ai.result.text',
  'ai.result.object',
  'ai.result.toolCalls',
  'ai.toolCall.args',
  'ai.toolCall.result',
  'ai.value',
  'ai.values',
  'ai.embedding',
  'ai.embeddings',
  'langfuse.observation.input',
  'langfuse.observation.output',
  'langfuse.trace.input',
  'langfuse.trace.output',
  'mlflow.spanInputs',
  'mlflow.spanOutputs',
]);

/**
 * Indexed families: every key under the prefix is content (deny by default) except the structural suffixes
 * listed (roles, names, ids, finish reasons, scores).
 */
export const CONTENT_ATTRIBUTE_FAMILIES: ReadonlyArray<{ readonly prefix: string; readonly structural: readonly string[] }> = [
  { prefix: 'gen_ai.prompt.', structural: ['.role', '.finish_reason', '.name', '.id', '.tool_call_id'] },
  { prefix: 'gen_ai.completion.', structural: ['.role', '.finish_reason', '.name', '.id', '.tool_call_id'] },
  { prefix: 'llm.input_messages.', structural: ['.message.role', '.message.name', '.function.name', '.tool_call.id', '.message.tool_call_id'] },
  { prefix: 'llm.output_messages.', structural: ['.message.role', '.message.name', '.function.name', '.tool_call.id', '.message.tool_call_id'] },
  { prefix: 'llm.request.functions.', structural: ['.name'] },
  { prefix: 'llm.tools.', structural: [] },
  { prefix: 'llm.prompts.', structural: [] },
  { prefix: 'llm.prompt_template.', structural: ['.version'] },
  { prefix: 'retrieval.documents.', structural: ['.document.score'] },
  { prefix: 'reranker.input_documents.', structural: ['.document.score'] },
  { prefix: 'reranker.output_documents.', structural: ['.document.score'] },
  { prefix: 'embedding.embeddings.', structural: [] },
  { prefix: 'db.query.result.', structural: ['.score', '.distance'] },
  { prefix: 'db.vector.query.', structural: [] }, // see VECTOR_QUERY_STRUCTURAL
];

/** `db.vector.query.*` keys that are counts/options, not content (plus `result.N.score|distance`). */
const VECTOR_QUERY_STRUCTURAL = new Set([
  'top_k',
  'include_values',
  'include_metadata',
  'embeddings_count',
  'result_count',
  'top_score',
  'top_distance',
  'namespace',
  'result.namespace',
  'result.read_units',
  'result.matches_length',
]);

/** Attribute keys of per-message GenAI span events (`gen_ai.user.message`, `gen_ai.choice`, …) that hold content. */
const GEN_AI_EVENT_CONTENT = new Set(['content', 'message', 'tool_calls', 'body', 'gen_ai.event.content']);

/** Families by the first character of their prefix, so a key is compared only with the few that can match. */
const FAMILIES_BY_FIRST_CHAR = new Map<number, Array<(typeof CONTENT_ATTRIBUTE_FAMILIES)[number]>>();
for (const fam of CONTENT_ATTRIBUTE_FAMILIES) {
  const c = fam.prefix.charCodeAt(0);
  const list = FAMILIES_BY_FIRST_CHAR.get(c) ?? [];
  list.push(fam);
  FAMILIES_BY_FIRST_CHAR.set(c, list);
}

/** True when the attribute's value is (or may contain) prompt/completion/tool/retrieval content. */
export function isContentAttribute(key: string): boolean {
  if (CONTENT_ATTRIBUTE_KEYS.has(key)) return true;
  const families = FAMILIES_BY_FIRST_CHAR.get(key.charCodeAt(0));
  if (families === undefined) return false;
  // gen_ai.* keys are the most common: only gen_ai.prompt. / gen_ai.completion. are families (p or c at 7).
  if (key.charCodeAt(0) === 103 && key.charCodeAt(7) !== 112 && key.charCodeAt(7) !== 99) return false;
  for (const fam of families) {
    if (key.length <= fam.prefix.length || !key.startsWith(fam.prefix)) continue;
    if (fam.prefix === 'db.vector.query.') {
      const rest = key.slice(fam.prefix.length);
      if (VECTOR_QUERY_STRUCTURAL.has(rest)) return false;
      return !(rest.startsWith('result.') && (rest.endsWith('.score') || rest.endsWith('.distance')));
    }
    for (const suffix of fam.structural) if (key.endsWith(suffix)) return false;
    return true;
  }
  return false;
}

/** Content test for a span event's attribute (adds the bare keys of per-message `gen_ai.*` events). */
export function isContentEventAttribute(eventName: string, key: string): boolean {
  return isContentAttribute(key) || (eventName.startsWith('gen_ai.') && GEN_AI_EVENT_CONTENT.has(key));
}

// ---------------------------------------------------------------------------------------------------------
// Encoding of the content facts

export const CONTENT_FACTS_PREFIX = 'dunetrace.content.';
export const CONTENT_FACTS_MARKER = 'dunetrace.content.v';
export const CONTENT_FACTS_VERSION = 1;

const K = {
  inputHash: 'dunetrace.content.input.hash',
  inputLength: 'dunetrace.content.input.length',
  userHash: 'dunetrace.content.user.hash',
  userLength: 'dunetrace.content.user.length',
  systemHash: 'dunetrace.content.system.hash',
  outputHash: 'dunetrace.content.output.hash',
  outputLength: 'dunetrace.content.output.length',
  argsHash: 'dunetrace.content.args.hash',
  argsLength: 'dunetrace.content.args.length',
  resultHash: 'dunetrace.content.result.hash',
  resultLength: 'dunetrace.content.result.length',
  queryHash: 'dunetrace.content.query.hash',
  errorHash: 'dunetrace.content.error.hash',
  finishReasons: 'dunetrace.content.finish_reasons',
  toolCallNames: 'dunetrace.content.tool_calls.names',
  toolCallArgs: 'dunetrace.content.tool_calls.args_hashes',
  tools: 'dunetrace.content.tools',
  injPatterns: 'dunetrace.content.injection.patterns',
  injCount: 'dunetrace.content.injection.count',
  injInputLength: 'dunetrace.content.injection.input_length',
  injScanned: 'dunetrace.content.injection.scanned_chars',
  docCount: 'dunetrace.content.documents.count',
  docTopScore: 'dunetrace.content.documents.top_score',
} as const;

/** True when the span carries encoded content facts of a version this code reads. */
export function hasContentFacts(attrs: Attributes): boolean {
  return attrs[CONTENT_FACTS_MARKER] === CONTENT_FACTS_VERSION;
}

function putMeasured(out: Attributes, hashKey: string, lengthKey: string, m: Measured | null): void {
  if (m === null) return;
  out[hashKey] = m.hash;
  out[lengthKey] = m.length;
}

/** Writes the facts as `dunetrace.content.*` attributes (plus the marker) into `out`. */
export function encodeContentFacts(facts: ContentFacts, out: Attributes): void {
  out[CONTENT_FACTS_MARKER] = CONTENT_FACTS_VERSION;
  putMeasured(out, K.inputHash, K.inputLength, facts.input);
  putMeasured(out, K.userHash, K.userLength, facts.user);
  putMeasured(out, K.outputHash, K.outputLength, facts.output);
  putMeasured(out, K.argsHash, K.argsLength, facts.args);
  putMeasured(out, K.resultHash, K.resultLength, facts.result);
  if (facts.system !== null) out[K.systemHash] = facts.system;
  if (facts.query !== null) out[K.queryHash] = facts.query;
  if (facts.error !== null) out[K.errorHash] = facts.error;
  if (facts.finish_reasons !== null && facts.finish_reasons.length > 0) out[K.finishReasons] = [...facts.finish_reasons];
  if (facts.tool_calls.length > 0) {
    out[K.toolCallNames] = facts.tool_calls.map((t) => t.name);
    out[K.toolCallArgs] = facts.tool_calls.map((t) => t.args_hash ?? '');
  }
  if (facts.tools.length > 0) out[K.tools] = [...facts.tools];
  const inj = facts.injection;
  if (inj !== null) {
    out[K.injPatterns] = [...inj.matched_patterns];
    out[K.injCount] = inj.matched_pattern_count;
    out[K.injInputLength] = inj.input_length;
    if (inj.scan_truncated === true && inj.scanned_chars !== undefined) out[K.injScanned] = inj.scanned_chars;
  }
  if (facts.documents !== null) {
    if (facts.documents.count !== null) out[K.docCount] = facts.documents.count;
    if (facts.documents.top_score !== null) out[K.docTopScore] = facts.documents.top_score;
  }
}

function hashAt(a: Attributes, key: string): string | null {
  const v = a[key];
  return isDigest(v) ? v : null;
}

function countAt(a: Attributes, key: string): number | null {
  const v = a[key];
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : null;
}

function measuredAt(a: Attributes, hashKey: string, lengthKey: string): Measured | null {
  const hash = hashAt(a, hashKey);
  const length = countAt(a, lengthKey);
  return hash === null || length === null ? null : { hash, length };
}

function stringsAt(a: Attributes, key: string): string[] {
  const v = a[key];
  if (!Array.isArray(v)) return [];
  const out: string[] = [];
  for (const item of v) if (typeof item === 'string') out.push(item);
  return out;
}

const INJECTION_LABELS = new Set(INJECTION_PATTERNS.map((p) => p.label));

/**
 * Reads facts back. Values are validated (digests must be 64-hex, lengths integers, labels known), so a sender
 * that sets the marker cannot smuggle raw text into the stored digests.
 */
export function decodeContentFacts(a: Attributes): ContentFacts {
  const names = stringsAt(a, K.toolCallNames);
  const argHashes = a[K.toolCallArgs];
  const tool_calls: ToolCallRequest[] = names.map((name, i) => {
    const h = Array.isArray(argHashes) ? argHashes[i] : undefined;
    return { name, args_hash: isDigest(h) ? h : null };
  });
  const finish = stringsAt(a, K.finishReasons);
  let injection: InjectionFacts | null = null;
  const count = countAt(a, K.injCount);
  const inputLength = countAt(a, K.injInputLength);
  if (count !== null && count > 0 && inputLength !== null) {
    injection = {
      matched_pattern_count: count,
      matched_patterns: stringsAt(a, K.injPatterns).filter((l) => INJECTION_LABELS.has(l)),
      input_length: inputLength,
    };
    const scanned = countAt(a, K.injScanned);
    if (scanned !== null) {
      injection.scan_truncated = true;
      injection.scanned_chars = scanned;
    }
  }
  const docCount = countAt(a, K.docCount);
  const topRaw = a[K.docTopScore];
  const docTop = typeof topRaw === 'number' && Number.isFinite(topRaw) ? topRaw : null;
  return {
    input: measuredAt(a, K.inputHash, K.inputLength),
    user: measuredAt(a, K.userHash, K.userLength),
    injection,
    system: hashAt(a, K.systemHash),
    output: measuredAt(a, K.outputHash, K.outputLength),
    args: measuredAt(a, K.argsHash, K.argsLength),
    result: measuredAt(a, K.resultHash, K.resultLength),
    query: hashAt(a, K.queryHash),
    error: hashAt(a, K.errorHash),
    finish_reasons: finish.length > 0 ? finish : null,
    tool_calls,
    tools: stringsAt(a, K.tools),
    documents: docCount === null && docTop === null ? null : { count: docCount, top_score: docTop },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Redaction

export interface RedactOptions {
  hasher: Hasher;
}

/** What redaction needs of a span (the SpanProcessor can pass a view without ids/times). */
export type RedactableSpan = Pick<OtlpSpan, 'name' | 'parentSpanId' | 'attributes' | 'events' | 'status'>;

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

/**
 * Redacts one span's attributes, events and status message. Pure: the input is not modified. A span that already
 * carries the marker is returned as is (redaction is idempotent).
 */
export function redactAttributes(span: RedactableSpan, opts: RedactOptions): RedactedContent {
  const attrs = span.attributes;
  if (hasContentFacts(attrs)) return { attributes: attrs, events: span.events, statusMessage: span.status.message };
  const digest = memoDigest(opts.hasher);
  const index = scanAttributes(attrs);
  const category = classify(span.name, attrs, { hasVectorQuery: index.hasVectorQuery });
  const facts = extractContent(span, { category, isRoot: span.parentSpanId === '', index }, digest);

  const out: Attributes = {};
  for (const key in attrs) {
    // Facts from the sender are never trusted: only the ones computed here are written.
    if (key.charCodeAt(0) === 100 && key.charCodeAt(1) === 117 && key.startsWith(CONTENT_FACTS_PREFIX)) continue;
    const v = attrs[key];
    out[key] = isContentAttribute(key) ? digestValue(v, digest) : v;
  }
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

/** A copy of the span with every content value digested and the content facts encoded (see the table above). */
export function redactSpan(span: OtlpSpan, opts: RedactOptions): OtlpSpan {
  if (hasContentFacts(span.attributes)) return span;
  const r = redactAttributes(span, opts);
  return { ...span, attributes: r.attributes, events: r.events, status: { code: span.status.code, message: r.statusMessage } };
}
