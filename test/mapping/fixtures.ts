import type { OtlpSpan } from '../../src/otlp/model.js';
import { ROOT_ID, event, span } from './helpers.js';

/**
 * One span per dialect and case. Every content string holds CANARY; names, ids, models, error classes and
 * finish reasons never do (they are kept as they are by design).
 */
export const CANARY = 'CANARY-7f3a9c';

const j = (v: unknown): string => JSON.stringify(v);

// --- OTel GenAI semconv, current (v1.37+) -----------------------------------------------------------------

export const semconvChat = span({
  name: 'chat gpt-4o',
  startMs: 100,
  endMs: 1600,
  attributes: {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': 'openai',
    'gen_ai.request.model': 'gpt-4o',
    'gen_ai.response.model': 'gpt-4o-2024-08-06',
    'gen_ai.request.max_tokens': 512,
    'gen_ai.usage.input_tokens': 120,
    'gen_ai.usage.output_tokens': 30,
    'gen_ai.system_instructions': j([{ type: 'text', content: `You are a weather bot ${CANARY}` }]),
    'gen_ai.input.messages': j([
      { role: 'user', parts: [{ type: 'text', content: `Weather in Paris? ${CANARY}` }] },
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: { city: `Paris ${CANARY}` } }] },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_1', result: `sunny ${CANARY}` }] },
    ]),
    'gen_ai.output.messages': j([
      {
        role: 'assistant',
        parts: [
          { type: 'text', content: `Checking the forecast ${CANARY}` },
          { type: 'tool_call', id: 'call_2', name: 'get_forecast', arguments: { city: `Paris ${CANARY}` } },
        ],
        finish_reason: 'tool_call',
      },
    ]),
    'gen_ai.tool.definitions': j([
      { type: 'function', name: 'get_weather', description: `Weather ${CANARY}`, parameters: { type: 'object' } },
      { type: 'function', name: 'get_forecast', description: `Forecast ${CANARY}` },
    ]),
    'gen_ai.response.finish_reasons': ['tool_call'],
  },
});

export const semconvTool = span({
  name: 'execute_tool get_weather',
  startMs: 1700,
  endMs: 1900,
  attributes: {
    'gen_ai.operation.name': 'execute_tool',
    'gen_ai.tool.name': 'get_weather',
    'gen_ai.tool.call.id': 'call_1',
    'gen_ai.tool.type': 'function',
    'gen_ai.tool.description': `Weather lookup ${CANARY}`,
    'gen_ai.tool.call.arguments': j({ city: `Paris ${CANARY}` }),
    'gen_ai.tool.call.result': j({ forecast: `sunny ${CANARY}` }),
  },
});

// --- GenAI legacy names (gen_ai.system, prompt/completion tokens) ----------------------------------------

export const legacyGenAi = span({
  name: 'chat claude-3-5-sonnet',
  attributes: {
    'gen_ai.system': 'Anthropic',
    'gen_ai.request.model': 'claude-3-5-sonnet',
    'gen_ai.usage.prompt_tokens': 50,
    'gen_ai.usage.completion_tokens': 10,
    'llm.usage.total_tokens': 60,
    'gen_ai.response.finish_reasons': ['end_turn'],
    'gen_ai.prompt': `Summarise this ${CANARY}`,
    'gen_ai.completion': `A summary ${CANARY}`,
  },
});

// --- OpenLLMetry JS ≥ 0.23: workflow root, chat span, execute_tool (LangChain), invoke_agent ---------------

export const openllmetryWorkflowRoot = span({
  name: 'joke_generator.workflow',
  parentSpanId: '',
  spanId: ROOT_ID,
  startMs: 0,
  endMs: 5000,
  resource: { 'service.name': 'joke-app', 'service.version': '1.4.2', 'dunetrace.agent_id': 'jokes' },
  attributes: {
    'traceloop.span.kind': 'workflow',
    'traceloop.entity.name': 'joke_generator',
    'traceloop.workflow.name': 'joke_generator',
    'traceloop.entity.input': j({ args: [`Tell me a joke about ${CANARY}`], kwargs: {} }),
    'traceloop.entity.output': j(`Why did the ${CANARY} cross the road`),
  },
});

