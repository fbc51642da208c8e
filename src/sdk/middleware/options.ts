import type { DunetraceRun, RunOptions } from '../run.js';

/** Options shared by every middleware: the run's agent, what it declares, and where its user input comes from. */
export interface MiddlewareOptions<Req> extends Pick<RunOptions, 'model' | 'tools' | 'systemPrompt'> {
  agentId: string;
  /**
   * The run's user input, from the request (hashed and scanned for prompt injection in this process, never sent).
   * Default: none. Node frameworks call it when the response is done (so a parsed body is there); fetch-style
   * handlers before the handler runs (read a clone: `(req) => req.clone().json().then((b) => b.question)`).
   */
  userInput?: (req: Req) => unknown;
}

export const runOptions = <Req>(o: MiddlewareOptions<Req>): RunOptions => ({ model: o.model, tools: o.tools, systemPrompt: o.systemPrompt });

/** The user input, never failing the request: a throwing or rejecting extractor just means no input. */
export async function readUserInput<Req>(o: MiddlewareOptions<Req>, req: Req): Promise<unknown> {
  if (o.userInput === undefined) return undefined;
  try {
    return await o.userInput(req);
  } catch {
    return undefined;
  }
}

/** Request facts on the run's root span (structural only: the method and the route template, never the URL). */
export function describeRequest(run: DunetraceRun, method: string | undefined, route: unknown): void {
  if (method) run.setAttribute('http.request.method', method);
  if (typeof route === 'string' && route.length > 0) run.setAttribute('http.route', route);
}
