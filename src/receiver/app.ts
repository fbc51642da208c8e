import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyError, type FastifyInstance } from 'fastify';
import { ALERT_DELIVERIES_MIGRATION, type AlertDispatcher, type PostFn } from '../alerts/index.js';
import { dashboardRoutes } from '../dashboard/routes.js';
import { Admission, BaselineCache, createPipeline, DetectorJudge, type Judge, type SignalSink, type StorageAccess } from '../pipeline/index.js';
import { MIGRATIONS, PRUNE_INTERVAL_MS, startPruning, type SqlStorage } from '../storage/index.js';
import { adminRoutes, newAdminToken } from './admin.js';
import { createAlertDispatcher } from './alerting.js';
import { Authenticator } from './auth.js';
import type { ReceiverConfig } from './config.js';
import type { ReceiverContext } from './context.js';
import { loadDetectorConfig, watchDetectorConfig } from './detector-config.js';
import { sendJsonError } from './http-errors.js';
import { apiRoutes } from './routes/api.js';
import { detectorRoutes } from './routes/detectors.js';
import { healthRoutes } from './routes/health.js';
import { ingestRoutes } from './routes/ingest.js';
import { metricsRoutes } from './routes/metrics.js';
import { otlpRoutes } from './routes/otlp.js';
import { runRoutes } from './routes/runs.js';
import { SignalHub } from './signal-hub.js';
import type { SignalBus } from '../storage/notify.js';
import type { GrpcReceiver } from './grpc.js';
import { StorageGate, storagePlugin } from './storage-gate.js';

export interface Receiver {
  app: FastifyInstance;
  ctx: ReceiverContext;
  /** Resolves once the database is migrated and open runs are recovered. */
  ready: Promise<void>;
  /** Token for the loopback-only /admin routes the CLI uses. */
  adminToken: string;
  /** Starts the OTLP/gRPC way in (closed with the receiver); resolves with the port bound. */
  listenGrpc(host: string, port: number): Promise<number>;
  /** Stops accepting, finishes in-flight requests and writes, stops run timers, closes the database. Idempotent. */
  close(): Promise<void>;
}

export interface ReceiverDeps {
  /** Use an already-open storage (tests); otherwise it is opened from the config. */
  storage?: SqlStorage;
  /** Replaces the detectors (null: no detection). Default: all detectors, configured by detectors.yml. */
  judge?: Judge | null;
  /** Also receives every newly stored signal (besides the alert dispatcher and the SSE hub). */
  sink?: SignalSink;
  /** HTTP transport for alerts (tests); default: fetch. */
  alertPost?: PostFn;
  /** Ingest backpressure limits (tests); default: 8 writes in flight on a Postgres server, 2 on PGlite, 32 queued. */
  admission?: Admission;
}

/** Every migration the receiver's storage needs: the core schema plus the alert outbox. */
export const RECEIVER_MIGRATIONS = [...MIGRATIONS, ALERT_DELIVERIES_MIGRATION];

/**
 * Builds the receiver without listening (tests use inject()). The HTTP server answers at once: until the database
 * is ready, /health and ingest answer 503 so senders retry rather than lose data.
 */
