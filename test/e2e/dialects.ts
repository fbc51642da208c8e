/**
 * Renders a Scenario as an OTLP/JSON export request in one of three span dialects (see
 * /work/shared/reference/otel-genai-otlp.md §1-2):
 *
 *  - openllmetry: OpenLLMetry JS ≥ 0.23 (OTel 1.40 conventions): `{name}.workflow` entity roots, `chat {model}` with
 *    gen_ai.provider.name / input_tokens / output_tokens / gen_ai.input|output.messages (parts, `tool_call` finish
 *    reason as the JS SDK normalises it), LangChain-style `execute_tool {name}` task spans, `pinecone.query` with
 *    db.query.result events, `invoke_agent {name}` agent spans; errors as status + exception event + error.type.
 *  - traceloop: legacy Traceloop (openllmetry-js ≤ 0.22): `openai.chat` with gen_ai.system=OpenAI, llm.request.type,
 *    prompt/completion token names, indexed gen_ai.prompt.N / gen_ai.completion.N (tool_calls.M), llm.request.functions,
 *    `{name}.tool` / `{name}.agent` entity spans, `qdrant.search` with indexed db.vector.query.result.N; errors as
 *    status + exception event (no error.type), HTTP 429 in old HTTP semconv (http.status_code).
 *  - semconv: plain OTel GenAI semconv (v1.37+): `invoke_agent` / `invoke_workflow` roots, `chat {model}`,
 *    `execute_tool {name}` with gen_ai.tool.call.arguments|result, `retrieval {source}` with gen_ai.retrieval.documents;
 *    errors as status ERROR + error.type.
 *
 * Every content string (inputs, prompts, replies, arguments, results, queries, documents, error messages, tool
 * descriptions) carries the canary; names (models, tools, agents, indexes, error classes) never do.
 */
import { randomBytes } from 'node:crypto';
import { layout, type AgentStep, type Finish, type LlmStep, type Placed, type RetrievalStep, type Scenario, type ToolStep } from './scenario.js';

export const DIALECTS = ['openllmetry', 'traceloop', 'semconv'] as const;
export type Dialect = (typeof DIALECTS)[number];

export type AttrInput = string | number | boolean | string[];

export interface JsonSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: { key: string; value: object }[];
  events: { name: string; timeUnixNano: string; attributes: { key: string; value: object }[] }[];
  status: { code?: number; message?: string };
}

export interface RenderOptions {
  canary: string;
  /** Epoch ms of the root's start (default: 30 minutes ago, so even a 6-minute run lies in the past). */
  t0?: number;
  traceId?: string;
  agentId: string;
  agentVersion?: string;
}

export interface Rendered {
  traceId: string;
  /** In depth-first start order; the root (when rendered) first. */
  spans: JsonSpan[];
  resource: Record<string, string>;
  /** The whole run as one export request. */
  body: string;
  /** Index name the mapping reads for retrievals in this dialect (Pinecone spans name no index: the span name). */
  indexName(index: string): string;
}

const KIND = { INTERNAL: 1, CLIENT: 3 } as const;

export const hex = (bytes: number): string => randomBytes(bytes).toString('hex');
export const newTraceId = (): string => hex(16);

function value(v: AttrInput): object {
  if (Array.isArray(v)) return { arrayValue: { values: v.map((x) => ({ stringValue: x })) } };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
  return { stringValue: v };
}

function attrs(o: Record<string, AttrInput | undefined | null>): { key: string; value: object }[] {
  return Object.entries(o)
    .filter((e): e is [string, AttrInput] => e[1] !== undefined && e[1] !== null)
    .map(([key, v]) => ({ key, value: value(v) }));
}

const nanos = (ms: number): string => String(BigInt(Math.round(ms * 1000)) * 1000n);

/** One OTLP/JSON export request holding `spans` under one resource. */
export function exportBody(spans: JsonSpan[], resource: Record<string, string>, scope = 'e2e'): string {
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: attrs(resource) },
        scopeSpans: [{ scope: { name: scope, version: '0.0.0' }, spans }],
      },
    ],
  });
}

