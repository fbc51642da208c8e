import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local OpenAI-compatible chat.completions endpoint (node:http, no network) for the examples and tests. It plays
 * a model stuck in a tool loop: while the conversation holds fewer than `loops` tool results it asks for the same
 * tool again with the user's question as the query, then it answers and stops.
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
  /** chat.completions requests served. */
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
      ? content.map((p) => (p && typeof p === 'object' && 'text' in p ? String((p as { text: unknown }).text) : '')).join('')
      : '';

export async function startLlmStub(opts: LlmStubOptions = {}): Promise<LlmStub> {
  const loops = opts.loops ?? 5;
  const tool = opts.tool ?? 'search_docs';
  const model = opts.model ?? 'gpt-4o-mini-2024-07-18';
  let served = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'not found' } }));
        return;
      }
      const n = ++served;
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { messages?: ChatMessage[] };
      const messages = body.messages ?? [];
      const question = text([...messages].reverse().find((m) => m.role === 'user')?.content);
      const toolResults = messages.filter((m) => m.role === 'tool').length;
      const promptTokens = Math.ceil(JSON.stringify(messages).length / 4);
      const done = toolResults >= loops;
      const message = done
        ? { role: 'assistant', content: `Sorry, I found nothing about: ${question}`, refusal: null }
        : {
            role: 'assistant',
            content: null,
            refusal: null,
            tool_calls: [{ id: `call_${n}`, type: 'function', function: { name: tool, arguments: JSON.stringify({ query: question }) } }],
          };
      const completionTokens = done ? 12 : 18;
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          id: `chatcmpl-stub-${n}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model,
          choices: [{ index: 0, message, finish_reason: done ? 'stop' : 'tool_calls', logprobs: null }],
          usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
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