export const openllmetryChat = span({
  name: 'chat gpt-4o',
  kind: 3,
  attributes: {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': 'openai',
    'gen_ai.request.model': 'gpt-4o',
    'gen_ai.response.model': 'gpt-4o-2024-08-06',
    'gen_ai.usage.input_tokens': 40,
    'gen_ai.usage.output_tokens': 12,
    'gen_ai.usage.total_tokens': 52,
    'gen_ai.usage.cache_read.input_tokens': 0,
    'gen_ai.response.finish_reasons': ['stop'],
    'traceloop.workflow.name': 'joke_generator',
    'traceloop.entity.path': 'joke_generator',
    'gen_ai.input.messages': j([
      { role: 'system', parts: [{ type: 'text', content: `Be funny ${CANARY}` }] },
      { role: 'user', parts: [{ type: 'text', content: `Tell me a joke about ${CANARY}` }] },
    ]),
    'gen_ai.output.messages': j([{ role: 'assistant', parts: [{ type: 'text', content: `Why did the ${CANARY} cross the road` }], finish_reason: 'stop' }]),
  },
});

export const openllmetryExecuteTool = span({
  name: 'execute_tool search',
  attributes: {
    'gen_ai.operation.name': 'execute_tool',
    'gen_ai.provider.name': 'langchain',
    'traceloop.span.kind': 'task',
    'traceloop.entity.name': 'search',
    'traceloop.workflow.name': 'joke_generator',
    'traceloop.entity.input': j({ args: [], kwargs: { query: `jokes about ${CANARY}` } }),
    'traceloop.entity.output': j(`3 results ${CANARY}`),
  },
});

export const openllmetryAgent = span({
  name: 'invoke_agent researcher',
  attributes: {
    'gen_ai.operation.name': 'invoke_agent',
    'gen_ai.agent.name': 'researcher',
    'traceloop.workflow.name': 'joke_generator',
    'gen_ai.input.messages': j([{ role: 'user', parts: [{ type: 'text', content: `Research ${CANARY}` }] }]),
    'gen_ai.output.messages': j([{ role: 'assistant', parts: [{ type: 'text', content: `Found ${CANARY}` }] }]),
  },
});

// --- Legacy Traceloop (openllmetry-js ≤ 0.22, Python < 0.55) ----------------------------------------------

export const legacyTraceloopChat = span({
  name: 'openai.chat',
  attributes: {
    'llm.request.type': 'chat',
    'gen_ai.system': 'OpenAI',
    'gen_ai.request.model': 'gpt-4',
    'gen_ai.response.model': 'gpt-4-0613',
    'gen_ai.usage.prompt_tokens': 80,
    'gen_ai.usage.completion_tokens': 20,
    'llm.usage.total_tokens': 100,
    'gen_ai.prompt.0.role': 'system',
    'gen_ai.prompt.0.content': `You are a travel agent ${CANARY}`,
    'gen_ai.prompt.1.role': 'user',
    'gen_ai.prompt.1.content': `Book Rome ${CANARY}`,
    'gen_ai.completion.0.role': 'assistant',
    'gen_ai.completion.0.content': '',
    'gen_ai.completion.0.finish_reason': 'tool_calls',
    'gen_ai.completion.0.tool_calls.0.id': 'call_9',
    'gen_ai.completion.0.tool_calls.0.name': 'book_flight',
    'gen_ai.completion.0.tool_calls.0.arguments': j({ to: `Rome ${CANARY}` }),
    'gen_ai.completion.0.tool_calls.1.name': 'book_hotel',
    'gen_ai.completion.0.tool_calls.1.arguments': j({ city: `Rome ${CANARY}` }),
    'llm.request.functions.0.name': 'book_flight',
    'llm.request.functions.0.description': `Books a flight ${CANARY}`,
    'llm.request.functions.0.parameters': j({ type: 'object', description: CANARY }),
    'llm.request.functions.1.name': 'book_hotel',
  },
});

export const legacyTraceloopFunctionCall = span({
  name: 'openai.completion',
  attributes: {
    'llm.request.type': 'completion',
    'gen_ai.system': 'Azure',
    'gen_ai.request.model': 'gpt-35-turbo',
    'gen_ai.prompt.0.role': 'user',
    'gen_ai.prompt.0.content': `What time is it ${CANARY}`,
    'gen_ai.completion.0.role': 'assistant',
    'gen_ai.completion.0.finish_reason': 'function_call',
    'gen_ai.completion.0.function_call.name': 'get_time',
    'gen_ai.completion.0.function_call.arguments': j({ tz: `CET ${CANARY}` }),
  },
});

