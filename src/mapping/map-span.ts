import type { AttrValue, Attributes, OtlpSpan, OtlpSpanEvent } from '../otlp/model.js';
import type { MappedSpan, RootFacts, SpanCategory, SpanEvent, SpanGaps } from './events.js';
import { firstNumber, firstString, readProvider, str, stringArray, toNumber, scanAttributes, type AttributeIndex } from './attributes.js';
import { classifySpan, vectorVendor } from './classify.js';
import { extractContent, markSkippedFacts, memoDigest, normalizeFinishReason, type ContentContext, type ContentFacts } from './content/index.js';
import type { Hasher } from './hash.js';
import { decodeContentFacts, hasContentFacts } from './content-codec.js';
import { processFactSecret, type FactSecret } from './facts/index.js';
import { cleanName } from './dunetrace-events.js';
import { pushDeclaredSignals } from './declared.js';
import { memoryOperation } from './content/read-back.js';
import { POISON_MARKER_ORDER, firstMarker } from './directives.js';
import { ROOT_ANSWERED, SPAN_AGENT_ID, SPAN_AGENT_VERSION, TOOL_UNNAMED, withDialect } from './dialects/index.js';

export interface MapOptions {
  hasher: Hasher;
  /** Secret the run keys of the keyed fact digests derive from (per trace id); defaults to this process's. */
  facts?: FactSecret;
  /** Digest facts not to compute (ContentContext.skip): the receiver's, when no detector it runs reads them. */
  skipFacts?: ContentContext['skip'];
}

/** Signal `source` of the external signals this module derives. */
export const SIGNAL_SOURCE = 'otlp';

// Alias lists (official → legacy GenAI → Traceloop → OpenInference).
const REQUEST_MODEL = ['gen_ai.request.model', 'llm.request.model', 'llm.model_name', 'gen_ai.response.model', 'llm.response.model'];
const RESPONSE_MODEL = ['gen_ai.response.model', 'llm.response.model', 'gen_ai.request.model', 'llm.request.model', 'llm.model_name'];
const OPERATION = ['gen_ai.operation.name', 'llm.request.type'];
const INPUT_TOKENS = ['gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens', 'llm.token_count.prompt', 'llm.usage.prompt_tokens'];
const OUTPUT_TOKENS = ['gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens', 'llm.token_count.completion', 'llm.usage.completion_tokens'];
const REASONING_TOKENS = ['gen_ai.usage.reasoning.output_tokens', 'gen_ai.usage.reasoning_tokens', 'llm.token_count.completion_details.reasoning'];
const TOTAL_TOKENS = ['gen_ai.usage.total_tokens', 'llm.usage.total_tokens', 'llm.token_count.total'];
const MAX_TOKENS = ['gen_ai.request.max_tokens', 'llm.request.max_tokens'];
const TOOL_CALL_ID = ['gen_ai.tool.call.id', 'tool_call.id'];
const INDEX_NAME = [
  'gen_ai.data_source.id',
  'retrieval.index_name',
  'vector_db.collection_name',
  'db.collection.name',
  'db.vector.table_name',
  'db.namespace',
  'db.name',
];
const TOP_K = ['db.vector.query.top_k', 'gen_ai.request.top_k', 'retrieval.top_k'];
const RESULT_COUNT = ['db.vector.query.result.matches_length', 'db.vector.query.result_count'];
const HTTP_STATUS = ['http.response.status_code', 'http.status_code'];

/** Unix epoch seconds (float, µs precision) from exact nanoseconds. */
export function nanosToSeconds(ns: bigint): number {
  return Number(ns / 1000n) / 1e6;
}

function latencyMs(span: OtlpSpan): number {
  const d = span.endTimeUnixNano - span.startTimeUnixNano;
  return d > 0n ? Number(d / 1000n) / 1000 : 0;
}

