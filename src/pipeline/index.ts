/** The ingest pipeline (see pipeline.ts for the picture) and the stages it composes. */
export { createPipeline, type IngestBatch, type Pipeline, type PipelineOptions, type PipelineStats } from './pipeline.js';
export { Admission } from './admission.js';
export { liveCheckDue } from './live-check.js';
export { BaselineCache, DetectorJudge, type DetectorConfigSource } from './detector-judge.js';
export type {
  ConsumeResult,
  DunetraceEventUnit,
  IngestUnit,
  Judge,
  Judged,
  MappedUnit,
  OtlpSpanUnit,
  PipelineLogger,
  SignalSink,
  StorageAccess,
} from './types.js';
