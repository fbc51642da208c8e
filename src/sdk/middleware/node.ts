import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dunetrace } from '../client.js';
import type { DunetraceRun } from '../run.js';
import { describeRequest, readUserInput, runOptions, type MiddlewareOptions } from './options.js';

/**
 * Express and Fastify: one run per request, `getCurrentRun()` inside the handlers, the run ending when the response
 * has been sent (a streamed response: when the stream ends) — run.errored for a 5xx or a handler error. Only
 * structural types here: importing `dunetrace-otel/sdk` loads neither framework.
 */

/** Ends `run` once `res` is finished or closed, after reading the user input (the body is parsed by then). */
function endWhenSent<Req>(run: DunetraceRun, req: Req, res: ServerResponse, opts: MiddlewareOptions<Req>, error: () => unknown, route: () => unknown): void {
  let done = false;
  const end = () => {
    if (done) return;
    done = true;
    describeRequest(run, undefined, route());
    void readUserInput(opts, req).then((input) => {
      if (input !== undefined) run.setUserInput(input);
      run.end({ error: error(), status: res.statusCode });
    });
  };
  res.once('finish', end);
  res.once('close', end);
}

type ExpressRequest = IncomingMessage & { route?: { path?: unknown }; body?: unknown };

/** `app.use(expressMiddleware(dt, { agentId, model, tools }))`: register it before the routes it should cover. */
export function expressMiddleware<Req extends ExpressRequest = ExpressRequest>(
  dt: Dunetrace,
  opts: MiddlewareOptions<Req>,
): (req: Req, res: ServerResponse, next: (err?: unknown) => void) => void {
  return (req, res, next) => {
    const run = dt.startRun(opts.agentId, runOptions(opts));
    describeRequest(run, req.method, undefined);
    endWhenSent(
      run,
      req,
      res,
      opts,
      () => undefined, // Express turns a handler error into a 500 (the status says it)
      () => req.route?.path,
    );
    run.enter(() => next());
  };
}

/** The part of a Fastify instance the plugin uses (hooks registered as methods: any FastifyInstance fits). */
interface FastifyLike {
  addHook(name: string, hook: (...args: never[]) => unknown): unknown;
}

type FastifyRequest = { raw: IncomingMessage; method?: string; routeOptions?: { url?: unknown }; body?: unknown };
type FastifyReply = { raw: ServerResponse };

export interface FastifyPluginOptions<Req = FastifyRequest> extends MiddlewareOptions<Req> {
  dt: Dunetrace;
}

const runs = new WeakMap<object, { run: DunetraceRun; error?: unknown }>();

function dunetracePlugin(instance: FastifyLike, opts: FastifyPluginOptions, done: (err?: Error) => void): void {
  instance.addHook('onRequest', (req: FastifyRequest, reply: FastifyReply, next: () => void) => {
    const run = opts.dt.startRun(opts.agentId, runOptions(opts));
    const state: { run: DunetraceRun; error?: unknown } = { run };
    runs.set(req, state);
    describeRequest(run, req.method, undefined);
    endWhenSent(
      run,
      req,
      reply.raw,
      opts,
      () => state.error,
      () => req.routeOptions?.url,
    );
    // The rest of the request (hooks, body parsing, the handler) runs inside the run.
    run.enter(() => next());
  });
  instance.addHook('onError', (req: FastifyRequest, _reply: FastifyReply, error: unknown, next: () => void) => {
    const state = runs.get(req);
    if (state !== undefined) state.error = error;
    next();
  });
  done();
}

/**
 * `app.register(fastifyPlugin, { dt, agentId, model, tools })`. Not encapsulated (like fastify-plugin), so it
 * covers every route of the instance it is registered on.
 */
export const fastifyPlugin = Object.assign(dunetracePlugin, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'dunetrace',
});