const SCOPE: Record<Dialect, string> = {
  openllmetry: '@traceloop/node-server-sdk',
  traceloop: '@traceloop/node-server-sdk',
  semconv: 'e2e-genai-semconv',
};

/** Finish reasons as each emitter writes them (OpenLLMetry JS normalises tool calls to `tool_call`). */
function finishOf(step: LlmStep): Finish {
  return step.finish ?? ((step.tool_calls?.length ?? 0) > 0 ? 'tool_calls' : 'stop');
}

interface Ctx {
  d: Dialect;
  s: Scenario;
  canary: string;
  t0: number;
  traceId: string;
  rootId: string;
  spans: JsonSpan[];
  llmIndex: number;
  toolCallSeq: number;
}

export function render(s: Scenario, d: Dialect, o: RenderOptions): Rendered {
  const traceId = o.traceId ?? newTraceId();
  const ctx: Ctx = { d, s, canary: o.canary, t0: o.t0 ?? Date.now() - 30 * 60_000, traceId, rootId: hex(8), spans: [], llmIndex: 0, toolCallSeq: 0 };
  const lay = layout(s);
  if (!s.stalled) ctx.spans.push(rootSpan(ctx, lay.rootEnd));
  renderSteps(ctx, lay.steps, ctx.rootId, null);
  const resource = {
    'service.name': `e2e-${d}`,
    'dunetrace.agent_id': o.agentId,
    'dunetrace.agent_version': o.agentVersion ?? 'v1',
    'telemetry.sdk.language': 'nodejs',
  };
  return {
    traceId,
    spans: ctx.spans,
    resource,
    body: exportBody(ctx.spans, resource, SCOPE[d]),
    indexName: (index) => (d === 'openllmetry' ? 'pinecone.query' : index),
  };
}

function span(
  ctx: Ctx,
  o: {
    name: string;
    parent: string;
    start: number;
    end: number;
    kind?: number;
    attributes: Record<string, AttrInput | undefined | null>;
    events?: JsonSpan['events'];
    error?: { type: string; message: string } | null;
    id?: string;
  },
): JsonSpan {
  const errorStyle = ctx.d;
  const events = [...(o.events ?? [])];
  const a: Record<string, AttrInput | undefined | null> = { ...o.attributes };
  let status: JsonSpan['status'] = {};
  if (o.error) {
    status = { code: 2, message: o.error.message };
    if (errorStyle === 'semconv' || errorStyle === 'openllmetry') a['error.type'] = o.error.type;
    if (errorStyle === 'openllmetry' || errorStyle === 'traceloop') {
      events.push({
        name: 'exception',
        timeUnixNano: nanos(ctx.t0 + o.end - 1),
        attributes: attrs({
          'exception.type': o.error.type,
          'exception.message': o.error.message,
          'exception.stacktrace': `${o.error.type}: at step (${ctx.canary})`,
        }),
      });
    }
  }
  return {
    traceId: ctx.traceId,
    spanId: o.id ?? hex(8),
    parentSpanId: o.parent,
    name: o.name,
    kind: o.kind ?? KIND.INTERNAL,
    startTimeUnixNano: nanos(ctx.t0 + o.start),
    endTimeUnixNano: nanos(ctx.t0 + o.end),
    attributes: attrs(a),
    events,
    status,
  };
}

const errorOf = (ctx: Ctx, type: string | undefined, what: string) => (type ? { type, message: `${what} failed with ${type} (${ctx.canary})` } : null);

