import { describe, expect, it } from 'vitest';
import type { Attributes } from '../../src/otlp/model.js';
import { classify, classifyName } from '../../src/mapping/index.js';

describe('classify', () => {
  const cases: Array<[string, string, Attributes, string]> = [
    // 1. gen_ai.operation.name decides first
    ['op chat', 'x', { 'gen_ai.operation.name': 'chat' }, 'llm'],
    ['op text_completion', 'x', { 'gen_ai.operation.name': 'text_completion' }, 'llm'],
    ['op generate_content', 'x', { 'gen_ai.operation.name': 'generate_content' }, 'llm'],
    ['op embeddings is not an LLM step', 'embeddings text-embedding-3', { 'gen_ai.operation.name': 'embeddings', 'gen_ai.request.model': 'm' }, 'other'],
    [
      'op execute_tool beats provider',
      'x',
      { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.provider.name': 'langchain', 'traceloop.span.kind': 'task' },
      'tool',
    ],
    ['op retrieval', 'x', { 'gen_ai.operation.name': 'retrieval' }, 'retrieval'],
    ['op invoke_agent', 'x', { 'gen_ai.operation.name': 'invoke_agent' }, 'agent'],
    ['op create_agent', 'x', { 'gen_ai.operation.name': 'create_agent' }, 'agent'],
    ['op invoke_workflow', 'x', { 'gen_ai.operation.name': 'invoke_workflow' }, 'workflow'],
    ['op workflow (OpenLLMetry LangChain)', 'x', { 'gen_ai.operation.name': 'workflow' }, 'workflow'],
    ['op is case-insensitive', 'x', { 'gen_ai.operation.name': 'Chat' }, 'llm'],
    ['unknown op falls through', 'x', { 'gen_ai.operation.name': 'custom_thing', 'gen_ai.tool.name': 't' }, 'tool'],
    // 2. llm.request.type
    ['llm.request.type chat', 'x', { 'llm.request.type': 'chat' }, 'llm'],
    ['llm.request.type completion', 'x', { 'llm.request.type': 'completion' }, 'llm'],
    ['llm.request.type embedding', 'x', { 'llm.request.type': 'embedding', 'gen_ai.system': 'openai' }, 'other'],
    ['llm.request.type unknown falls through', 'x', { 'llm.request.type': 'unknown', 'gen_ai.system': 'openai' }, 'llm'],
    // 3. traceloop.span.kind
    ['traceloop workflow', 'x', { 'traceloop.span.kind': 'workflow' }, 'workflow'],
    ['traceloop task', 'x', { 'traceloop.span.kind': 'task' }, 'task'],
    ['traceloop agent', 'x', { 'traceloop.span.kind': 'agent' }, 'agent'],
    ['traceloop tool', 'x', { 'traceloop.span.kind': 'tool' }, 'tool'],
    // 4. openinference.span.kind
    ['OI LLM', 'x', { 'openinference.span.kind': 'LLM' }, 'llm'],
    ['OI TOOL', 'x', { 'openinference.span.kind': 'TOOL' }, 'tool'],
    ['OI RETRIEVER', 'x', { 'openinference.span.kind': 'RETRIEVER' }, 'retrieval'],
    ['OI AGENT', 'x', { 'openinference.span.kind': 'AGENT' }, 'agent'],
    ['OI CHAIN', 'x', { 'openinference.span.kind': 'CHAIN' }, 'workflow'],
    ['OI EMBEDDING', 'x', { 'openinference.span.kind': 'EMBEDDING', 'llm.model_name': 'm' }, 'other'],
    // 5. presence of model/provider
    ['gen_ai.request.model', 'x', { 'gen_ai.request.model': 'gpt-4o' }, 'llm'],
    ['gen_ai.provider.name', 'x', { 'gen_ai.provider.name': 'openai' }, 'llm'],
    ['gen_ai.system', 'x', { 'gen_ai.system': 'OpenAI' }, 'llm'],
    ['llm.request.model', 'x', { 'llm.request.model': 'm' }, 'llm'],
    ['llm.model_name', 'x', { 'llm.model_name': 'm' }, 'llm'],
    // 6. tool name
    ['gen_ai.tool.name', 'x', { 'gen_ai.tool.name': 'search' }, 'tool'],
    ['tool.name', 'x', { 'tool.name': 'search' }, 'tool'],
    // 7. vector DBs
    ['Pinecone capitalised', 'x', { 'db.system': 'Pinecone' }, 'retrieval'],
    ['qdrant lower-case', 'x', { 'db.system': 'qdrant' }, 'retrieval'],
    ['ChromaDB', 'x', { 'db.system': 'ChromaDB' }, 'retrieval'],
    ['db.system.name (new semconv)', 'x', { 'db.system.name': 'weaviate' }, 'retrieval'],
    ['redis alone is not retrieval', 'GET', { 'db.system': 'redis' }, 'other'],
    ['redis with a vector query is', 'FT.SEARCH', { 'db.system': 'redis', 'db.vector.query.top_k': 5 }, 'retrieval'],
    ['postgres is not retrieval', 'SELECT', { 'db.system': 'postgresql' }, 'other'],
    // 8. names
    ['name chat X', 'chat gpt-4o', {}, 'llm'],
    ['name execute_tool X', 'execute_tool search', {}, 'tool'],
    ['name invoke_agent X', 'invoke_agent planner', {}, 'agent'],
    ['name invoke_agent alone', 'invoke_agent', {}, 'agent'],
    ['name *.chat', 'anthropic.chat', {}, 'llm'],
    ['name *.completion', 'openai.completion', {}, 'llm'],
    ['name *.workflow', 'joke.workflow', {}, 'workflow'],
    ['name *.task', 'fetch.task', {}, 'task'],
    ['name *.agent', 'planner.agent', {}, 'agent'],
    ['name *.tool', 'search.tool', {}, 'tool'],
    ['name pinecone.query', 'pinecone.query', {}, 'retrieval'],
    ['name qdrant.search', 'qdrant.search', {}, 'retrieval'],
    ['name pinecone.upsert is a write', 'pinecone.upsert', {}, 'other'],
    ['name chatter is not chat', 'chatter', {}, 'other'],
    ['name invoke_agents is not invoke_agent', 'invoke_agents_list', {}, 'other'],
    ['plain HTTP span', 'GET /v1/chat/completions', { 'http.request.method': 'GET' }, 'other'],
  ];

  for (const [title, name, attrs, expected] of cases) {
    it(title, () => expect(classify(name, attrs)).toBe(expected));
  }

  it('never depends on content attributes', () => {
    const base: Attributes = { 'gen_ai.tool.name': 'x' };
    const withContent: Attributes = { ...base, 'gen_ai.input.messages': '[]', 'input.value': 'q', 'gen_ai.retrieval.query.text': 'q' };
    expect(classify('s', withContent)).toBe(classify('s', base));
    expect(classify('s', { 'gen_ai.retrieval.documents': '[]' })).toBe('other');
  });

  it('classifyName is exported for name-only decisions', () => {
    expect(classifyName('text_completion gpt-3.5-turbo-instruct')).toBe('llm');
  });
});
