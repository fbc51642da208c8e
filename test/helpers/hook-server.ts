import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

export interface Hit {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** A local HTTP server speaking an incoming-webhook protocol (Slack answers "ok"); `respond` scripts failures. */
export async function startHookServer(
  respond: (hit: Hit, n: number) => { status: number; body?: string; headers?: Record<string, string> } = () => ({ status: 200, body: 'ok' }),
) {
  const hits: Hit[] = [];
  let n = 0;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const hit = { path: req.url ?? '', headers: req.headers, body, at: Date.now() };
      const r = respond(hit, ++n);
      if (r.status >= 200 && r.status < 300) hits.push(hit);
      res.writeHead(r.status, { 'content-type': 'text/plain', ...(r.headers ?? {}) }).end(r.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    attempts: () => n,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