function rootSpan(ctx: Ctx, end: number): JsonSpan {
  const { root } = ctx.s;
  const input = `${root.input ?? 'Help me plan the week'} ${ctx.canary}`;
  const output = root.error ? null : `Here is the plan ${ctx.canary}`;
  const error = errorOf(ctx, root.error, root.name);
  if (ctx.d === 'semconv') {
    const isAgent = root.kind === 'agent';
    return span(ctx, {
      id: ctx.rootId,
      name: `${isAgent ? 'invoke_agent' : 'invoke_workflow'} ${root.name}`,
      parent: '',
      start: 0,
      end,
      error,
      attributes: {
        'gen_ai.operation.name': isAgent ? 'invoke_agent' : 'invoke_workflow',
        [isAgent ? 'gen_ai.agent.name' : 'gen_ai.workflow.name']: root.name,
        'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: input }] }]),
        'gen_ai.output.messages':
          output === null ? null : JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: output }], finish_reason: 'stop' }]),
        'gen_ai.tool.definitions': isAgent && root.tools?.length ? toolDefinitions(ctx, root.tools) : null,
      },
    });
  }
  // OpenLLMetry and legacy Traceloop: the Traceloop SDK's entity span (withWorkflow / withAgent).
  return span(ctx, {
    id: ctx.rootId,
    name: `${root.name}.${root.kind}`,
    parent: '',
    start: 0,
    end,
    error,
    attributes: {
      'traceloop.span.kind': root.kind,
      'traceloop.entity.name': root.name,
      'traceloop.entity.path': '',
      'traceloop.workflow.name': root.name,
      'gen_ai.agent.name': ctx.d === 'openllmetry' && root.kind === 'agent' ? root.name : null,
      'traceloop.entity.input': JSON.stringify({ args: [input], kwargs: {} }),
      'traceloop.entity.output': output === null ? null : JSON.stringify(output),
    },
  });
}

function toolDefinitions(ctx: Ctx, tools: string[]): string {
  return JSON.stringify(
    tools.map((name) => ({
      type: 'function',
      name,
      description: `Use ${name} (${ctx.canary})`,
      parameters: { type: 'object', properties: { q: { type: 'string' } } },
    })),
  );
}

function renderSteps(ctx: Ctx, placed: Placed[], parent: string, agentName: string | null): void {
  for (const p of placed) {
    const { step } = p;
    switch (step.kind) {
      case 'llm':
        ctx.spans.push(llmSpan(ctx, step, p, parent, agentName));
        break;
      case 'tool':
        ctx.spans.push(toolSpan(ctx, step, p, parent, agentName));
        break;
      case 'retrieval':
        ctx.spans.push(retrievalSpan(ctx, step, p, parent, agentName));
        break;
      case 'agent': {
        const s = agentSpan(ctx, step, p, parent);
        ctx.spans.push(s);
        renderSteps(ctx, p.children, s.spanId, step.name);
        break;
      }
      case 'http429':
        ctx.spans.push(http429Span(ctx, p, parent));
        break;
    }
  }
}

/** Attributes the Traceloop SDK propagates from context onto every span inside a workflow / agent. */
function propagated(ctx: Ctx, agentName: string | null): Record<string, AttrInput | null> {
  if (ctx.d === 'semconv') return {};
  return {
    'traceloop.workflow.name': ctx.s.root.name,
    // Newer JS SDK: gen_ai.agent.name is stamped onto every span under an agent entity.
    'gen_ai.agent.name': ctx.d === 'openllmetry' ? (agentName ?? (ctx.s.root.kind === 'agent' ? ctx.s.root.name : null)) : null,
  };
}

