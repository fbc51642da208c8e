/** The detector catalogue, in FAILURE_TYPES order. */
import type { AnyDetector } from '../types.js';
import { agentHandoffFailure } from './agent-handoff-failure.js';
import { cascadingToolFailure } from './cascading-tool-failure.js';
import { contextBloat } from './context-bloat.js';
import { costSpike } from './cost-spike.js';
import { delegationLoop } from './delegation-loop.js';
import { emptyLlmResponse } from './empty-llm-response.js';
import { excessiveRetrieval } from './excessive-retrieval.js';
import { firstStepFailure } from './first-step-failure.js';
import { goalAbandonment } from './goal-abandonment.js';
import { handoffContextLoss } from './handoff-context-loss.js';
import { instrumentationDegraded } from './instrumentation-degraded.js';
import { llmTruncationLoop } from './llm-truncation-loop.js';
import { memoryPoisoning } from './memory-poisoning.js';
import { modelFallbackDrift } from './model-fallback-drift.js';
import { oversizedToolArguments } from './oversized-tool-arguments.js';
import { promptInjection } from './prompt-injection.js';
import { ragEmptyRetrieval } from './rag-empty-retrieval.js';
import { reasoningStall } from './reasoning-stall.js';
import { retrievedContentInjection } from './retrieved-content-injection.js';
import { retryStorm } from './retry-storm.js';
import { runawayIteration } from './runaway-iteration.js';
import { scattershotToolUse } from './scattershot-tool-use.js';
import { sessionLatency } from './session-latency.js';
import { silentTruncation } from './silent-truncation.js';
import { slowStep } from './slow-step.js';
import { stepCountInflation } from './step-count-inflation.js';
import { toolAvoidance } from './tool-avoidance.js';
import { toolLoop } from './tool-loop.js';
import { toolThrashing } from './tool-thrashing.js';
// content-aware (content facts, mapping/facts/)
import { prematureTermination } from './premature-termination.js';
import { toolArgumentFabrication } from './tool-argument-fabrication.js';
import { ungroundedDestination } from './ungrounded-destination.js';
// --- UNRESOLVED_AMBIGUITY ---
import { unresolvedAmbiguity } from './unresolved-ambiguity.js';
// --- end UNRESOLVED_AMBIGUITY ---
import { unreadToolError } from './unread-tool-error.js';

export const DETECTORS: readonly AnyDetector[] = Object.freeze([
  toolLoop,
  toolThrashing,
  toolAvoidance,
  goalAbandonment,
  ragEmptyRetrieval,
  llmTruncationLoop,
  contextBloat,
  slowStep,
  retryStorm,
  emptyLlmResponse,
  stepCountInflation,
  cascadingToolFailure,
  firstStepFailure,
  reasoningStall,
  promptInjection,
  silentTruncation,
  modelFallbackDrift,
  costSpike,
  sessionLatency,
  excessiveRetrieval,
  runawayIteration,
  agentHandoffFailure,
  delegationLoop,
  // issue 12, part B (read-back content)
  retrievedContentInjection,
  memoryPoisoning,
  handoffContextLoss,
  // content-aware
  prematureTermination,
  unreadToolError,
  toolArgumentFabrication,
  ungroundedDestination,
  oversizedToolArguments,
  scattershotToolUse,
  instrumentationDegraded,
  // --- UNRESOLVED_AMBIGUITY ---
  unresolvedAmbiguity,
  // --- end UNRESOLVED_AMBIGUITY ---
]);

export {
  agentHandoffFailure,
  cascadingToolFailure,
  contextBloat,
  costSpike,
  delegationLoop,
  emptyLlmResponse,
  excessiveRetrieval,
  firstStepFailure,
  goalAbandonment,
  handoffContextLoss,
  instrumentationDegraded,
  llmTruncationLoop,
  memoryPoisoning,
  modelFallbackDrift,
  oversizedToolArguments,
  promptInjection,
  ragEmptyRetrieval,
  reasoningStall,
  retrievedContentInjection,
  retryStorm,
  runawayIteration,
  scattershotToolUse,
  sessionLatency,
  silentTruncation,
  slowStep,
  stepCountInflation,
  toolAvoidance,
  toolLoop,
  toolThrashing,
  // content-aware
  prematureTermination,
  unreadToolError,
  toolArgumentFabrication,
  ungroundedDestination,
};
