import {
  BASELINE_WINDOW,
  baselineFromStats,
  runDetectors,
  runStats,
  settingsFor,
  unusedByEveryAgent,
  unusedFacts,
  type Baseline,
  type DetectorConfig,
  type RunStats,
  type SkippableFact,
} from '../detectors/index.js';
import type { AssembledRun } from '../runs/types.js';
import type { Judge, Judged, PipelineLogger, StorageAccess } from './types.js';

/** The detector configuration in force; the receiver swaps `current` atomically when detectors.yml is reloaded. */
export interface DetectorConfigSource {
  current: DetectorConfig;
}

/**
 * Baselines per (customer, agent, version): the stats of the last BASELINE_WINDOW eligible runs, read from the
 * database once per key and then kept current in memory as runs close — never a re-read of runs per completion.
 */
export class BaselineCache {
  private readonly entries = new Map<string, Promise<Window>>();

  constructor(
    private readonly storage: StorageAccess,
    private readonly maxKeys = 10_000,
  ) {}

  async get(customerId: string, agentId: string, version: string): Promise<Baseline> {
    const w = await this.window(customerId, agentId, version);
    // Runs close by the hundred per second: the percentiles are computed once per change of the window, not per run.
    return (w.baseline ??= baselineFromStats(w.stats));
  }

  /** A run just closed: its stats join the front of its agent's window (when loaded; otherwise the next load sees it). */
  record(customerId: string, agentId: string, version: string, stats: RunStats): void {
    const entry = this.entries.get(this.key(customerId, agentId, version));
    if (!entry || !stats.eligible) return;
    void entry.then((w) => {
      w.stats.unshift(stats);
      if (w.stats.length > BASELINE_WINDOW) w.stats.length = BASELINE_WINDOW;
      w.baseline = null;
    });
  }

  private window(customerId: string, agentId: string, version: string): Promise<Window> {
    const k = this.key(customerId, agentId, version);
    let entry = this.entries.get(k);
    if (!entry) {
      if (this.entries.size >= this.maxKeys) this.entries.delete(this.entries.keys().next().value as string);
      entry = this.storage()
        .listRecentRunStats(customerId, agentId, version, BASELINE_WINDOW)
        .then((rows) => ({ stats: rows as RunStats[], baseline: null }));
      entry.catch(() => this.entries.delete(k)); // a failed load is retried next time
      this.entries.set(k, entry);
    }
    return entry;
  }

  private key(customerId: string, agentId: string, version: string): string {
    return `${customerId}\u0000${agentId}\u0000${version}`;
  }
}

/** An agent version's recent eligible run stats (newest first) and their baseline once computed. */
interface Window {
  stats: RunStats[];
  baseline: Baseline | null;
}

/** Runs the detectors for the pipeline: live subset on open runs, all of them (with the baseline) on completion. */
export class DetectorJudge implements Judge {
  constructor(
    private readonly config: DetectorConfigSource,
    private readonly baselines: BaselineCache,
    private readonly log: PipelineLogger,
  ) {}

  async judge(run: AssembledRun, ctx: { customerId: string; live: boolean }): Promise<Judged[]> {
    const baseline = ctx.live ? null : await this.baselines.get(ctx.customerId, run.agent_id, run.agent_version);
    const found = runDetectors(run, {
      config: this.config.current,
      baseline,
      liveOnly: ctx.live,
      onError: (type, err) => this.log.error({ failure_type: type, err: (err as Error)?.name }, 'a detector threw; skipped'),
    });
    return found.map((s) => ({ ...s, detected_live: ctx.live }));
  }

  uncomputedFacts(): ReadonlySet<SkippableFact> {
    return unusedByEveryAgent(this.config.current);
  }

  unusedFacts(agentId: string): ReadonlySet<string> {
    return unusedFacts(settingsFor(this.config.current, agentId));
  }

  closedRunStats(customerId: string, run: AssembledRun): RunStats | null {
    const stats = runStats(run);
    this.baselines.record(customerId, run.agent_id, run.agent_version, stats);
    return stats.eligible ? stats : null;
  }
}