/** The run key id of the first digest set among a span's facts (decoded from a SpanProcessor), if any. */
function keyIdOf(facts: ContentFacts): string | null {
  for (const v of [facts.grounding, facts.warrant, facts.arg_entities, facts.arg_destinations, facts.arg_leaves, facts.candidates])
    if (v && typeof v.key === 'string') return v.key;
  for (const v of [facts.handoff_text?.entities, facts.handoff_input?.tokens]) if (v && typeof v.key === 'string') return v.key;
  return null;
}

function firstException(events: OtlpSpanEvent[]): OtlpSpanEvent | null {
  for (const e of events) if (e.name === 'exception') return e;
  return null;
}

/**
 * Maps one decoded span to its content-free facts and span-level events. Pure: no I/O, no clock; the hasher is the
 * only dependency. When the span was redacted by `redactSpan` (marker `dunetrace.content.v` of a known version, content-codec.ts), content facts are read
 * from `dunetrace.content.*` instead of being recomputed, giving the same result as on the raw span.
 */
export function mapSpan(raw: OtlpSpan, opts: MapOptions): MappedSpan {
  // A framework dialect's spans are read through the canonical attributes it derives (dialects/).
  const a = withDialect(raw.name, raw.attributes);
  const span = a === raw.attributes ? raw : { ...raw, attributes: a };
  const index = scanAttributes(a);
  const { category, recognised } = classifySpan(span.name, a, { hasVectorQuery: index.hasVectorQuery });
  const isRoot = span.parentSpanId === '';
  const keyer = () => (opts.facts ?? processFactSecret()).forRun(span.traceId);
  const decoded = hasContentFacts(a);
  const facts = decoded
    ? decodeContentFacts(a)
    : extractContent(span, { category, isRoot, index, keyer: keyer(), skip: opts.skipFacts }, memoDigest(opts.hasher));
  // Facts computed by a SpanProcessor carry its run key: their stand-ins take it too, so both paths store the same.
  if (opts.skipFacts?.size) markSkippedFacts(facts, { category, isRoot, skip: opts.skipFacts }, (decoded ? keyIdOf(facts) : null) ?? keyer().keyId);

  const start = nanosToSeconds(span.startTimeUnixNano);
  const end = nanosToSeconds(span.endTimeUnixNano);
  const latency = latencyMs(span);
  const exception = firstException(span.events);
  const errorType = str(a, 'error.type') ?? (exception !== null ? str(exception.attributes, 'exception.type') : null);
  const success = span.status.code !== 2 && exception === null;

  const events: SpanEvent[] = [];
  switch (category) {
    case 'llm':
      pushLlm(events, a, facts, start, end, latency, success, errorType);
      break;
    case 'tool':
      pushTool(events, span, facts, start, end, latency, success, errorType);
      break;
    case 'retrieval':
      pushRetrieval(events, span, index, facts, start, end, latency, success);
      break;
    case 'agent':
      if (!isRoot) {
        events.push({
          event_type: 'external.signal',
          seq: 0,
          timestamp: start,
          payload: {
            signal_name: 'agent.invoked',
            source: SIGNAL_SOURCE,
            meta: { agent_name: ownAgentName(a, span.name), success, error_type: errorType },
            ...(facts.handoff_input ? { handoff_input: facts.handoff_input } : {}),
          },
        });
      }
      break;
    default: {
      // workflow / task / other: structure only, no span-level event — except a GenAI memory operation.
      const memOp = memoryOperation(a);
      if (memOp !== null) events.push(memorySignal(memOp, a, facts, memOp === 'write' ? end : start));
      break;
    }
  }

  pushDeclaredSignals(events, span.events, SIGNAL_SOURCE, opts.hasher);

  const httpStatus = firstNumber(a, HTTP_STATUS);
  if (isRateLimited(httpStatus, errorType)) {
    events.push({
      event_type: 'external.signal',
      seq: events.length,
      timestamp: end,
      payload: {
        signal_name: 'rate_limit',
        source: SIGNAL_SOURCE,
        meta: { http_status: httpStatus, error_type: errorType, provider: readProvider(a) },
      },
    });
  }

  const resource = span.resource.attributes;
  const mapped: MappedSpan = {
    trace_id: span.traceId,
    span_id: span.spanId,
    parent_span_id: isRoot ? null : span.parentSpanId,
    name: span.name,
    category,
    start_time: start,
    end_time: end,
    status: span.status.code === 2 ? 'error' : span.status.code === 1 ? 'ok' : 'unset',
    error_type: errorType,
    // Identities become run and signal columns (TEXT): a NUL byte there made Postgres refuse the whole batch (500).
    agent_id: identity(str(resource, 'dunetrace.agent_id') ?? str(a, SPAN_AGENT_ID)),
    agent_name: identity(agentName(a)),
    service_name: identity(str(resource, 'service.name')),
    agent_version: identity(str(resource, 'dunetrace.agent_version') ?? str(a, SPAN_AGENT_VERSION) ?? str(resource, 'service.version')),
    tools_available: facts.tools,
    root: isRoot ? rootFacts(facts, a[ROOT_ANSWERED]) : null,
    events,
  };
  const gaps = spanGaps(span, category, recognised, isRoot);
  if (gaps !== null) mapped.gaps = gaps;
  return mapped;
}

