import { createServer, type ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local model API for the examples and tests (node:http, no network): OpenAI-compatible `POST …/chat/completions`
 * and Anthropic-compatible `POST …/messages`, each whole or streamed (`stream: true`, server-sent events in each
 * provider's format). It plays a model stuck in a tool loop: while the conversation holds fewer than `loops` tool
 * results it asks for the same tool again with the user's question as the query, then it answers and stops.
 */
export interface LlmStubOptions {
  /** Tool calls before the final answer (default 5: enough for TOOL_LOOP's window of 5). */
  loops?: number;
  /** The tool the model keeps calling (default search_docs). */
  tool?: string;
  model?: string;
}

export interface LlmStub {
  /** Base URL for the OpenAI client (`baseURL`), ending in /v1. */
  baseURL: string;
  /** Base URL for the Anthropic client (`baseURL`): the stub's root (the client appends /v1/messages). */
  anthropicBaseURL: string;
  /** Model requests served (both APIs). */
  requests: number;
  close(): Promise<void>;
}

interface ChatMessage {
  role: string;
  content?: unknown;
}

const text = (content: unknown): string =>
  typeof content === 'string'
    ? content
    : Array.isArray(content)
      ? content
          .map((p) =>
            p && typeof p === 'object' && 'text' in p && (p as { type?: unknown }).type !== 'tool_result' ? String((p as { text: unknown }).text) : '',
          )
          .join('')
      : '';

/** What the scripted model does next, from the conversation so far. */
interface Turn {
  done: boolean;
  question: string;
  promptTokens: number;
}

function sse(res: ServerResponse, frames: { event?: string; data: unknown }[]): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const f of frames) res.write(`${f.event ? `event: ${f.event}\n` : ''}data: ${typeof f.data === 'string' ? f.data : JSON.stringify(f.data)}\n\n`);
  res.end();
}

/** Splits a string in two (streams deliver text and JSON arguments in pieces). */
const halves = (s: string): string[] => [s.slice(0, Math.ceil(s.length / 2)), s.slice(Math.ceil(s.length / 2))];

export async function startLlmStub(opts: LlmStubOptions = {}): Promise<LlmStub> {
  const loops = opts.loops ?? 5;
  const tool = opts.tool ?? 'search_docs';
  const model = opts.model ?? 'gpt-4o-mini-2024-07-18';
  let served = 0;

  const openai = (n: number, turn: Turn, stream: boolean, includeUsage: boolean, res: ServerResponse): void => {
    const answer = `Sorry, I found nothing about: ${turn.question}`;
    const args = JSON.stringify({ query: turn.question });
    const completionTokens = turn.done ? 12 : 18;
    const usage = { prompt_tokens: turn.promptTokens, completion_tokens: completionTokens, total_tokens: turn.promptTokens + completionTokens };
    const finish = turn.done ? 'stop' : 'tool_calls';
    const base = { id: `chatcmpl-stub-${n}`, created: Math.floor(Date.now() / 1000), model };
    if (!stream) {
      const message = turn.done
        ? { role: 'assistant', content: answer, refusal: null }
        : { role: 'assistant', content: null, refusal: null, tool_calls: [{ id: `call_${n}`, type: 'function', function: { name: tool, arguments: args } }] };
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ ...base, object: 'chat.completion', choices: [{ index: 0, message, finish_reason: finish, logprobs: null }], usage }));
      return;
    }
    const chunk = (delta: object, finish_reason: string | null = null) => ({
      data: { ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason, logprobs: null }] },
    });
    const frames: { data: object }[] = [chunk({ role: 'assistant', content: turn.done ? '' : null })];
    if (turn.done) for (const part of halves(answer)) frames.push(chunk({ content: part }));
    else {
      const [a, b] = halves(args);
      frames.push(chunk({ tool_calls: [{ index: 0, id: `call_${n}`, type: 'function', function: { name: tool, arguments: a } }] }));
      frames.push(chunk({ tool_calls: [{ index: 0, function: { arguments: b } }] }));
    }
    frames.push(chunk({}, finish));
    if (includeUsage) frames.push({ data: { ...base, object: 'chat.completion.chunk', choices: [], usage } });
    sse(res, [...frames, { data: '[DONE]' }]);
  };

  const anthropic = (n: number, turn: Turn, stream: boolean, res: ServerResponse): void => {
    const answer = `Sorry, I found nothing about: ${turn.question}`;
    const input = { query: turn.question };
    const outputTokens = turn.done ? 12 : 18;
    const stop = turn.done ? 'end_turn' : 'tool_use';
    const block = turn.done ? { type: 'text', text: answer } : { type: 'tool_use', id: `toolu_${n}`, name: tool, input };
    if (!stream) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          id: `msg_stub_${n}`,
          type: 'message',
          role: 'assistant',
          model,
          content: [block],
          stop_reason: stop,
          stop_sequence: null,
          usage: { input_tokens: turn.promptTokens, output_tokens: outputTokens },
        }),
      );
      return;
    }
    const ev = (event: string, data: object) => ({ event, data: { type: event, ...data } });
    const start = turn.done ? { type: 'text', text: '' } : { type: 'tool_use', id: `toolu_${n}`, name: tool, input: {} };
    const deltas = turn.done
      ? halves(answer).map((t) => ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: t } }))
      : halves(JSON.stringify(input)).map((j) => ev('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: j } }));
    sse(res, [
      ev('message_start', {
        message: {
          id: `msg_stub_${n}`,
          type: 'message',
          role: 'assistant',
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: turn.promptTokens, output_tokens: 1 },
        },
      }),
      ev('content_block_start', { index: 0, content_block: start }),
      ...deltas,
      ev('content_block_stop', { index: 0 }),
      ev('message_delta', { delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: outputTokens } }),
      ev('message_stop', {}),
    ]);
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const isOpenAI = req.url?.endsWith('/chat/completions') === true;
      const isAnthropic = req.url?.endsWith('/messages') === true;
      if (req.method !== 'POST' || (!isOpenAI && !isAnthropic)) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'not found' } }));
        return;
      }
      const n = ++served;
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        messages?: ChatMessage[];
        stream?: boolean;
        stream_options?: { include_usage?: boolean };
      };
      const messages = body.messages ?? [];
      // OpenAI: role "tool" messages; Anthropic: tool_result blocks inside user messages.
      const toolResults = isOpenAI
        ? messages.filter((m) => m.role === 'tool').length
        : messages.reduce((k, m) => k + (Array.isArray(m.content) ? m.content.filter((b) => (b as { type?: unknown })?.type === 'tool_result').length : 0), 0);
      const firstUser = isOpenAI ? [...messages].reverse().find((m) => m.role === 'user') : messages.find((m) => m.role === 'user');
      const turn: Turn = { done: toolResults >= loops, question: text(firstUser?.content), promptTokens: Math.ceil(JSON.stringify(messages).length / 4) };
      if (isOpenAI) openai(n, turn, body.stream === true, body.stream_options?.include_usage === true, res);
      else anthropic(n, turn, body.stream === true, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    anthropicBaseURL: `http://127.0.0.1:${port}`,
    get requests() {
      return served;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
