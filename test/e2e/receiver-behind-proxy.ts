import { afterAll, beforeAll } from 'vitest';
import { freshDataDir } from '../helpers/pglite-template.js';
import { startReceiverProcess } from '../helpers/process.js';
import { startProxy } from '../processor/helpers.js';

export interface ProxiedReceiver {
  /** The receiver process (PGlite in its own data dir, LOG_LEVEL=trace so the log sweep sees everything). */
  rec: Awaited<ReturnType<typeof startReceiverProcess>>;
  data: Awaited<ReturnType<typeof freshDataDir>>;
  /** A recording proxy in front of it: what the SpanProcessor sends on the wire. */
  proxy: Awaited<ReturnType<typeof startProxy>>;
}

/**
 * The two-path e2e setup of the content detectors: one receiver process, a sniffing proxy in front for the processor
 * path; started before the file's tests and stopped after them. Read the fields inside tests (they are set then).
 */
export function receiverBehindProxy(): ProxiedReceiver {
  const r = {} as ProxiedReceiver;
  beforeAll(async () => {
    r.data = await freshDataDir();
    r.rec = await startReceiverProcess({ DUNETRACE_DATA_DIR: r.data.dir, LOG_LEVEL: 'trace', DUNETRACE_RUN_GRACE_MS: '300' });
    r.proxy = await startProxy(r.rec.url);
  }, 120_000);
  afterAll(async () => {
    await r.proxy?.close();
    if (r.rec && r.rec.child.exitCode === null) {
      r.rec.child.kill('SIGTERM');
      await r.rec.exited;
    }
    r.data?.remove();
  });
  return r;
}
