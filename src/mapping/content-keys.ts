/**
 * What counts as content: the attribute keys and indexed key families whose values are (or may contain) prompts,
 * completions, tool arguments/results, retrieved documents or error messages. Redaction digests exactly these;
 * everything else leaves the process unchanged. Deny by default inside a family: only listed structural suffixes
 * (roles, names, ids, finish reasons, scores) are not content. A new dialect's content keys go here.
 */

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
  // GenAI memory operations: the records written/returned and the search query
  'gen_ai.memory.records',
  'gen_ai.memory.query.text',
  // the original's OTLP mapper reads retrieval content from these
  'retrieval.documents',
  'db.query.results',
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
  // the request's parameters as sent: tool definitions with their descriptions, response schemas
  'llm.invocation_parameters',
  // the app's own free-form metadata (user ids, LangGraph checkpoint namespaces, …)
  'metadata',
  // Errors (span events)
  'exception.message',
  'exception.stacktrace',
  // Vector DB span events
  'db.query.embeddings.vector',
  // Genkit (mapping/dialects/genkit.ts): every step's input/output, an action's init, the request context
  'genkit:input',
  'genkit:output',
  'genkit:init',
  'genkit:metadata:context',
  // Vercel AI SDK (mapping/dialects/vercel-ai.ts), Langfuse, MLflow (not mapped, but never exported raw)
  'ai.response.providerMetadata',
  'ai.schema',
  'ai.schema.description',
  'ai.documents',
  'ai.ranking',
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
  // Vercel AI SDK: the app's own metadata (user/session ids …) and the request headers it passed (may hold secrets).
  { prefix: 'ai.telemetry.metadata.', structural: [] },
  { prefix: 'ai.request.headers.', structural: [] },
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
