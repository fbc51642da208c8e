import type { Attributes } from '../otlp/model.js';
import { dialectCategory } from './dialects/index.js';
import type { SpanCategory } from './events.js';

/**
 * Span category from attributes and the span name only, never from content (content is opt-in, so a span must
 * classify the same with or without it, and the same before and after redaction).
 *
 * Precedence, first decisive signal wins:
 *  0. a framework dialect's own vocabulary (Vercel AI SDK ai.operationId, Genkit genkit:type; see dialects/)
 *  1. gen_ai.operation.name   2. llm.request.type   3. traceloop.span.kind   4. openinference.span.kind
 *  5. a model/provider attribute → llm   6. a tool name → tool   7. a vector DB (db.system / any db.vector.query.*) → retrieval
 *  8. span-name patterns.
 * An explicit operation that is not an agent step (embeddings, rerank) is decisive too: → 'other'. Embedding calls
 * have no output text and no finish reason; counting them as LLM calls would skew the LLM-call-based detectors
 * (reasoning stall, context bloat, truncation), and they are not a retrieval (no results).
 */

const OPERATION: Record<string, SpanCategory> = {
  chat: 'llm',
  text_completion: 'llm',
  generate_content: 'llm',
  completion: 'llm',
  embeddings: 'other',
  embedding: 'other',
  rerank: 'other',
  execute_tool: 'tool',
  retrieval: 'retrieval',
  invoke_agent: 'agent',
  create_agent: 'agent',
  invoke_workflow: 'workflow',
  workflow: 'workflow',
};

const LLM_REQUEST_TYPE: Record<string, SpanCategory> = {
  chat: 'llm',
  completion: 'llm',
  embedding: 'other',
  embeddings: 'other',
  rerank: 'other',
};

const TRACELOOP_KIND: Record<string, SpanCategory> = {
  workflow: 'workflow',
  task: 'task',
  agent: 'agent',
  tool: 'tool',
};

const OPENINFERENCE_KIND: Record<string, SpanCategory> = {
  llm: 'llm',
  tool: 'tool',
  retriever: 'retrieval',
  agent: 'agent',
  chain: 'workflow',
  embedding: 'other',
  reranker: 'other',
};

const MODEL_KEYS = ['gen_ai.request.model', 'gen_ai.provider.name', 'gen_ai.system', 'llm.request.model', 'llm.model_name'];
const TOOL_KEYS = ['gen_ai.tool.name', 'tool.name'];

/**
 * Vector databases, lower-case. Elasticsearch, OpenSearch and Redis are deliberately absent: they are mostly used
 * as ordinary stores (a Redis GET is not a retrieval); their vector queries still classify through db.vector.query.*.
 */
export const VECTOR_DB_SYSTEMS: ReadonlySet<string> = new Set([
  'pinecone',
  'qdrant',
  'chroma',
  'chromadb',
  'weaviate',
  'milvus',
  'zilliz',
  'lancedb',
  'pgvector',
  'faiss',
  'marqo',
  'vespa',
  'turbopuffer',
]);

const RETRIEVAL_KEYS = ['retrieval.index_name', 'vector_db.vendor', 'vector_db.collection_name'];