export async function createReceiver(config: ReceiverConfig, deps: ReceiverDeps = {}): Promise<Receiver> {
  // A bad detectors.yml stops the service here, before it listens (DetectorConfigError names file, line and key).
  const detectorConfig = { current: await loadDetectorConfig(config.detectorsPath) };
  const app = Fastify({
    logger: config.logLevel === 'silent' ? false : { level: config.logLevel },
    // Per-request info lines would dominate the log at thousands of exports/s; outcomes are logged by the routes.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.maxBodyBytes, // our own reader enforces it again while decompressing
    forceCloseConnections: false,
    return503OnClosing: true,
    // Run ids are whatever an SDK chose (up to 512 characters, URL-encoded): the route answers a clear 400 beyond.
    routerOptions: { maxParamLength: 2048 },
  });
  // Bodies are read by the ways in themselves (bounded, decompressing, auth first): hand the raw stream through.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
  // Routes throw the error model's errors; fastify's own (a malformed URL, …) keep their 4xx.
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.code(err.statusCode).send({ error: 'bad_request', message: err.message });
    }
    return sendJsonError(req, reply, err);
  });

  // The storage plugin first: onClose hooks run last-registered first, so the database closes after all else.
  const gate = new StorageGate(config, deps.storage);
  storagePlugin(app, gate);
  const storage: StorageAccess = () => gate.get();

  let dispatcher: AlertDispatcher | null = null;
  const hub = new SignalHub();
  const judge = deps.judge !== undefined ? deps.judge : new DetectorJudge(detectorConfig, new BaselineCache(storage), app.log);
  // Several receivers on one Postgres server: signals one stores reach the others' SSE streams over LISTEN/NOTIFY.
  let bus: SignalBus | null = null;
  const sink: SignalSink = (signals, run) => {
    if (dispatcher) void dispatcher.notify(signals);
    hub.publish(signals);
    bus?.publish(signals.map((s) => s.id));
    deps.sink?.(signals, run);
  };
  const pipeline = createPipeline({
    storage,
    judge,
    sink,
    log: app.log,
    graceMs: config.runGraceMs,
    idleMs: config.runIdleTimeoutMs,
    // pg's pool has 10 connections: 8 for ingest, 2 kept for completions, the API and /health. PGlite runs one
    // statement at a time anyway; 2 lets the next batch decode while one commits.
    admission: deps.admission ?? new Admission(config.databaseUrl ? 8 : 2, 32),
    // Peers may share a Postgres server: adopt the runs one that died left open. PGlite has one process only.
    sweepMs: config.databaseUrl ? 2_000 : null,
  });
  const warned = new Set<string>();
  const ctx: ReceiverContext = {
    config,
    storage: gate,
    auth: new Authenticator(storage, { mode: config.authMode, cacheMs: config.keyCacheMs }),
    pipeline,
    detectors: detectorConfig,
    signals: hub,
    log: app.log,
    warnOnce: (m) => {
      if (warned.has(m) || warned.size > 100) return;
      warned.add(m);
      app.log.warn(m);
    },
  };

  healthRoutes(app, ctx);
  metricsRoutes(app, ctx, () => dispatcher);
  otlpRoutes(app, ctx);
  ingestRoutes(app, ctx);
  runRoutes(app, ctx);
  apiRoutes(app, ctx);
  detectorRoutes(app, ctx);
  dashboardRoutes(app);
  const adminToken = newAdminToken();
  adminRoutes(app, ctx, adminToken);

  const stopWatching = watchDetectorConfig(config.detectorsPath, detectorConfig, app.log);
  let stopPruning: (() => void) | null = null;
  const ready = (async () => {
    const opened = await gate.open(RECEIVER_MIGRATIONS, app.log);
    if (config.databaseUrl) {
      const { openSignalBus } = await import('../storage/notify.js');
      bus = openSignalBus({
        databaseUrl: config.databaseUrl,
        schema: config.databaseSchema,
        origin: randomUUID(),
        onSignals: (ids) => {
          Promise.all(ids.map((id) => opened.getSignalForDelivery(id))).then(
            (rows) => hub.publish(rows.filter((r): r is NonNullable<typeof r> => r !== null)),
            (err: Error) => app.log.warn({ err: err.message }, 'could not load signals a peer receiver stored'),
          );
        },
        onError: (err) => app.log.debug({ err: err.message }, 'signal notifications: connection problem (reconnecting)'),
      });
    }
    dispatcher = createAlertDispatcher(config, opened, app.log, deps.alertPost);
    if (dispatcher) {
      app.log.info({ channels: dispatcher.describe() }, 'alerts enabled');
      await dispatcher.start(); // resend what an earlier process left undelivered
    }
    const recovered = await pipeline.recover();
    if (recovered) app.log.info({ open_runs: recovered }, 'recovered open runs from the database');
    // Every PRUNE_INTERVAL_MS, or twice per partition when partitions are narrower (tests, benchmarks).
    const every = config.partitionMinutes ? Math.min(PRUNE_INTERVAL_MS, config.partitionMinutes * 30_000) : PRUNE_INTERVAL_MS;
    stopPruning = startPruning(opened, app.log, every);
  })();
  ready.catch((err) => app.log.error({ err }, 'database initialisation failed'));

  // After in-flight requests finished: stop run timers (completions in flight finish; open runs stay open and are
  // recovered next start), then alert sends in flight; the storage plugin's hook closes the database after this.
  let grpc: GrpcReceiver | null = null;
  const listenGrpc = async (host: string, port: number) => {
    if (grpc) throw new Error('the OTLP/gRPC receiver is already listening');
    // Loaded only when used: neither the HTTP-only receiver nor `dunetrace-otel` load gRPC.
    const { startGrpcReceiver } = await import('./grpc.js');
    grpc = await startGrpcReceiver(ctx, host, port);
    return grpc.port;
  };

  app.addHook('onClose', async () => {
    await grpc?.close(); // exports in flight finish, like HTTP requests, before the pipeline stops
    stopWatching();
    stopPruning?.();
    gate.stopOpening();
    await pipeline.stop();
    await ready.catch(() => {});
    await dispatcher?.close(); // the rest stays pending in the outbox
    await bus?.close();
  });

  let closing: Promise<void> | null = null;
  return { app, ctx, ready, adminToken, listenGrpc, close: () => (closing ??= app.close()) };
}
