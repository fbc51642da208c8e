/**
 * One small agent service, written four ways: express 5, fastify 5, hono 4 and a plain `(req) => Response` handler
 * (the shape of a Next.js route handler), each with the Dunetrace middleware for its framework. Every request is a
 * run. Routes: `POST /ask/:kind {question}` (runs the agent, answers JSON with the run id), `GET /stream` (a streamed
 * answer), `GET /boom` (a handler error). The agent itself is passed in.
 */
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { serve, type ServerType } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { stream as honoStream } from 'hono/streaming';
import { expressMiddleware, fastifyPlugin, getCurrentRun, honoMiddleware, withRun, type Dunetrace, type MiddlewareOptions } from '../src/sdk/index.js';

export const FRAMEWORKS = ['express', 'fastify', 'hono', 'fetch'] as const;
export type Framework = (typeof FRAMEWORKS)[number];

export interface AgentRoutes {
  /** The agent behind POST /ask/:kind. */
  ask(question: string, kind: string): Promise<object>;
  /** Writes the body of GET /stream, piece by piece. */
  stream(write: (chunk: string) => unknown): Promise<void>;
  /** What GET /boom throws. */
  fail(): Error;
}

export interface App {
  url: string;
  close: () => Promise<void>;
}

const questionOf = (body: unknown): string => {
  const q = (body as { question?: unknown } | undefined)?.question;
  return typeof q === 'string' ? q : '';
};
const runIdNow = () => ({ runId: getCurrentRun()?.runId ?? null });

/** Starts the service on a free loopback port with the middleware of `framework` (agent id `${framework}-agent`). */
export async function startApp(
  framework: Framework,
  dt: Dunetrace,
  routes: AgentRoutes,
  declared: Omit<MiddlewareOptions<unknown>, 'agentId'> = {},
): Promise<App> {
  const opts = { ...declared, agentId: `${framework}-agent` };
  switch (framework) {
    case 'express': {
      const app = express();
      app.use(express.json());
      app.use(expressMiddleware(dt, { ...opts, userInput: (req) => questionOf(req.body) || undefined }));
      app.post('/ask/:kind', async (req, res) => {
        res.json(await routes.ask(questionOf(req.body), req.params.kind));
      });
      app.get('/stream', async (_req, res) => {
        res.type('text/plain');
        await routes.stream((s) => res.write(s));
        res.end();
      });
      app.get('/boom', async () => {
        throw routes.fail();
      });
      app.use((_err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
        res.status(500).json(runIdNow());
      });
      const server = app.listen(0, '127.0.0.1');
      await new Promise((r) => server.once('listening', r));
      return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(() => r())) };
    }
    case 'fastify': {
      const app = Fastify();
      await app.register(fastifyPlugin, { dt, ...opts, userInput: (req) => questionOf(req.body) || undefined });
      app.post<{ Params: { kind: string } }>('/ask/:kind', async (req) => routes.ask(questionOf(req.body), req.params.kind));
      app.get('/stream', (_req, reply) => {
        const body = new PassThrough();
        void reply.type('text/plain').send(body);
        void routes.stream((s) => body.write(s)).then(() => body.end());
        return reply;
      });
      app.get('/boom', async () => {
        throw routes.fail();
      });
      app.setErrorHandler((_err, _req, reply) => reply.status(500).send(runIdNow()));
      await app.listen({ host: '127.0.0.1', port: 0 });
      return { url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, close: () => app.close() };
    }
    case 'hono': {
      const app = new Hono();
      app.use('*', honoMiddleware(dt, { ...opts, userInput: async (req) => (req.method === 'POST' ? questionOf(await req.clone().json()) : undefined) }));
      app.post('/ask/:kind', async (c) => c.json(await routes.ask(questionOf(await c.req.json()), c.req.param('kind'))));
      app.get('/stream', (c) => honoStream(c, (s) => routes.stream((t) => s.write(t))));
      app.get('/boom', () => {
        throw routes.fail();
      });
      app.onError((_err, c) => c.json(runIdNow(), 500));
      return listen(app.fetch);
    }
    case 'fetch': {
      // Next.js-style route handlers: one exported (req) => Response function per route, each wrapped in withRun.
      const userInput = async (req: Request) => (req.method === 'POST' ? questionOf(await req.clone().json()) : undefined);
      const askRoute = withRun(dt, { ...opts, userInput }, async (req: Request) => {
        const kind = new URL(req.url).pathname.split('/').pop() ?? '';
        return Response.json(await routes.ask(questionOf(await req.json()), kind));
      });
      const streamRoute = withRun(dt, opts, () => {
        const enc = new TextEncoder();
        const body = new ReadableStream<Uint8Array>({
          async start(controller) {
            await routes.stream((s) => controller.enqueue(enc.encode(s)));
            controller.close();
          },
        });
        return new Response(body, { headers: { 'content-type': 'text/plain' } });
      });
      // A route that answers 500 itself (a thrown error ends the run as errored too, and reaches the server).
      const boomRoute = withRun(dt, opts, () => Response.json(runIdNow(), { status: 500 }));
      return listen((req: Request) => {
        const path = new URL(req.url).pathname;
        return path.startsWith('/ask/') ? askRoute(req) : path === '/stream' ? streamRoute(req) : boomRoute(req);
      });
    }
  }
}

async function listen(fetchHandler: (req: Request) => Response | Promise<Response>): Promise<App> {
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: fetchHandler, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(() => r())) };
}