function lookup(table: Record<string, SpanCategory>, v: unknown): SpanCategory | undefined {
  if (typeof v !== 'string' || v.length === 0) return undefined;
  const key = v.toLowerCase();
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** The vendor a span talks to when it is a vector DB, lower-case: db.system.name → db.system → vector_db.vendor. */
export function vectorVendor(attrs: Attributes): string | null {
  for (const key of ['db.system.name', 'db.system', 'vector_db.vendor']) {
    const v = attrs[key];
    if (typeof v === 'string' && v.length > 0) return v.toLowerCase();
  }
  return null;
}

export interface ClassifyHints {
  /** Whether any `db.vector.query.*` key is present (computed by the single attribute pass). */
  hasVectorQuery?: boolean;
}

export function classify(name: string, attrs: Attributes, hints: ClassifyHints = {}): SpanCategory {
  return classifySpan(name, attrs, hints).category;
}

/**
 * The category, and whether anything recognised the span: `recognised` is false when no vocabulary decided (the span
 * fell through to 'other'), the case the ingest-health report counts as "accepted but not understood". An explicit
 * non-step operation (embeddings, rerank) is recognised.
 */
export function classifySpan(name: string, attrs: Attributes, hints: ClassifyHints = {}): { category: SpanCategory; recognised: boolean } {
  const category = decide(attrs, hints);
  if (category !== UNRECOGNISED) return { category, recognised: true };
  const byName = dialectCategory(attrs) === null ? 'other' : classifyName(name);
  return { category: byName, recognised: byName !== 'other' || name.startsWith('embeddings ') };
}

/** Marks the fall-through of decide(): only span-name conventions are left. */
const UNRECOGNISED = 'unrecognised' as const;

function decide(attrs: Attributes, hints: ClassifyHints): SpanCategory | typeof UNRECOGNISED {
  const byDialect = dialectCategory(attrs);
  if (byDialect !== undefined && byDialect !== null) return byDialect;
  const byOp = lookup(OPERATION, attrs['gen_ai.operation.name']);
  if (byOp !== undefined) return byOp;
  const byType = lookup(LLM_REQUEST_TYPE, attrs['llm.request.type']);
  if (byType !== undefined) return byType;
  const byTraceloop = lookup(TRACELOOP_KIND, attrs['traceloop.span.kind']);
  if (byTraceloop !== undefined) return byTraceloop;
  const byOi = lookup(OPENINFERENCE_KIND, attrs['openinference.span.kind']);
  if (byOi !== undefined) return byOi;
  for (const k of MODEL_KEYS) if (isSet(attrs[k])) return 'llm';
  for (const k of TOOL_KEYS) if (isSet(attrs[k])) return 'tool';
  const vendor = vectorVendor(attrs);
  if (vendor !== null && VECTOR_DB_SYSTEMS.has(vendor)) return 'retrieval';
  const hasVectorQuery = hints.hasVectorQuery ?? Object.keys(attrs).some((k) => k.startsWith('db.vector.query.'));
  if (hasVectorQuery) return 'retrieval';
  for (const k of RETRIEVAL_KEYS) if (isSet(attrs[k])) return 'retrieval';
  // A framework's span names are its users' names (a Genkit tool may be called `search.tool`): no evidence (classifySpan).
  return UNRECOGNISED;
}

function isSet(v: unknown): boolean {
  return v !== undefined && v !== null && v !== '';
}

/** First word of a `{operation} {name}` span name → category. */
const NAME_FIRST_WORD: ReadonlyMap<string, SpanCategory> = new Map([
  ['chat', 'llm'],
  ['text_completion', 'llm'],
  ['generate_content', 'llm'],
  ['execute_tool', 'tool'],
  ['invoke_agent', 'agent'],
  ['create_agent', 'agent'],
  ['invoke_workflow', 'workflow'],
  ['workflow', 'workflow'],
  ['retrieval', 'retrieval'],
  ['embeddings', 'other'],
]);

/** Operations whose span name may be the bare operation (no name to append). */
const NAME_STANDALONE: ReadonlySet<string> = new Set(['invoke_agent', 'create_agent', 'invoke_workflow', 'retrieval']);

/** Traceloop `{entity}.{kind}` and `{vendor}.{chat|completion}` suffixes. */
const NAME_SUFFIX: ReadonlyMap<string, SpanCategory> = new Map([
  ['chat', 'llm'],
  ['completion', 'llm'],
  ['workflow', 'workflow'],
  ['task', 'task'],
  ['agent', 'agent'],
  ['tool', 'tool'],
]);

/**
 * Span-name conventions: `{operation} {model}`, Traceloop `{name}.{kind}`, `{vector db}.{query|search…}`.
 * Map lookups on the first word / last segment, not a list of prefix tests: most spans that reach this point are
 * plain HTTP/DB spans that match nothing.
 */
export function classifyName(name: string): SpanCategory {
  const space = name.indexOf(' ');
  const first = space === -1 ? name : name.slice(0, space);
  const byWord = NAME_FIRST_WORD.get(first);
  if (byWord !== undefined && ((space !== -1 && space < name.length - 1) || NAME_STANDALONE.has(first))) return byWord;
  const lastDot = name.lastIndexOf('.');
  if (lastDot <= 0 || lastDot === name.length - 1) return 'other';
  const bySuffix = NAME_SUFFIX.get(name.slice(lastDot + 1));
  if (bySuffix !== undefined) return bySuffix;
  const dot = name.indexOf('.');
  if (VECTOR_DB_SYSTEMS.has(name.slice(0, dot).toLowerCase())) {
    const method = name.slice(dot + 1).toLowerCase();
    if (method.includes('query') || method.includes('search')) return 'retrieval';
  }
  return 'other';
}