function llmSpan(ctx: Ctx, step: LlmStep, p: Placed, parent: string, agentName: string | null): JsonSpan {
  const i = ++ctx.llmIndex;
  const system = `You are a careful assistant ${ctx.canary}`;
  const input = `${step.input_text ?? `context for call ${i}`} ${ctx.canary}`;
  const failed = step.error !== undefined;
  const finish = finishOf(step);
  const text =
    step.output_text === undefined
      ? `reply ${i} ${ctx.canary}`
      : step.output_text === null || step.output_text === ''
        ? step.output_text
        : `${step.output_text} ${ctx.canary}`;
  const calls = (step.tool_calls ?? []).map((name) => ({ id: `call_${++ctx.toolCallSeq}`, name, arguments: { q: `${name} please ${ctx.canary}` } }));
  const tools = ctx.s.root.tools ?? [];
  const error = errorOf(ctx, step.error, `chat ${step.model}`);
  const responseModel = step.response_model ?? step.model;

  if (ctx.d === 'traceloop') {
    const a: Record<string, AttrInput | null | undefined> = {
      'gen_ai.system': 'OpenAI',
      'llm.request.type': 'chat',
      'gen_ai.request.model': step.model,
      'gen_ai.request.max_tokens': step.max_tokens,
      'gen_ai.request.temperature': 0.2,
      'llm.is_streaming': false,
      'gen_ai.prompt.0.role': 'system',
      'gen_ai.prompt.0.content': system,
      'gen_ai.prompt.1.role': 'user',
      'gen_ai.prompt.1.content': input,
      ...propagated(ctx, agentName),
    };
    tools.forEach((name, k) => {
      a[`llm.request.functions.${k}.name`] = name;
      a[`llm.request.functions.${k}.description`] = `Use ${name} (${ctx.canary})`;
      a[`llm.request.functions.${k}.parameters`] = JSON.stringify({ type: 'object', properties: { q: { type: 'string', description: ctx.canary } } });
    });
    if (!failed) {
      Object.assign(a, {
        'gen_ai.response.model': responseModel,
        'gen_ai.response.id': `chatcmpl-${hex(6)}`,
        'gen_ai.usage.prompt_tokens': step.input_tokens,
        'gen_ai.usage.completion_tokens': step.output_tokens,
        'llm.usage.total_tokens': step.input_tokens + step.output_tokens,
        'gen_ai.completion.0.role': 'assistant',
        'gen_ai.completion.0.finish_reason': finish,
      });
      if (text !== null) a['gen_ai.completion.0.content'] = text;
      calls.forEach((c, k) => {
        a[`gen_ai.completion.0.tool_calls.${k}.id`] = c.id;
        a[`gen_ai.completion.0.tool_calls.${k}.name`] = c.name;
        a[`gen_ai.completion.0.tool_calls.${k}.arguments`] = JSON.stringify(c.arguments);
      });
    }
    return span(ctx, { name: 'openai.chat', parent, start: p.start, end: p.end, kind: KIND.CLIENT, attributes: a, error });
  }

  // OpenLLMetry JS ≥ 0.23 and GenAI semconv share the structured format; they differ in details.
  const jsFinish = (f: Finish): string => (ctx.d === 'openllmetry' && f === 'tool_calls' ? 'tool_call' : f);
  const parts: object[] = [];
  if (text !== null) parts.push({ type: 'text', content: text });
  for (const c of calls) parts.push({ type: 'tool_call', id: c.id, name: c.name, arguments: c.arguments });
  const output = !failed && (text !== null || calls.length > 0) ? JSON.stringify([{ role: 'assistant', parts, finish_reason: jsFinish(finish) }]) : null;
  const inputMessages =
    ctx.d === 'openllmetry'
      ? [
          { role: 'system', parts: [{ type: 'text', content: system }] },
          { role: 'user', parts: [{ type: 'text', content: input }] },
        ]
      : [{ role: 'user', parts: [{ type: 'text', content: input }] }];
  const a: Record<string, AttrInput | null | undefined> = {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': 'openai',
    'gen_ai.request.model': step.model,
    'gen_ai.request.max_tokens': step.max_tokens,
    'gen_ai.request.temperature': 0.2,
    'server.address': 'api.openai.com',
    'server.port': 443,
    'gen_ai.input.messages': JSON.stringify(inputMessages),
    'gen_ai.system_instructions': ctx.d === 'semconv' ? JSON.stringify([{ type: 'text', content: system }]) : null,
    'gen_ai.tool.definitions': tools.length ? toolDefinitions(ctx, tools) : null,
    ...propagated(ctx, agentName),
  };
  if (!failed) {
    Object.assign(a, {
      'gen_ai.response.model': responseModel,
      'gen_ai.response.id': `chatcmpl-${hex(6)}`,
      'gen_ai.usage.input_tokens': step.input_tokens,
      'gen_ai.usage.output_tokens': step.output_tokens,
      'gen_ai.response.finish_reasons': [jsFinish(finish)],
    });
    if (ctx.d === 'openllmetry') a['gen_ai.usage.total_tokens'] = step.input_tokens + step.output_tokens;
    if (output !== null) a['gen_ai.output.messages'] = output;
  }
  return span(ctx, { name: `chat ${step.model}`, parent, start: p.start, end: p.end, kind: KIND.CLIENT, attributes: a, error });
}

