import type { FastifyInstance } from 'fastify';
import { StorageUnavailableError } from '../errors/index.js';
import { openStorage, type SqlStorage } from '../storage/index.js';
import type { ReceiverConfig } from './config.js';

/**
 * The receiver's database, as a fastify plugin: the HTTP server answers at once while the database opens (a Postgres
 * server may come up after us), and until it is open every use is a StorageUnavailableError — retryable, so ingest
 * answers 503 + Retry-After and senders keep their data. Closed on the app's onClose, after everything that writes.
 */
export class StorageGate {
  private storage: SqlStorage | null;
  private isOpen = false;
  private closed = false;

  constructor(
    private readonly config: ReceiverConfig,
    injected?: SqlStorage,
  ) {
    this.storage = injected ?? null;
  }

  /** The open storage; throws StorageUnavailableError until it is open (and migrated). */
  get(): SqlStorage {
    if (!this.storage || !this.isOpen) throw new StorageUnavailableError('database not ready yet');
    return this.storage;
  }

  get ready(): boolean {
    return this.isOpen;
  }

  get kind(): 'pglite' | 'postgres' {
    return this.storage?.kind ?? (this.config.databaseUrl ? 'postgres' : 'pglite');
  }

  /**
   * Opens (retrying a Postgres server every 2 s until it answers or the receiver closes) and migrates. PGlite failing
   * to open, or a bad URL or credentials, are not transient: they reject.
   */
  async open(migrations: Parameters<typeof openStorage>[0]['migrations'], log: FastifyInstance['log']): Promise<SqlStorage> {
    for (let attempt = 1; !this.storage; attempt++) {
      try {
        this.storage = await openStorage({
          databaseUrl: this.config.databaseUrl ?? undefined,
          schema: this.config.databaseSchema ?? undefined,
          dataDir: this.config.dataDir,
          migrations,
          retentionSeconds: this.config.retentionSeconds,
          partitionMinutes: this.config.partitionMinutes ?? undefined,
        });
      } catch (err) {
        if (!this.config.databaseUrl || !(err instanceof StorageUnavailableError) || this.closed) throw err;
        if (attempt === 1 || attempt % 30 === 0) log.warn({ attempt, err: err.message }, 'database not reachable yet; retrying every 2 s');
        for (let waited = 0; waited < 2000 && !this.closed; waited += 100) await new Promise((r) => setTimeout(r, 100));
        if (this.closed) throw err;
      }
    }
    await this.storage.migrate();
    if (this.closed) throw new StorageUnavailableError('receiver closed while the database was opening');
    this.isOpen = true;
    return this.storage;
  }

  /** Stops retrying to open: a receiver closing while its database is still unreachable. */
  stopOpening(): void {
    this.closed = true;
  }

  /** Waits for writes in flight, then closes. Idempotent. */
  async close(): Promise<void> {
    this.stopOpening();
    this.isOpen = false;
    await this.storage?.close();
  }
}

/** Registers the gate: `app.storage`, closed on onClose. Register it first, so it closes after every other plugin. */
export function storagePlugin(app: FastifyInstance, gate: StorageGate): void {
  app.decorate('storage', gate);
  app.addHook('onClose', async () => {
    await gate.close();
  });
}

declare module 'fastify' {
  interface FastifyInstance {
    storage: StorageGate;
  }
}
