import pg from 'pg';

/**
 * Postgres LISTEN/NOTIFY between receivers sharing one database: a receiver that stores signals tells the others, so
 * the SSE feed and the dashboard on every receiver show every signal. Best effort by design — a missed notification
 * costs a live update, never data (signals are in the database, and streams replay from it by Last-Event-ID).
 * One dedicated connection per receiver; it reconnects with backoff after the server restarts.
 */
export interface SignalBus {
  publish(ids: readonly number[]): void;
  close(): Promise<void>;
}

export interface SignalBusOptions {
  databaseUrl: string;
  /** Installations sharing a database in different schemas get their own channel. */
  schema: string | null;
  /** This receiver's id: its own notifications are ignored. */
  origin: string;
  onSignals: (ids: number[]) => void;
  onError?: (err: Error) => void;
}

const MAX_IDS = 500; // a NOTIFY payload is limited to 8,000 bytes

export function openSignalBus(o: SignalBusOptions): SignalBus {
  const channel = `dunetrace_signals${o.schema ? `_${o.schema}` : ''}`;
  const publisher = new pg.Pool({ connectionString: o.databaseUrl, max: 1, application_name: 'dunetrace-otel-notify' });
  publisher.on('error', (err) => o.onError?.(err));
  let client: pg.Client | null = null;
  let closed = false;
  let delay = 500;
  let timer: NodeJS.Timeout | null = null;

  const listen = async () => {
    if (closed) return;
    const c = new pg.Client({ connectionString: o.databaseUrl, application_name: 'dunetrace-otel-listen' });
    // Without a listener an error on this idle connection (server restart) would crash the process.
    c.on('error', (err) => {
      o.onError?.(err);
      retry(c);
    });
    c.on('end', () => retry(c));
    c.on('notification', (n) => {
      if (n.channel !== channel || !n.payload) return;
      try {
        const msg = JSON.parse(n.payload) as { origin?: string; ids?: unknown };
        if (msg.origin === o.origin || !Array.isArray(msg.ids)) return;
        o.onSignals(msg.ids.filter((x): x is number => Number.isSafeInteger(x)));
      } catch {
        // not ours
      }
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${channel}`);
      client = c;
      delay = 500;
    } catch (err) {
      o.onError?.(err as Error);
      retry(c);
    }
  };
  const retry = (c: pg.Client) => {
    if (closed || timer || (client !== null && client !== c)) return;
    client = null;
    void c.end().catch(() => undefined);
    timer = setTimeout(() => {
      timer = null;
      void listen();
    }, delay);
    timer.unref();
    delay = Math.min(delay * 2, 10_000);
  };
  void listen();

  return {
    publish(ids) {
      for (let i = 0; i < ids.length && !closed; i += MAX_IDS) {
        const payload = JSON.stringify({ origin: o.origin, ids: ids.slice(i, i + MAX_IDS) });
        publisher.query('SELECT pg_notify($1, $2)', [channel, payload]).catch((err: Error) => o.onError?.(err));
      }
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await Promise.allSettled([client?.end(), publisher.end()]);
    },
  };
}