/**
 * What the ingest-health report needs to know about a span it could not fully read (null: nothing). A root is the run
 * itself, so an unclassified root (an HTTP handler, a user's own span) is not a gap.
 */
function spanGaps(span: OtlpSpan, category: SpanCategory, recognised: boolean, isRoot: boolean): SpanGaps | null {
  const unclassified = !recognised && !isRoot;
  const unnamedTool =
    category === 'tool' && (span.attributes[TOOL_UNNAMED] === true || (toolNameOf(span.attributes, span.name) === null && !namedBySpan(span.attributes)));
  const stepRoot = isRoot && (category === 'llm' || category === 'tool');
  if (!unclassified && !unnamedTool && !stepRoot) return null;
  const gaps: SpanGaps = { scope: span.scope.name };
  if (unclassified) gaps.unclassified = true;
  if (unnamedTool) gaps.unnamed_tool = true;
  if (stepRoot) gaps.step_root = true;
  return gaps;
}

/**
 * A GenAI memory operation (semconv `create_memory`/`update_memory`/`upsert_memory`, `search_memory`) as the signal
 * the original's SDKs send (`memory.written` / `memory.read`): the record or store id as the key (the store also as
 * `store` when a record is named), the declared
 * source, the first MEMORY_POISONING marker among the records' directive markers. Never the records.
 */
function memorySignal(op: 'write' | 'read', a: Attributes, facts: ContentFacts, at: number): SpanEvent {
  const meta: Record<string, string | number | boolean | null> = {};
  const store = str(a, 'gen_ai.memory.store.id');
  const key = str(a, 'gen_ai.memory.record.id') ?? store;
  if (key !== null) meta.key = key;
  // A search names the store rather than a record: MEMORY_POISONING matches a read to a write by key or by store.
  if (store !== null && store !== key) meta.store = store;
  const count = firstNumber(a, ['gen_ai.memory.record.count']);
  if (count !== null) meta.record_count = count;
  if (op === 'write') {
    if (facts.memory_source !== undefined) meta.source = facts.memory_source;
    const marker = firstMarker(facts.directives ?? [], POISON_MARKER_ORDER);
    if (marker !== null) meta.poison_marker = marker.code;
  }
  return {
    event_type: 'external.signal',
    seq: 0,
    timestamp: at,
    payload: { signal_name: op === 'write' ? 'memory.written' : 'memory.read', source: SIGNAL_SOURCE, meta },
  };
}

