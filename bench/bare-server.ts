/**
 * Baseline: a bare node:http handler that only reads the request body and answers 200 with an empty
 * ExportTraceServiceResponse. The transport ceiling the receiver is compared with (same payloads, same load
 * generator). Prints `LISTENING <port>` once ready.
 */
import { createServer } from 'node:http';

const server = createServer((req, res) => {
  let bytes = 0;
  req.on('data', (d: Buffer) => (bytes += d.length));
  req.on('end', () => {
    const json = String(req.headers['content-type']).startsWith('application/json');
    res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf', 'x-bytes': String(bytes) });
    res.end(json ? '{}' : '');
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`LISTENING ${(server.address() as { port: number }).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