function toolSpan(ctx: Ctx, step: ToolStep, p: Placed, parent: string, agentName: string | null): JsonSpan {
  const args = JSON.stringify({ q: `${step.args ?? `${step.name} input`} ${ctx.canary}` });
  const failed = step.error !== undefined;
  const result = failed ? null : step.output_empty ? '' : `${step.result ?? `${step.name} result`} ${ctx.canary}`;
  const error = errorOf(ctx, step.error, step.name);
  if (ctx.d === 'semconv') {
    return span(ctx, {
      name: `execute_tool ${step.name}`,
      parent,
      start: p.start,
      end: p.end,
      error,
      attributes: {
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': step.name,
        'gen_ai.tool.type': 'function',
        'gen_ai.tool.call.id': `call_${hex(4)}`,
        'gen_ai.tool.description': `Runs ${step.name} (${ctx.canary})`,
        'gen_ai.tool.call.arguments': args,
        'gen_ai.tool.call.result': result,
      },
    });
  }
  // Traceloop entity payloads: input as {args, kwargs}, output as the JSON-serialised return value.
  const entity = {
    'traceloop.entity.name': step.name,
    'traceloop.entity.input': JSON.stringify({ args: [], kwargs: JSON.parse(args) }),
    // An empty return value serialises to '""' (2 chars).
    'traceloop.entity.output': result === null ? null : JSON.stringify(result),
    ...propagated(ctx, agentName),
  };
  if (ctx.d === 'openllmetry') {
    // LangChain callback handler (openllmetry-js ≥ 0.23): execute_tool {name}, kind task.
    return span(ctx, {
      name: `execute_tool ${step.name}`,
      parent,
      start: p.start,
      end: p.end,
      error,
      attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.provider.name': 'langchain', 'traceloop.span.kind': 'task', ...entity },
    });
  }
  return span(ctx, { name: `${step.name}.tool`, parent, start: p.start, end: p.end, error, attributes: { 'traceloop.span.kind': 'tool', ...entity } });
}

function scores(step: RetrievalStep): number[] {
  const top = step.top_score ?? 0.82;
  return Array.from({ length: step.result_count }, (_, k) => Math.max(0, Math.round((top - k * 0.05) * 1000) / 1000));
}