/** An identity fit for storage (control characters removed, lone surrogates replaced), as /v1/ingest stores them. */
function identity(v: string | null): string | null {
  return v === null ? null : cleanName(v, MAX_IDENTITY);
}
const MAX_IDENTITY = 512;

function rootFacts(facts: ContentFacts, answered: AttrValue | undefined): RootFacts {
  const root: RootFacts = {
    input_hash: facts.user?.hash ?? null,
    input_length: facts.user?.length ?? null,
    output_hash: facts.output?.hash ?? null,
    error_hash: facts.error,
  };
  if (facts.injection !== null) root.injection_signal = facts.injection;
  if (facts.tools_in_input !== undefined) root.tools_in_input = facts.tools_in_input;
  if (facts.grounding) root.grounding = facts.grounding;
  if (facts.handoff_text) root.handoff_text = facts.handoff_text;
  if (facts.warrant) root.warrant = facts.warrant;
  if (typeof answered === 'boolean') root.answered = answered;
  return root;
}

function pushLlm(
  events: SpanEvent[],
  a: Attributes,
  facts: ContentFacts,
  start: number,
  end: number,
  latency: number,
  success: boolean,
  errorType: string | null,
): void {
  const inTokens = firstNumber(a, INPUT_TOKENS);
  const outTokens = firstNumber(a, OUTPUT_TOKENS);
  let total = firstNumber(a, TOTAL_TOKENS);
  if (total === null && inTokens !== null && outTokens !== null) total = inTokens + outTokens;

  events.push({
    event_type: 'llm.called',
    seq: 0,
    timestamp: start,
    payload: {
      model: firstString(a, REQUEST_MODEL),
      provider: readProvider(a),
      operation: lowerOrNull(firstString(a, OPERATION)),
      prompt_tokens: inTokens,
      input_hash: facts.input?.hash ?? null,
      input_length: facts.input?.length ?? null,
      max_tokens: firstNumber(a, MAX_TOKENS),
      tools_offered: facts.tools,
      system_prompt_hash: facts.system,
      ...(facts.injection !== null ? { injection_signal: facts.injection } : {}),
      ...(facts.tools_in_input !== undefined ? { tools_in_input: facts.tools_in_input } : {}),
      ...(facts.grounding ? { grounding: facts.grounding } : {}),
      ...(facts.warrant ? { warrant: facts.warrant } : {}),
    },
  });

  const finishReasons = readFinishReasons(a, facts);
  // Unknown is not empty: without captured content the length comes from output tokens, else it is null.
  const outputLength = facts.output !== null ? facts.output.length : outTokens;
  events.push({
    event_type: 'llm.responded',
    seq: 1,
    timestamp: end,
    payload: {
      model: firstString(a, RESPONSE_MODEL),
      completion_tokens: outTokens,
      reasoning_tokens: firstNumber(a, REASONING_TOKENS),
      total_tokens: total,
      latency_ms: latency,
      finish_reason: finishReasons.length > 0 ? finishReasons[0] : null,
      finish_reasons: finishReasons,
      output_hash: facts.output?.hash ?? null,
      output_length: outputLength,
      output_length_source: facts.output !== null ? 'content' : outTokens !== null ? 'tokens' : null,
      tool_calls: facts.tool_calls,
      success,
      error_type: errorType,
      ...(facts.reply_terms ? { reply_terms: facts.reply_terms } : {}),
      ...(facts.handoff_text ? { handoff_text: facts.handoff_text } : {}),
    },
  });
}

/**
 * Single finish-reason attributes after the semconv array and content: Traceloop legacy, OpenInference (`llm.finish_reason`,
 * openinference-instrumentation-* 4.x), the Anthropic SDK's own spans (`anthropic.message.stop_reason`).
 */
const FINISH_REASON = ['llm.response.finish_reason', 'llm.finish_reason', 'anthropic.message.stop_reason'];

