import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { modelLatency } from './observe.js';
import { nextTurn, scenarioOf, type Scenario, type ScenarioId, type Turn } from './scenarios.js';

/**
 * A local stand-in for the provider APIs (node:http on a loopback port 0, no network): OpenAI `POST /v1/chat/completions`
 * and Anthropic `POST /v1/messages`, non-streaming and streaming (SSE). It plays the scenario whose marker is in the
 * first user message, turn by turn (see nextTurn), with usage figures and the provider's own finish reasons.
 */
export interface ProviderStub {
  /** OpenAI client baseURL (ends in /v1). */
  openaiURL: string;
  /** Anthropic client baseURL (the SDK appends /v1/messages). */
  anthropicURL: string;
  /** Requests served, per path. */
  requests: Record<string, number>;
  /** Model calls served, per scenario (what the agent did, counted by the model itself). */
  calls: Map<ScenarioId, number>;
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((p) => (isObj(p) && typeof p.text === 'string' ? p.text : '')).join('');
}

async function readJson(req: IncomingMessage): Promise<Json> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const v: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  return isObj(v) ? v : {};
}

const approxTokens = (v: unknown) => Math.max(1, Math.ceil(JSON.stringify(v).length / 4));

export async function startProviderStub(all: Scenario[], opts: { model?: string } = {}): Promise<ProviderStub> {
  const requests: Record<string, number> = {};
  const calls = new Map<ScenarioId, number>();
  let served = 0;
  const pick = (messages: Json[]): { scenario: Scenario; turn: Turn } => {
    const firstUser = messages.find((m) => m.role === 'user');
    const scenario = scenarioOf(all, textOf(firstUser?.content));
    if (scenario === null) throw new Error('no scenario marker in the first user message');
    const assistantTurns = messages.filter((m) => m.role === 'assistant').length;
    calls.set(scenario.id, (calls.get(scenario.id) ?? 0) + 1);
    return { scenario, turn: nextTurn(scenario, assistantTurns) };
  };

  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    requests[path] = (requests[path] ?? 0) + 1;
    const n = ++served;
    readJson(req)
      // A real model takes far longer than a millisecond; an instant answer would leave span order to clock luck.
      .then(async (body) => {
        await modelLatency();
        if (req.method === 'POST' && path.endsWith('/chat/completions')) return openai(res, body, n);
        if (req.method === 'POST' && path.endsWith('/messages')) return anthropic(res, body, n);
        send(res, 404, { error: { message: `no route ${path}` } });
      })
      .catch((err: unknown) => send(res, 400, { error: { message: err instanceof Error ? err.message : 'bad request' } }));
  });

  function openai(res: ServerResponse, body: Json, n: number): void {
    const messages = Array.isArray(body.messages) ? body.messages.filter(isObj) : [];
    const { turn } = pick(messages);
    const model = typeof body.model === 'string' ? body.model : (opts.model ?? 'gpt-4o-mini');
    const usage = { prompt_tokens: approxTokens(messages), completion_tokens: 'answer' in turn ? 12 : 18 };
    const toolCalls =
      'tools' in turn
        ? turn.tools.map((t, i) => ({ id: `call_${n}_${i}`, type: 'function', function: { name: t.name, arguments: JSON.stringify(t.args) } }))
        : null;
    const finish = toolCalls !== null ? 'tool_calls' : 'stop';
    const content = 'answer' in turn ? turn.answer : null;
    const id = `chatcmpl-stub-${n}`;
    const created = Math.floor(Date.now() / 1000);
    if (body.stream === true) {
      sse(res, [
        {
          id,
          object: 'chat.completion.chunk',
          created,
          model,
          choices: [{ index: 0, delta: { role: 'assistant', content: content ?? '' }, finish_reason: null }],
        },
        ...(toolCalls !== null
          ? [
              {
                id,
                object: 'chat.completion.chunk',
                created,
                model,
                choices: [{ index: 0, delta: { tool_calls: toolCalls.map((c, index) => ({ index, ...c })) }, finish_reason: null }],
              },
            ]
          : []),
        { id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta: {}, finish_reason: finish }] },
        {
          id,
          object: 'chat.completion.chunk',
          created,
          model,
          choices: [],
          usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
        },
      ]);
      res.end('data: [DONE]\n\n');
      return;
    }
    send(res, 200, {
      id,
      object: 'chat.completion',
      created,
      model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content, refusal: null, ...(toolCalls !== null ? { tool_calls: toolCalls } : {}) },
          finish_reason: finish,
          logprobs: null,
        },
      ],
      usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
    });
  }

  function anthropic(res: ServerResponse, body: Json, n: number): void {
    const messages = Array.isArray(body.messages) ? body.messages.filter(isObj) : [];
    const { turn } = pick(messages);
    const model = typeof body.model === 'string' ? body.model : 'claude-sonnet-4-5';
    const content =
      'answer' in turn
        ? [{ type: 'text', text: turn.answer }]
        : turn.tools.map((t, i) => ({ type: 'tool_use', id: `toolu_${n}_${i}`, name: t.name, input: t.args }));
    const stop = 'answer' in turn ? 'end_turn' : 'tool_use';
    const usage = { input_tokens: approxTokens(messages), output_tokens: 'answer' in turn ? 12 : 18 };
    const message = { id: `msg_stub_${n}`, type: 'message', role: 'assistant', model, content, stop_reason: stop, stop_sequence: null, usage };
    if (body.stream === true) {
      const events: [string, Json][] = [
        ['message_start', { type: 'message_start', message: { ...message, content: [], stop_reason: null, usage: { ...usage, output_tokens: 1 } } }],
      ];
      content.forEach((block, index) => {
        if (block.type === 'text') {
          events.push(['content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } }]);
          events.push(['content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: (block as { text: string }).text } }]);
        } else {
          const b = block as { id: string; name: string; input: unknown };
          events.push(['content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: b.id, name: b.name, input: {} } }]);
          events.push([
            'content_block_delta',
            { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(b.input) } },
          ]);
        }
        events.push(['content_block_stop', { type: 'content_block_stop', index }]);
      });
      events.push([
        'message_delta',
        { type: 'message_delta', delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: usage.output_tokens } },
      ]);
      events.push(['message_stop', { type: 'message_stop' }]);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const [event, data] of events) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      res.end();
      return;
    }
    send(res, 200, message);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  return {
    openaiURL: `${base}/v1`,
    anthropicURL: base,
    requests,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function sse(res: ServerResponse, chunks: unknown[]): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const c of chunks) res.write(`data: ${JSON.stringify(c)}\n\n`);
}
