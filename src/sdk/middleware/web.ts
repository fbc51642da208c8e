import type { Dunetrace } from '../client.js';
import type { DunetraceRun } from '../run.js';
import { describeRequest, readUserInput, runOptions, type MiddlewareOptions } from './options.js';

/**
 * Fetch-style handlers (`(req: Request) => Response`: Hono, Next.js route handlers, Bun/Deno-style servers): one run
 * per request, `getCurrentRun()` inside the handler, the run ending when the response body has been read to its end
 * (a streamed response: when the stream ends or is cancelled) — run.errored for a 5xx or a thrown error.
 */

/** The response, with its body observed so the run ends when the body does. Bodyless responses end it now. */
export function endWithResponse(run: DunetraceRun, res: Response, error?: unknown): Response {
  const outcome = () => ({ error, status: res.status });
  if (res.body === null) {
    run.end(outcome());
    return res;
  }
  const reader: ReadableStreamDefaultReader<Uint8Array> = res.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          controller.close();
          run.end(outcome());
        } else controller.enqueue(value);
      } catch (err) {
        run.end({ error: err, status: res.status });
        controller.error(err);
      }
    },
    cancel(reason) {
      run.end(outcome());
      return reader.cancel(reason);
    },
  });
  return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
}

/** `withRun(dt, { agentId }, async (req) => Response)`: for Next.js route handlers and any fetch-style handler. */
export function withRun<A extends unknown[]>(
  dt: Dunetrace,
  opts: MiddlewareOptions<Request>,
  handler: (req: Request, ...rest: A) => Response | Promise<Response>,
): (req: Request, ...rest: A) => Promise<Response> {
  return async (req, ...rest) => {
    const userInput = await readUserInput(opts, req);
    const run = dt.startRun(opts.agentId, { ...runOptions(opts), userInput });
    describeRequest(run, req.method, undefined);
    let res: Response;
    try {
      res = await run.enter(() => handler(req, ...rest));
    } catch (err) {
      run.end({ error: err });
      throw err;
    }
    return endWithResponse(run, res);
  };
}

/** The part of a Hono context the middleware uses. */
interface HonoContextLike {
  req: { raw: Request; method: string; routePath?: string };
  res: Response;
  error?: unknown;
}

/** `app.use('*', honoMiddleware(dt, { agentId, model, tools }))`. */
export function honoMiddleware(dt: Dunetrace, opts: MiddlewareOptions<Request>): (c: HonoContextLike, next: () => Promise<void>) => Promise<void> {
  return async (c, next) => {
    const userInput = await readUserInput(opts, c.req.raw);
    const run = dt.startRun(opts.agentId, { ...runOptions(opts), userInput });
    describeRequest(run, c.req.method, undefined);
    try {
      await run.enter(() => next());
    } catch (err) {
      run.end({ error: err });
      throw err;
    }
    describeRequest(run, undefined, c.req.routePath);
    c.res = endWithResponse(run, c.res, c.error);
  };
}