/** gen_ai.response.finish_reasons → gen_ai.completion.N.finish_reason / output messages → FINISH_REASON. */
function readFinishReasons(a: Attributes, facts: ContentFacts): string[] {
  const fromAttr = stringArray(a, 'gen_ai.response.finish_reasons');
  if (fromAttr !== null) return fromAttr.map(normalizeFinishReason);
  if (facts.finish_reasons !== null) return facts.finish_reasons;
  const single = firstString(a, FINISH_REASON);
  return single !== null ? [normalizeFinishReason(single)] : [];
}

function pushTool(
  events: SpanEvent[],
  span: OtlpSpan,
  facts: ContentFacts,
  start: number,
  end: number,
  latency: number,
  success: boolean,
  errorType: string | null,
): void {
  // A tool whose name its emitter never says (LangChain through OpenLLMetry, dialects/openllmetry-langchain.ts) is
  // told apart by its arguments, never named after its class: calls with the same arguments are the same tool.
  const toolName =
    span.attributes[TOOL_UNNAMED] === true ? `unnamed_tool#${(facts.args?.hash ?? span.spanId).slice(0, 8)}` : readToolName(span.attributes, span.name);
  events.push({
    event_type: 'tool.called',
    seq: 0,
    timestamp: start,
    payload: {
      tool_name: toolName,
      tool_call_id: firstString(span.attributes, TOOL_CALL_ID),
      args_hash: facts.args?.hash ?? null,
      args_length: facts.args?.length ?? null,
      ...(facts.arg_entities ? { arg_entities: facts.arg_entities } : {}),
      ...(facts.arg_destinations ? { arg_destinations: facts.arg_destinations } : {}),
      ...(facts.arg_leaves ? { arg_leaves: facts.arg_leaves } : {}),
    },
  });
  events.push({
    event_type: 'tool.responded',
    seq: 1,
    timestamp: end,
    payload: {
      tool_name: toolName,
      success,
      output_hash: facts.result?.hash ?? null,
      output_length: facts.result?.length ?? null,
      latency_ms: latency,
      error_type: success ? null : errorType,
      error_hash: success ? null : facts.error,
      ...(facts.directives !== undefined ? { directive_markers: facts.directives } : {}),
      ...(facts.tool_terms ? { tool_terms: facts.tool_terms } : {}),
      ...(facts.grounding ? { grounding: facts.grounding } : {}),
      ...(facts.handoff_text ? { handoff_text: facts.handoff_text } : {}),
      ...(facts.candidates ? { candidates: facts.candidates } : {}),
    },
  });
}

/** gen_ai.tool.name → traceloop.entity.name (kind tool) → tool.name → span name without `execute_tool ` / `.tool`. */
export function readToolName(a: Attributes, spanName: string): string {
  return toolNameOf(a, spanName) ?? spanName;
}

/** OpenInference names a tool span after the tool (its convention; there is no tool.name attribute to read). */
function namedBySpan(a: Attributes): boolean {
  const kind = a['openinference.span.kind'];
  return typeof kind === 'string' && kind.toLowerCase() === 'tool';
}

/** The tool's name when the span says it (an attribute, or a `execute_tool {name}` / `{name}.tool` span name), else null. */
function toolNameOf(a: Attributes, spanName: string): string | null {
  const direct = str(a, 'gen_ai.tool.name');
  if (direct !== null) return direct;
  if (a['traceloop.span.kind'] === 'tool') {
    const entity = str(a, 'traceloop.entity.name');
    if (entity !== null) return entity;
  }
  const oi = str(a, 'tool.name');
  if (oi !== null) return oi;
  if (spanName.startsWith('execute_tool ') && spanName.length > 13) return spanName.slice(13);
  if (spanName.endsWith('.tool') && spanName.length > 5) return spanName.slice(0, -5);
  return null;
}

