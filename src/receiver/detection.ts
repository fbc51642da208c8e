import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import {
  BASELINE_WINDOW,
  baselineFromStats,
  DetectorConfigError,
  loadDetectorConfig,
  runDetectors,
  runStats,
  type Baseline,
  type DetectorConfig,
  type RunStats,
} from '../detectors/index.js';
import type { AssembledRun } from '../runs/types.js';
import type { Storage } from '../storage/types.js';
import type { Judge, PipelineLogger } from './pipeline.js';

/**
 * Baselines per (customer, agent, version): the stats of the last BASELINE_WINDOW eligible runs, read from the
 * database once per key and then kept current in memory as runs close — never a re-read of runs per completion.
 */
export class BaselineCache {
  private readonly entries = new Map<string, Promise<RunStats[]>>();

  constructor(
    private readonly storage: Storage,
    private readonly maxKeys = 10_000,
  ) {}

  async get(customerId: string, agentId: string, version: string): Promise<Baseline> {
    return baselineFromStats(await this.stats(customerId, agentId, version));
  }

  /** A run just closed: its stats join the front of its agent's window (when loaded; otherwise the next load sees it). */
  record(customerId: string, agentId: string, version: string, stats: RunStats): void {
    const entry = this.entries.get(this.key(customerId, agentId, version));
    if (!entry || !stats.eligible) return;
    void entry.then((list) => {
      list.unshift(stats);
      if (list.length > BASELINE_WINDOW) list.length = BASELINE_WINDOW;
    });
  }

  private stats(customerId: string, agentId: string, version: string): Promise<RunStats[]> {
    const k = this.key(customerId, agentId, version);
    let entry = this.entries.get(k);
    if (!entry) {
      if (this.entries.size >= this.maxKeys) this.entries.delete(this.entries.keys().next().value as string);
      entry = this.storage.listRecentRunStats(customerId, agentId, version, BASELINE_WINDOW).then((rows) => rows as RunStats[]);
      entry.catch(() => this.entries.delete(k)); // a failed load is retried next time
      this.entries.set(k, entry);
    }
    return entry;
  }

  private key(customerId: string, agentId: string, version: string): string {
    return `${customerId}\u0000${agentId}\u0000${version}`;
  }
}

/** Holds the detector configuration; swapped atomically on a successful reload. */
export class DetectorSettings {
  constructor(public current: DetectorConfig) {}
}

/** Runs the detectors for the pipeline: live subset on open runs, all of them (with the baseline) on completion. */
export class DetectorJudge implements Judge {
  constructor(
    private readonly settings: DetectorSettings,
    private readonly baselines: BaselineCache,
    private readonly log: PipelineLogger,
  ) {}

  async judge(run: AssembledRun, ctx: { customerId: string; live: boolean }) {
    const baseline = ctx.live ? null : await this.baselines.get(ctx.customerId, run.agent_id, run.agent_version);
    const found = runDetectors(run, {
      config: this.settings.current,
      baseline,
      liveOnly: ctx.live,
      onError: (type, err) => this.log.error({ failure_type: type, err: (err as Error)?.name }, 'a detector threw; skipped'),
    });
    return found.map((s) => ({
      failure_type: s.failure_type,
      severity: s.severity,
      confidence: s.confidence,
      step_index: s.step_index,
      evidence: s.evidence,
      shadow: s.shadow,
      detected_live: ctx.live,
    }));
  }

  closedRunStats(customerId: string, run: AssembledRun): RunStats | null {
    const stats = runStats(run);
    this.baselines.record(customerId, run.agent_id, run.agent_version, stats);
    return stats.eligible ? stats : null;
  }
}

/**
 * Reloads detectors.yml on SIGHUP and when the file changes (watching its directory, so editors that replace the
 * file are seen). A bad file keeps the running configuration and logs why.
 */
export function watchDetectorConfig(
  file: string,
  settings: DetectorSettings,
  log: { info(o: object, m: string): void; error(o: object, m: string): void },
): () => void {
  let timer: NodeJS.Timeout | null = null;
  const reload = (reason: string) => {
    loadDetectorConfig(file).then(
      (next) => {
        settings.current = next;
        log.info({ file, reason, source: next.source.kind }, 'detector configuration reloaded');
      },
      (err) => {
        const detail = err instanceof DetectorConfigError ? err.message : (err as Error).message;
        log.error({ file, reason }, `detector configuration NOT reloaded, keeping the previous one: ${detail}`);
      },
    );
  };
  const onHup = () => reload('SIGHUP');
  process.on('SIGHUP', onHup);
  let watcher: FSWatcher | null = null;
  try {
    const base = path.basename(file);
    watcher = watch(path.dirname(path.resolve(file)), (_event, name) => {
      if (name !== base) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => reload('file changed'), 100); // editors write in several steps
      timer.unref();
    });
    watcher.unref();
  } catch {
    // No watchable directory (e.g. it does not exist): SIGHUP still works.
  }
  return () => {
    process.off('SIGHUP', onHup);
    watcher?.close();
    if (timer) clearTimeout(timer);
  };
}