export const legacyTraceloopTool = span({
  name: 'book_flight.tool',
  attributes: {
    'traceloop.span.kind': 'tool',
    'traceloop.entity.name': 'book_flight',
    'traceloop.workflow.name': 'travel',
    'traceloop.entity.input': j({ args: [{ to: `Rome ${CANARY}` }], kwargs: {} }),
    'traceloop.entity.output': j({ ok: true, ref: `${CANARY}` }),
  },
});

// --- OpenInference -----------------------------------------------------------------------------------------

export const openInferenceLlm = span({
  name: 'ChatCompletion',
  attributes: {
    'openinference.span.kind': 'LLM',
    'llm.model_name': 'gpt-4o-mini',
    'llm.provider': 'openai',
    'llm.system': 'openai',
    'llm.token_count.prompt': 33,
    'llm.token_count.completion': 7,
    'llm.token_count.total': 40,
    'input.value': j({ messages: [{ role: 'user', content: `Hi ${CANARY}` }] }),
    'input.mime_type': 'application/json',
    'output.value': j({ choices: [{ message: { content: `Hello ${CANARY}` } }] }),
    'llm.input_messages.0.message.role': 'system',
    'llm.input_messages.0.message.content': `Be kind ${CANARY}`,
    'llm.input_messages.1.message.role': 'user',
    'llm.input_messages.1.message.content': `Hi ${CANARY}`,
    'llm.output_messages.0.message.role': 'assistant',
    'llm.output_messages.0.message.content': `Hello ${CANARY}`,
    'llm.output_messages.0.message.tool_calls.0.tool_call.id': 'call_oi',
    'llm.output_messages.0.message.tool_calls.0.tool_call.function.name': 'lookup',
    'llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments': j({ q: CANARY }),
    'llm.tools.0.tool.json_schema': j({ type: 'function', function: { name: 'lookup', description: CANARY } }),
    'llm.invocation_parameters': j({ temperature: 0 }),
  },
});

export const openInferenceTool = span({
  name: 'lookup',
  attributes: {
    'openinference.span.kind': 'TOOL',
    'tool.name': 'lookup',
    'tool.description': `Looks things up ${CANARY}`,
    'tool.parameters': j({ q: { type: 'string', description: CANARY } }),
    'input.value': j({ q: CANARY }),
    'output.value': `found ${CANARY}`,
  },
});

export const openInferenceRetriever = span({
  name: 'VectorStoreRetriever',
  attributes: {
    'openinference.span.kind': 'RETRIEVER',
    'input.value': `capital of France ${CANARY}`,
    'retrieval.documents.0.document.id': `doc-${CANARY}`,
    'retrieval.documents.0.document.score': 0.82,
    'retrieval.documents.0.document.content': `Paris is the capital ${CANARY}`,
    'retrieval.documents.1.document.id': `doc2-${CANARY}`,
    'retrieval.documents.1.document.score': 0.41,
    'retrieval.documents.1.document.content': `France ${CANARY}`,
  },
});

export const openInferenceAgent = span({
  name: 'agent',
  attributes: {
    'openinference.span.kind': 'AGENT',
    'agent.name': 'planner',
    'input.value': `plan a trip ${CANARY}`,
    'output.value': `a plan ${CANARY}`,
  },
});

// --- Vector DB retrieval ------------------------------------------------------------------------------------

export const pineconeQuery = span({
  name: 'pinecone.query',
  attributes: {
    'db.system': 'Pinecone',
    'db.operation': 'query',
    'db.vector.query.top_k': 3,
    'db.vector.query.include_metadata': true,
    'db.vector.query.namespace': 'prod',
    'db.vector.query.metadata_filter': j({ user: CANARY }),
  },
  events: [
    event('db.query.embeddings', { 'db.query.embeddings.vector': [0.1, 0.2, 0.3] }),
    event('db.query.result', { 'db.query.result.id': `a-${CANARY}`, 'db.query.result.score': 0.91, 'db.query.result.metadata': j({ text: CANARY }) }),
    event('db.query.result', { 'db.query.result.id': `b-${CANARY}`, 'db.query.result.score': 0.77, 'db.query.result.metadata': j({ text: CANARY }) }),
  ],
});