function pushRetrieval(
  events: SpanEvent[],
  span: OtlpSpan,
  index: AttributeIndex,
  facts: ContentFacts,
  start: number,
  end: number,
  latency: number,
  success: boolean,
): void {
  const a = span.attributes;
  const indexName = firstString(a, INDEX_NAME) ?? span.name;
  events.push({
    event_type: 'retrieval.called',
    seq: 0,
    timestamp: start,
    payload: {
      index_name: indexName,
      vendor: vectorVendor(a) ?? readProvider(a),
      query_hash: facts.query,
      top_k: firstNumber(a, TOP_K),
    },
  });

  // Scores from every source; the best one is the top score.
  let top: number | null = facts.documents?.top_score ?? null;
  const consider = (v: AttrValue | undefined): void => {
    const n = toNumber(v);
    if (n !== null && (top === null || n > top)) top = n;
  };
  consider(a['db.vector.query.top_score']);
  consider(a['retrieval.top_score']);
  for (const r of index.vectorResults) consider(r.fields.score);
  for (const d of index.oiDocuments) consider(d.fields['document.score']);
  let resultEvents = 0;
  for (const e of span.events) {
    if (e.name !== 'db.query.result') continue;
    resultEvents++;
    consider(e.attributes['db.query.result.score']);
  }

  const resultCount =
    facts.documents?.count ??
    firstNumber(a, RESULT_COUNT) ??
    (resultEvents > 0 ? resultEvents : null) ??
    firstNumber(a, ['retrieval.result_count', 'db.result_count']) ??
    (index.oiDocuments.length > 0 ? index.oiDocuments.length : null) ??
    (index.vectorResults.length > 0 ? index.vectorResults.length : null);

  events.push({
    event_type: 'retrieval.responded',
    seq: 1,
    timestamp: end,
    payload: {
      index_name: indexName,
      result_count: resultCount,
      top_score: top,
      latency_ms: latency,
      success,
      ...(facts.directives !== undefined ? { directive_markers: facts.directives } : {}),
      ...(facts.grounding ? { grounding: facts.grounding } : {}),
    },
  });
}

/** Agent identity hint: gen_ai.agent.name → agent.name → traceloop.entity.name (kind agent) → traceloop.workflow.name. */
export function agentName(a: Attributes): string | null {
  const direct = str(a, 'gen_ai.agent.name') ?? str(a, 'agent.name');
  if (direct !== null) return direct;
  if (a['traceloop.span.kind'] === 'agent') {
    const entity = str(a, 'traceloop.entity.name');
    if (entity !== null) return entity;
  }
  return str(a, 'traceloop.workflow.name');
}

/** The name of the agent an agent span invokes (its own name before any inherited workflow name). */
function ownAgentName(a: Attributes, spanName: string): string | null {
  const direct = str(a, 'gen_ai.agent.name') ?? str(a, 'agent.name');
  if (direct !== null) return direct;
  const entity = a['traceloop.span.kind'] === 'agent' ? str(a, 'traceloop.entity.name') : null;
  if (entity !== null) return entity;
  for (const prefix of ['invoke_agent ', 'create_agent ']) {
    if (spanName.startsWith(prefix) && spanName.length > prefix.length) return spanName.slice(prefix.length);
  }
  if (spanName.endsWith('.agent') && spanName.length > 6) return spanName.slice(0, -6);
  return str(a, 'traceloop.workflow.name');
}

/** HTTP 429, or an error class that names a rate limit / throttling (RateLimitError, ThrottlingException, "429"). */
export function isRateLimited(httpStatus: number | null, errorType: string | null): boolean {
  if (httpStatus === 429) return true;
  if (errorType === null) return false;
  if (errorType === '429') return true;
  const t = errorType.toLowerCase();
  return t.includes('ratelimit') || t.includes('rate_limit') || t.includes('throttl') || t.includes('toomanyrequests');
}

function lowerOrNull(v: string | null): string | null {
  return v === null ? null : v.toLowerCase();
}
