/**
 * Runs every enabled detector on one run with the agent's resolved settings. Open runs only get the live
 * detectors (TOOL_LOOP, TOOL_THRASHING, RETRY_STORM, CASCADING_TOOL_FAILURE, RUNAWAY_ITERATION); the others judge
 * finished runs. Each signal is annotated with `shadow` (stored, never alerted) from the config.
 */
import type { AssembledRun } from '../runs/types.js';
import type { Baseline } from './baseline.js';
import { defaultDetectorConfig, resolveAgentConfig, type DetectorConfig, type ResolvedAgentConfig } from './config.js';
import { DETECTORS } from './rules/index.js';
import type { AnyDetector, FailureType, Signal } from './types.js';

export { DETECTORS };

const MAX_CACHED_AGENTS = 1000;
const resolved = new WeakMap<DetectorConfig, Map<string, ResolvedAgentConfig>>();

export interface DetectedSignal extends Signal {
  shadow: boolean;
}

export interface RunDetectorsOptions {
  /** Defaults to the built-in settings. */
  config?: DetectorConfig;
  /** The agent+version baseline (P75 over recent completed runs), or null. */
  baseline?: Baseline | null;
  /** Only the live detectors. Always true for open runs. */
  liveOnly?: boolean;
  /** Called when a detector throws (it is skipped); detectors are written not to. */
  onError?: (failureType: FailureType, error: unknown) => void;
}

/** The settings of one agent (resolved once per config and agent). */
export function settingsFor(config: DetectorConfig, agentId: string): ResolvedAgentConfig {
  let perAgent = resolved.get(config);
  if (!perAgent) {
    perAgent = new Map();
    resolved.set(config, perAgent);
  }
  let r = perAgent.get(agentId);
  if (!r) {
    r = resolveAgentConfig(config, agentId);
    if (perAgent.size >= MAX_CACHED_AGENTS) perAgent.clear();
    perAgent.set(agentId, r);
  }
  return r;
}

const byKeyOrType = new Map<string, AnyDetector>();
for (const d of DETECTORS) {
  byKeyOrType.set(d.key, d);
  byKeyOrType.set(d.failure_type, d);
}

/** A detector by yml key ("tool_loop") or failure type ("TOOL_LOOP"). */
export function getDetector(keyOrType: string): AnyDetector | undefined {
  return byKeyOrType.get(keyOrType);
}

const builtIn = defaultDetectorConfig();

export function runDetectors(run: AssembledRun, options: RunDetectorsOptions = {}): DetectedSignal[] {
  const config = options.config ?? builtIn;
  const baseline = options.baseline ?? null;
  const liveOnly = options.liveOnly === true || run?.status === 'open';
  const agent = settingsFor(config, typeof run?.agent_id === 'string' ? run.agent_id : '');
  const out: DetectedSignal[] = [];
  for (const d of DETECTORS) {
    if (liveOnly && !d.live) continue;
    const s = agent.detectors[d.key];
    if (!s?.enabled || d.inert?.(s.params) === true) continue;
    try {
      const signal = d.detect(run, { params: s.params, baseline });
      if (signal) out.push({ ...signal, shadow: s.shadow });
    } catch (err) {
      options.onError?.(d.failure_type, err);
    }
  }
  return out;
}
