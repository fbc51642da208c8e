import { removeAdminHandle, writeAdminHandle } from './admin-handle.js';
import { createReceiver, type Receiver } from './app.js';
import type { ReceiverConfig } from './config.js';

/**
 * Runs the receiver as a service: listen, then SIGTERM/SIGINT → graceful close (in-flight writes finish), SIGHUP is
 * left to the detector config reloader. Returns the receiver so callers (tests, embedding) can close it themselves.
 */
export async function runReceiver(config: ReceiverConfig, deps: Parameters<typeof createReceiver>[1] = {}): Promise<Receiver> {
  const receiver = await createReceiver(config, deps);
  const { app } = receiver;
  await app.listen({ host: config.host, port: config.port });
  app.log.info(
    { auth_mode: config.authMode, database: config.databaseUrl ? 'postgres' : `pglite:${config.dataDir}` },
    `dunetrace receiver listening on http://${config.host}:${(app.server.address() as { port: number }).port} (auth: ${config.authModeReason})`,
  );
  const port = (app.server.address() as { port: number }).port;
  if (config.grpcPort !== null) {
    const grpcPort = await receiver.listenGrpc(config.host, config.grpcPort);
    app.log.info(`OTLP/gRPC on ${config.host}:${grpcPort} (DUNETRACE_GRPC_PORT=off turns it off)`);
  }
  const writesHandle = !config.dataDir.startsWith('memory://');
  if (writesHandle) {
    // Lets `dunetrace keys …` on this machine reach this process (the CLI talks to the receiver, never the database).
    await writeAdminHandle(config.dataDir, { pid: process.pid, url: `http://127.0.0.1:${port}`, token: receiver.adminToken });
  }
  const shutdown = (signal: string) => {
    app.log.info({ signal }, 'shutting down: finishing in-flight requests and writes');
    receiver
      .close()
      .then(() => (writesHandle ? removeAdminHandle(config.dataDir, process.pid) : undefined))
      .then(
        () => process.exit(0),
        (err) => {
          app.log.error({ err }, 'error during shutdown');
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  receiver.ready.catch(() => {
    app.log.fatal('the database could not be initialised; exiting');
    void receiver.close().finally(() => process.exit(1));
  });
  return receiver;
}