function retrievalSpan(ctx: Ctx, step: RetrievalStep, p: Placed, parent: string, agentName: string | null): JsonSpan {
  const sc = scores(step);
  const query = `${step.query ?? 'find the relevant documents'} ${ctx.canary}`;
  if (ctx.d === 'semconv') {
    return span(ctx, {
      name: `retrieval ${step.index}`,
      parent,
      start: p.start,
      end: p.end,
      kind: KIND.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'retrieval',
        'gen_ai.data_source.id': step.index,
        'gen_ai.provider.name': step.vendor ?? 'weaviate',
        'gen_ai.request.top_k': 5,
        'gen_ai.retrieval.query.text': query,
        'gen_ai.retrieval.documents': JSON.stringify(sc.map((score, k) => ({ id: `doc-${k}-${ctx.canary}`, score, content: `passage ${k} ${ctx.canary}` }))),
      },
    });
  }
  if (ctx.d === 'openllmetry') {
    // @traceloop/instrumentation-pinecone: one db.query.result event per match; the index is not named.
    return span(ctx, {
      name: 'pinecone.query',
      parent,
      start: p.start,
      end: p.end,
      kind: KIND.CLIENT,
      attributes: {
        'db.system': 'Pinecone',
        'db.operation': 'query',
        'db.vector.query.top_k': 5,
        'db.vector.query.include_metadata': true,
        'db.vector.query.namespace': 'prod',
        'db.vector.query.metadata_filter': JSON.stringify({ topic: query }),
        'db.vector.query.result.matches_length': sc.length,
        ...propagated(ctx, agentName),
      },
      events: sc.map((score, k) => ({
        name: 'db.query.result',
        timeUnixNano: nanos(ctx.t0 + p.end - 1),
        attributes: attrs({
          'db.query.result.id': `m-${k}-${ctx.canary}`,
          'db.query.result.score': score,
          'db.query.result.metadata': JSON.stringify({ text: `passage ${k} ${ctx.canary}` }),
        }),
      })),
    });
  }
  const a: Record<string, AttrInput | null> = {
    'db.system': step.vendor ?? 'qdrant',
    'db.operation': 'search',
    'db.vector.table_name': step.index,
    'db.vector.query.top_k': 5,
    'db.vector.query.result.matches_length': sc.length,
    ...propagated(ctx, agentName),
  };
  sc.forEach((score, k) => {
    a[`db.vector.query.result.${k}.id`] = `p-${k}-${ctx.canary}`;
    a[`db.vector.query.result.${k}.score`] = score;
    a[`db.vector.query.result.${k}.metadata`] = JSON.stringify({ text: `passage ${k} ${ctx.canary}` });
  });
  return span(ctx, { name: `${step.vendor ?? 'qdrant'}.search`, parent, start: p.start, end: p.end, kind: KIND.CLIENT, attributes: a });
}

function agentSpan(ctx: Ctx, step: AgentStep, p: Placed, parent: string): JsonSpan {
  const error = errorOf(ctx, step.error, step.name);
  const input = `handing over to ${step.name} ${ctx.canary}`;
  if (ctx.d === 'traceloop') {
    return span(ctx, {
      name: `${step.name}.agent`,
      parent,
      start: p.start,
      end: p.end,
      error,
      attributes: {
        'traceloop.span.kind': 'agent',
        'traceloop.entity.name': step.name,
        'traceloop.workflow.name': ctx.s.root.name,
        'traceloop.entity.input': JSON.stringify({ args: [input], kwargs: {} }),
        'traceloop.entity.output': error ? null : JSON.stringify(`done ${ctx.canary}`),
      },
    });
  }
  return span(ctx, {
    name: `invoke_agent ${step.name}`,
    parent,
    start: p.start,
    end: p.end,
    error,
    attributes: {
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': step.name,
      'traceloop.span.kind': ctx.d === 'openllmetry' ? 'agent' : null,
      'traceloop.entity.name': ctx.d === 'openllmetry' ? step.name : null,
      'traceloop.workflow.name': ctx.d === 'openllmetry' ? ctx.s.root.name : null,
      'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: input }] }]),
    },
  });
}

function http429Span(ctx: Ctx, p: Placed, parent: string): JsonSpan {
  const legacy = ctx.d === 'traceloop';
  const s = span(ctx, {
    name: 'POST',
    parent,
    start: p.start,
    end: p.end,
    kind: KIND.CLIENT,
    error: null,
    attributes: legacy
      ? { 'http.method': 'POST', 'http.url': 'https://api.openai.com/v1/chat/completions', 'http.status_code': 429, 'net.peer.name': 'api.openai.com' }
      : {
          'http.request.method': 'POST',
          'url.full': 'https://api.openai.com/v1/chat/completions',
          'server.address': 'api.openai.com',
          'http.response.status_code': 429,
          'error.type': '429',
        },
  });
  // HTTP client spans: a 4xx response is an error (no message: the body is not recorded).
  s.status = { code: 2 };
  return s;
}
