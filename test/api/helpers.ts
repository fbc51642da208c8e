import { randomBytes } from 'node:crypto';
import { SseParser, type SseEvent } from '../../src/cli/sse.js';
import type { RunSignal, Severity } from '../../src/model/index.js';
import { jsonSpan, otlpJson } from '../helpers/otlp-json.js';
import { DEV_KEY, fetchOf, type Fetch, type Target } from '../helpers/receiver.js';

export const randomRunId = () => randomBytes(16).toString('hex');

export const auth = (key = DEV_KEY) => ({ authorization: `Bearer ${key}` });

/** GET `path` of a receiver (a URL, or a path with the receiver's Fetch) as JSON. */
export async function getJson(url: string, key?: string | null): Promise<{ status: number; body: any }>;
export async function getJson(f: Fetch, path: string, key?: string | null): Promise<{ status: number; body: any }>;
export async function getJson(a: string | Fetch, b?: string | null, c?: string | null): Promise<{ status: number; body: any }> {
  const [f, path, key] = typeof a === 'string' ? [fetch, a, b] : [a, b as string, c];
  const k = key === undefined ? DEV_KEY : key;
  const res = await f(path, { headers: k ? auth(k) : {} });
  return { status: res.status, body: await res.json() };
}

export async function postTrace(target: Target, body: string, key = DEV_KEY): Promise<void> {
  const res = await fetchOf(target)('/v1/traces', { method: 'POST', headers: { 'content-type': 'application/json', ...auth(key) }, body });
  if (res.status !== 200) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
}

/**
 * A one-call agent whose LLM answers with an empty message ("stop", no parts): EMPTY_LLM_RESPONSE (the output was
 * captured, so the empty length is known, not guessed).
 */
export function emptyResponseRun(traceId: string, agentId = 'empty-agent') {
  const t0 = Date.now() - 30_000;
  const rootId = traceId.slice(16);
  const llm = jsonSpan({
    traceId,
    spanId: '1'.repeat(16),
    parent: rootId,
    name: 'chat gpt-4o',
    start: t0 + 10,
    end: t0 + 300,
    attrs: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.usage.input_tokens': 120,
      'gen_ai.usage.output_tokens': 0,
      'gen_ai.output.messages': '[{"role":"assistant","finish_reason":"stop","parts":[]}]',
    },
  });
  const root = jsonSpan({ traceId, spanId: rootId, name: 'agent.workflow', start: t0, end: t0 + 400, attrs: { 'traceloop.span.kind': 'workflow' } });
  return otlpJson([llm, root], { 'service.name': agentId });
}

/** A healthy one-call agent: no signal. */
export function healthyRun(traceId: string, agentId = 'healthy-agent') {
  const t0 = Date.now() - 20_000;
  const rootId = traceId.slice(16);
  const llm = jsonSpan({
    traceId,
    spanId: '2'.repeat(16),
    parent: rootId,
    name: 'chat gpt-4o',
    start: t0 + 10,
    end: t0 + 300,
    attrs: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.usage.input_tokens': 50,
      'gen_ai.usage.output_tokens': 12,
      'gen_ai.output.messages': '[{"role":"assistant","finish_reason":"stop","parts":[{"type":"text","content":"Paris."}]}]',
    },
  });
  const root = jsonSpan({ traceId, spanId: rootId, name: 'agent.workflow', start: t0, end: t0 + 400, attrs: { 'traceloop.span.kind': 'workflow' } });
  return otlpJson([llm, root], { 'service.name': agentId });
}

export function signal(o: Partial<RunSignal> & { agent_id: string; failure_type: string; severity: Severity }): RunSignal {
  return {
    customer_id: 'dev',
    run_id: randomRunId(),
    agent_version: 'v1',
    confidence: 0.9,
    step_index: 2,
    evidence: { tool: 'search', count: 3, window: 5 },
    shadow: false,
    detected_live: false,
    ...o,
  };
}

export const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000);

/** An SSE connection read with the CLI's parser: every event and comment line it got, and waits on them. */
export interface TestStream {
  status: number;
  headers: Headers;
  events: SseEvent[];
  raw: () => string;
  ended: Promise<void>;
  waitForEvent(pred: (data: any) => boolean, timeoutMs?: number): Promise<any>;
  waitForText(text: string, timeoutMs?: number): Promise<void>;
  close(): void;
}

