import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { ALERT_DELIVERIES_MIGRATION, type AlertDispatcher, type PostFn } from '../alerts/index.js';
import { loadDetectorConfig } from '../detectors/index.js';
import { createHasher, mapSpan } from '../mapping/index.js';
import { MIGRATIONS, openStorage, type SqlStorage } from '../storage/index.js';
import { StorageUnavailableError, type Storage } from '../storage/types.js';
import { adminRoutes, newAdminToken } from './admin.js';
import { createAlertDispatcher } from './alerting.js';
import { BaselineCache, DetectorJudge, DetectorSettings, watchDetectorConfig } from './detection.js';
import { Authenticator } from './auth.js';
import type { ReceiverConfig } from './config.js';
import type { ReceiverContext } from './context.js';
import { RunPipeline, type Judge, type SignalSink } from './pipeline.js';
import { healthRoutes } from './routes/health.js';
import { otlpRoutes } from './routes/otlp.js';
import { runRoutes } from './routes/runs.js';
import { apiRoutes } from './routes/api.js';
import { SignalHub } from './signal-hub.js';
import { WriteGate } from './write-gate.js';
import { dashboardRoutes } from '../dashboard/routes.js';

export interface Receiver {
  app: FastifyInstance;
  ctx: ReceiverContext;
  /** Resolves once the database is migrated and open runs are recovered. */
  ready: Promise<void>;
  /** Token for the loopback-only /admin routes the CLI uses while this process owns an embedded database. */
  adminToken: string;
  /** Stops accepting, finishes in-flight requests and writes, stops run timers, closes the database. Idempotent. */
  close(): Promise<void>;
}

export interface ReceiverDeps {
  /** Use an already-open storage (tests); otherwise it is opened from the config. */
  storage?: Storage;
  /** Replaces the detectors (null: no detection). Default: all detectors, configured by detectors.yml. */
  judge?: Judge | null;
  /** Also receives every newly stored signal (besides the alert dispatcher). */
  sink?: SignalSink;
  /** HTTP transport for alerts (tests); default: fetch. */
  alertPost?: PostFn;
}

/** Every migration the receiver's storage needs: the core schema plus the alert outbox. */
export const RECEIVER_MIGRATIONS = [...MIGRATIONS, ALERT_DELIVERIES_MIGRATION];

/**
 * Builds the receiver without listening (tests use inject()). The HTTP server answers at once: until the database
 * is ready, /health and ingest answer 503 so senders retry rather than lose data.
 */
