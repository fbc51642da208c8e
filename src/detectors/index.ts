/** Failure detectors: pure functions of an AssembledRun (+ per-agent settings and baseline) to signals. */
export type { AnyDetector, Detector, DetectorContext, ExplainFn, Evidence, EvidenceValue, FailureType, Severity, Signal } from './types.js';
export { FAILURE_TYPES, SEVERITIES, defineDetector } from './types.js';
export { EvidenceReader } from './evidence-reader.js';
export type { Baseline, ByStepKind, RunStats, StepKind } from './baseline.js';
export { BASELINE_WINDOW, baselineFromStats, p75, percentile, runStats } from './baseline.js';
export type {
  AgentSection,
  ConfigProblem,
  ConfigSource,
  DetectorConfig,
  DetectorOverride,
  DetectorSettings,
  ResolvedAgentConfig,
  SectionOverrides,
} from './config.js';
export { DetectorConfigError, defaultDetectorConfig, parseDetectorConfig, resolveAgentConfig } from './config.js';
export { defaultDetectorsYaml } from './config-template.js';
export type { DetectedSignal, RunDetectorsOptions } from './registry.js';
export { DETECTORS, getDetector, runDetectors, settingsFor } from './registry.js';
export { DROPPABLE_FACTS, unusedByEveryAgent, unusedFacts, type SkippableFact } from './stored-facts.js';
export { explainSignal, summarizeEvidence } from './explain.js';
export type { Catalogue, CatalogueEntry, CatalogueParameter, DetectorMode } from './catalogue.js';
export { detectorCatalogue, detectorTableMarkdown } from './catalogue.js';