export async function openStream(url: string, headers: Record<string, string> = auth()): Promise<TestStream> {
  const ac = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: ac.signal });
  const events: SseEvent[] = [];
  let raw = '';
  const parser = new SseParser();
  let ended: Promise<void> = Promise.resolve();
  if (res.ok && res.body) {
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    ended = (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          const text = decoder.decode(value, { stream: true });
          raw += text;
          events.push(...parser.push(text));
        }
      } catch {
        /* aborted */
      }
    })();
  } else {
    raw = await res.text();
  }
  const poll = async <T>(fn: () => T | undefined, what: string, timeoutMs: number): Promise<T> => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const v = fn();
      if (v !== undefined) return v;
      if (Date.now() > end) throw new Error(`stream: ${what} not seen within ${timeoutMs} ms; got:\n${raw.slice(0, 2000)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return {
    status: res.status,
    headers: res.headers,
    events,
    raw: () => raw,
    ended,
    waitForEvent: (pred, timeoutMs = 10_000) => poll(() => events.map((e) => JSON.parse(e.data)).find(pred), 'event', timeoutMs),
    waitForText: (text, timeoutMs = 10_000) => poll(() => (raw.includes(text) ? true : undefined), JSON.stringify(text), timeoutMs).then(() => undefined),
    close: () => ac.abort(),
  };
}

/** Put in an attribute of every unknown span: must never come back from the API, the dashboard or the CLI. */
export const UNKNOWN_SPAN_CANARY = 'CANARY_UNKNOWN_7f3a';

/**
 * A Vercel AI SDK run (scope `ai`, `ai.operationId` on every span) carrying operations the mapping does not know —
 * `ai.foo` twice, `ai.bar` once — each with a canary attribute value, and a model call whose parent span was never
 * exported (a broken parent link). Its understood part is clean: one model call with tokens, answering.
 */
export function unknownSpansRun(traceId: string, agentId = 'vercel-ai-agent') {
  const t0 = Date.now() - 25_000;
  const rootId = traceId.slice(16);
  const ns = (ms: number) => String(BigInt(ms) * 1_000_000n);
  const attr = (key: string, v: string | number) => ({ key, value: typeof v === 'number' ? { intValue: String(v) } : { stringValue: v } });
  const span = (spanId: string, parent: string, name: string, start: number, end: number, attrs: [string, string | number][]) => ({
    traceId,
    spanId,
    parentSpanId: parent,
    name,
    kind: 1,
    startTimeUnixNano: ns(t0 + start),
    endTimeUnixNano: ns(t0 + end),
    attributes: attrs.map(([k, v]) => attr(k, v)),
    status: {},
  });
  const model: [string, string | number][] = [
    ['ai.operationId', 'ai.generateText.doGenerate'],
    ['ai.model.id', 'gpt-4o'],
    ['ai.model.provider', 'openai.chat'],
    ['ai.usage.inputTokens', 40],
    ['ai.usage.outputTokens', 8],
    ['ai.response.finishReason', 'stop'],
  ];
  const unknown = (op: string): [string, string | number][] => [
    ['ai.operationId', op],
    [`${op}.payload`, `${UNKNOWN_SPAN_CANARY} secret value`],
  ];
  const spans = [
    span(rootId, '', 'ai.generateText', 0, 900, [['ai.operationId', 'ai.generateText']]),
    span('1'.repeat(16), rootId, 'ai.generateText.doGenerate', 10, 300, model),
    span('2'.repeat(16), rootId, 'ai.foo', 310, 400, unknown('ai.foo')),
    span('3'.repeat(16), rootId, 'ai.foo', 410, 500, unknown('ai.foo')),
    span('4'.repeat(16), rootId, 'ai.bar', 510, 600, unknown('ai.bar')),
    span('5'.repeat(16), 'd'.repeat(16), 'ai.generateText.doGenerate', 610, 800, model),
  ];
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [attr('service.name', agentId)] },
        scopeSpans: [{ scope: { name: 'ai', version: '6.0.0' }, spans }],
      },
    ],
  });
}

/**
 * One LangChain model call as OpenLLMetry's LangChain instrumentation sends it without a `withWorkflow` wrapper: a
 * trace of its own, the call its root (each step of such an agent arrives like this).
 */
export function unwrappedLangchainCall(traceId: string, agentId = 'langchain-agent') {
  const t0 = Date.now() - 15_000;
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: agentId } }] },
        scopeSpans: [
          {
            scope: { name: '@traceloop/instrumentation-langchain', version: '0.27.0' },
            spans: [
              {
                ...jsonSpan({
                  traceId,
                  spanId: traceId.slice(16),
                  name: 'chat gpt-4o',
                  start: t0,
                  end: t0 + 300,
                  attrs: {
                    'gen_ai.operation.name': 'chat',
                    'gen_ai.request.model': 'gpt-4o',
                    'gen_ai.usage.input_tokens': 30,
                    'gen_ai.usage.output_tokens': 5,
                  },
                }),
              },
            ],
          },
        ],
      },
    ],
  });
}
