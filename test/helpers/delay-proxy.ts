import { connect, createServer, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a database server that holds every chunk the client sends for `delayMs` before passing it
 * on (order kept): each statement then takes at least that long, as on an overloaded or distant server. The delay
 * can change while connections are open.
 */
export interface DelayProxy {
  url: string;
  delayMs: number;
  close(): Promise<void>;
}

export async function startDelayProxy(upstreamUrl: string): Promise<DelayProxy> {
  const upstream = new URL(upstreamUrl);
  const sockets = new Set<Socket>();
  const proxy = { delayMs: 0 } as DelayProxy;
  const server = createServer((client) => {
    const server = connect(Number(upstream.port || 5432), upstream.hostname);
    sockets.add(client).add(server);
    let last = Promise.resolve();
    client.on('data', (chunk) => {
      const delay = proxy.delayMs;
      // Chained so a chunk never overtakes the one before it when the delay changes.
      last = last.then(() => new Promise((r) => setTimeout(r, delay))).then(() => void (server.writable && server.write(chunk)));
    });
    server.pipe(client);
    const end = () => {
      client.destroy();
      server.destroy();
      sockets.delete(client);
      sockets.delete(server);
    };
    client.on('close', end).on('error', end);
    server.on('close', end).on('error', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  const url = new URL(upstreamUrl);
  url.host = `127.0.0.1:${port}`;
  proxy.url = url.toString();
  proxy.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return proxy;
}