export async function createReceiver(config: ReceiverConfig, deps: ReceiverDeps = {}): Promise<Receiver> {
  // A bad detectors.yml stops the service here, before it listens (DetectorConfigError names file, line and key).
  const detectorSettings = new DetectorSettings(await loadDetectorConfig(config.detectorsPath));
  const app = Fastify({
    logger: config.logLevel === 'silent' ? false : { level: config.logLevel },
    // Per-request info lines would dominate the log at thousands of exports/s; outcomes are logged by the routes.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.maxBodyBytes, // our own reader enforces it again while decompressing
    forceCloseConnections: false,
    return503OnClosing: true,
  });
  // Bodies are read by the OTLP route itself (bounded, decompressing, auth first): hand the raw stream through.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));

  let isReady = false;
  let storage: Storage | null = deps.storage ?? null;
  const warned = new Set<string>();
  const hasher = createHasher({});
  const lazyStorage = new Proxy({} as Storage, {
    get(_t, prop) {
      if (!storage || !isReady) {
        if (prop === 'kind') return storage?.kind ?? (config.databaseUrl ? 'postgres' : 'pglite');
        return () => Promise.reject(new StorageUnavailableError('database not ready yet'));
      }
      const v = (storage as unknown as Record<string | symbol, unknown>)[prop];
      return typeof v === 'function' ? (v as (...args: unknown[]) => unknown).bind(storage) : v;
    },
  });

  let dispatcher: AlertDispatcher | null = null;
  const hub = new SignalHub();
  const judge = deps.judge !== undefined ? deps.judge : new DetectorJudge(detectorSettings, new BaselineCache(lazyStorage), app.log);
  const sink: SignalSink = (signals, run) => {
    if (dispatcher) void dispatcher.notify(signals);
    hub.publish(signals);
    deps.sink?.(signals, run);
  };
  const pipeline = new RunPipeline(lazyStorage, judge, sink, app.log, {
    graceMs: config.runGraceMs,
    idleMs: config.runIdleTimeoutMs,
  });
  const ctx: ReceiverContext = {
    config,
    storage: lazyStorage,
    auth: new Authenticator(lazyStorage, { mode: config.authMode, cacheMs: config.keyCacheMs }),
    pipeline,
    signals: hub,
    // pg's pool has 10 connections: 8 for ingest, 2 kept for completions, the API and /health. PGlite runs one
    // statement at a time anyway; 2 lets the next batch decode while one commits.
    writes: new WriteGate(config.databaseUrl ? 8 : 2, 32),
    mapSpan: (span) => mapSpan(span, { hasher }),
    metrics: { spansAccepted: 0, spansDuplicate: 0, spansRejected: 0, exportsThrottled: 0 },
    warnOnce: (m) => {
      if (warned.has(m) || warned.size > 100) return;
      warned.add(m);
      app.log.warn(m);
    },
    ready: () => isReady,
  };

  healthRoutes(app, ctx);
  otlpRoutes(app, ctx);
  runRoutes(app, ctx);
  apiRoutes(app, ctx);
  dashboardRoutes(app, ctx);
  const adminToken = newAdminToken();
  adminRoutes(app, ctx, adminToken);

  let closed = false;
  const stopWatching = watchDetectorConfig(config.detectorsPath, detectorSettings, app.log);
  const ready = (async () => {
    storage ??= await openWithRetry(config, app, () => closed);
    if (closed) return;
    await storage.migrate();
    dispatcher = createAlertDispatcher(config, storage as SqlStorage, app.log, deps.alertPost);
    isReady = true;
    if (dispatcher) {
      app.log.info({ channels: dispatcher.describe() }, 'alerts enabled');
      await dispatcher.start(); // resend what an earlier process left undelivered
    }
    const recovered = await pipeline.recover();
    if (recovered) app.log.info({ open_runs: recovered }, 'recovered open runs from the database');
  })();
  ready.catch((err) => app.log.error({ err }, 'database initialisation failed'));

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      closed = true;
      await app.close(); // stop accepting; in-flight requests (and their writes) finish first
      stopWatching();
      await pipeline.stop(); // completions in flight finish; open runs stay open and are recovered next start
      await ready.catch(() => {});
      await dispatcher?.close(); // sends in flight finish; the rest stays pending in the outbox
      await storage?.close();
    })());

  return { app, ctx, ready, adminToken, close };
}

/** A database server may come up after us: keep trying (ingest answers 503 meanwhile) until it does or we close. */
async function openWithRetry(config: ReceiverConfig, app: FastifyInstance, isClosed: () => boolean): Promise<Storage> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await openStorage({
        databaseUrl: config.databaseUrl ?? undefined,
        schema: config.databaseSchema ?? undefined,
        dataDir: config.dataDir,
        migrations: RECEIVER_MIGRATIONS,
      });
    } catch (err) {
      // PGlite failing to open, or a bad URL/credentials, is not transient.
      if (!config.databaseUrl || !(err instanceof StorageUnavailableError) || isClosed()) throw err;
      if (attempt === 1 || attempt % 30 === 0) app.log.warn({ attempt, err: (err as Error).message }, 'database not reachable yet; retrying every 2 s');
      for (let waited = 0; waited < 2000 && !isClosed(); waited += 100) await new Promise((r) => setTimeout(r, 100));
      if (isClosed()) throw err;
    }
  }
}