export const qdrantSearch = span({
  name: 'qdrant.search',
  attributes: {
    'db.system': 'qdrant',
    'db.vector.query.top_k': 5,
    'db.vector.table_name': 'docs',
    'db.vector.query.result.matches_length': 2,
    'db.vector.query.result.0.score': 0.35,
    'db.vector.query.result.0.id': `q1-${CANARY}`,
    'db.vector.query.result.1.score': 0.2,
    'db.vector.query.result.1.metadata': j({ text: CANARY }),
  },
});

export const genAiRetrieval = span({
  name: 'retrieval kb',
  attributes: {
    'gen_ai.operation.name': 'retrieval',
    'gen_ai.data_source.id': 'kb',
    'gen_ai.provider.name': 'weaviate',
    'gen_ai.request.top_k': 4,
    'gen_ai.retrieval.query.text': `refund policy ${CANARY}`,
    'gen_ai.retrieval.documents': j([
      { id: `d1-${CANARY}`, score: 0.8 },
      { id: `d2-${CANARY}`, score: 0.4 },
      { id: `d3-${CANARY}`, score: 0.1 },
    ]),
  },
});

// --- Errors and rate limits ----------------------------------------------------------------------------------

export const failedToolStatus = span({
  name: 'execute_tool charge_card',
  status: { code: 2, message: `card declined for ${CANARY}` },
  attributes: {
    'gen_ai.operation.name': 'execute_tool',
    'gen_ai.tool.name': 'charge_card',
    'error.type': 'PaymentError',
    'gen_ai.tool.call.arguments': j({ card: CANARY }),
  },
});

export const failedToolException = span({
  name: 'fetch_page.tool',
  attributes: {
    'traceloop.span.kind': 'tool',
    'traceloop.entity.name': 'fetch_page',
    'traceloop.entity.input': j({ args: [`https://example.com/${CANARY}`], kwargs: {} }),
  },
  events: [
    event('exception', {
      'exception.type': 'TimeoutError',
      'exception.message': `timed out fetching ${CANARY}`,
      'exception.stacktrace': `Traceback ... ${CANARY}`,
      'exception.escaped': false,
    }),
  ],
});

export const erroredRoot = span({
  name: 'checkout.workflow',
  parentSpanId: '',
  spanId: ROOT_ID,
  status: { code: 2, message: `workflow failed: ${CANARY}` },
  attributes: {
    'traceloop.span.kind': 'workflow',
    'traceloop.entity.name': 'checkout',
    'traceloop.entity.input': j({ args: [`order ${CANARY}`], kwargs: {} }),
    'error.type': 'CheckoutError',
  },
  events: [event('exception', { 'exception.type': 'CheckoutError', 'exception.message': `boom ${CANARY}` })],
});

export const rateLimitedChat = span({
  name: 'chat gpt-4o',
  status: { code: 2, message: `Rate limit reached for ${CANARY}` },
  attributes: {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': 'openai',
    'gen_ai.request.model': 'gpt-4o',
    'http.response.status_code': 429,
    'error.type': '429',
    'gen_ai.input.messages': j([{ role: 'user', parts: [{ type: 'text', content: `hello ${CANARY}` }] }]),
  },
});

/** Every fixture, for the privacy and redaction equivalence tests. */
export const DIALECT_FIXTURES: Record<string, OtlpSpan> = {
  semconvChat,
  semconvTool,
  legacyGenAi,
  openllmetryWorkflowRoot,
  openllmetryChat,
  openllmetryExecuteTool,
  openllmetryAgent,
  legacyTraceloopChat,
  legacyTraceloopFunctionCall,
  legacyTraceloopTool,
  openInferenceLlm,
  openInferenceTool,
  openInferenceRetriever,
  openInferenceAgent,
  pineconeQuery,
  qdrantSearch,
  genAiRetrieval,
  failedToolStatus,
  failedToolException,
  erroredRoot,
  rateLimitedChat,
};
