import type { Storage } from './types.js';

/** How often a receiver drops expired partitions: often enough that disk use tracks the retention window closely. */
export const PRUNE_INTERVAL_MS = 10 * 60_000;

interface PruneLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * Prunes now and then every intervalMs (timer unref'd: it never keeps the process alive). Several receivers sharing a
 * database may all do it: prune() serialises on the partition lock and a partition is dropped once. Returns stop().
 */
export function startPruning(storage: Pick<Storage, 'prune'>, log: PruneLog, intervalMs = PRUNE_INTERVAL_MS): () => void {
  let running = false;
  const tick = async (): Promise<void> => {
    if (running) return;
    running = true;
    try {
      const report = await storage.prune();
      if (report.partitions.length > 0) {
        const sum = (k: 'runs' | 'spans' | 'signals' | 'open_runs_kept') => report.partitions.reduce((n, p) => n + p[k], 0);
        log.info(
          { partitions: report.partitions.length, runs: sum('runs'), spans: sum('spans'), signals: sum('signals'), open_runs_kept: sum('open_runs_kept') },
          'retention: dropped expired partitions',
        );
      }
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'retention: prune failed; retrying at the next interval');
    } finally {
      running = false;
    }
  };
  void tick();
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
