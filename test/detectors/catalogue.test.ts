import { describe, expect, it } from 'vitest';
import { DETECTORS, defaultDetectorConfig, detectorCatalogue, parseDetectorConfig } from '../../src/detectors/index.js';

/** The original's LIVE_DETECTORS (db.py) and its four shadow detectors (reference §2). */
const ORIGINAL_LIVE = new Set([
  'PROMPT_INJECTION_SIGNAL',
  'TOOL_LOOP',
  'TOOL_THRASHING',
  'TOOL_AVOIDANCE',
  'GOAL_ABANDONMENT',
  'RAG_EMPTY_RETRIEVAL',
  'LLM_TRUNCATION_LOOP',
  'CONTEXT_BLOAT',
  'SLOW_STEP',
  'RETRY_STORM',
  'EMPTY_LLM_RESPONSE',
  'STEP_COUNT_INFLATION',
  'CASCADING_TOOL_FAILURE',
  'FIRST_STEP_FAILURE',
  'REASONING_STALL',
  'COST_SPIKE',
  'SESSION_LATENCY',
  'PREMATURE_TERMINATION',
  'UNREAD_TOOL_ERROR',
  'TOOL_ARGUMENT_FABRICATION',
  'RETRIEVED_CONTENT_INJECTION',
  'HANDOFF_CONTEXT_LOSS',
  'RUNAWAY_ITERATION',
  'EXCESSIVE_RETRIEVAL',
  'SILENT_TRUNCATION',
  'AGENT_HANDOFF_FAILURE',
  'MODEL_FALLBACK_DRIFT',
  'MEMORY_POISONING',
  'DELEGATION_LOOP',
  'UNGROUNDED_DESTINATION',
]);
const ORIGINAL_SHADOW = new Set(['OVERSIZED_TOOL_ARGUMENTS', 'SCATTERSHOT_TOOL_USE', 'UNRESOLVED_AMBIGUITY', 'INSTRUMENTATION_DEGRADED']);

describe('live/shadow defaults', () => {
  it('are the original’s: its 30 LIVE_DETECTORS alert, its 4 shadow detectors only store', () => {
    expect(ORIGINAL_LIVE.size).toBe(30);
    const c = detectorCatalogue(defaultDetectorConfig());
    for (const d of c.detectors) {
      expect(ORIGINAL_LIVE.has(d.failure_type) || ORIGINAL_SHADOW.has(d.failure_type), `${d.failure_type} is one of the original's 34`).toBe(true);
      expect(d.mode, d.failure_type).toBe(ORIGINAL_SHADOW.has(d.failure_type) ? 'shadow' : 'live');
    }
    expect(c.counts.total).toBe(DETECTORS.length);
    expect(c.counts.live + c.counts.shadow).toBe(DETECTORS.length);
  });
});

describe('detectorCatalogue', () => {
  const config = parseDetectorConfig(['default:', '  retry_storm:', '    threshold: 5', 'bot-1:', '  retry_storm:', '    enabled: false', ''].join('\n'));
  it('shows values over defaults for the default section, and an agent’s own sections with agent=', () => {
    const all = detectorCatalogue(config);
    const retry = all.detectors.find((d) => d.key === 'retry_storm');
    expect(retry).toMatchObject({ mode: 'live', parameters: [{ name: 'threshold', value: 5, default: 3 }] });
    const bot = detectorCatalogue(config, 'bot-1');
    expect(bot).toMatchObject({ agent: 'bot-1', sections: ['bot-1'], counts: { disabled: 1 } });
    expect(bot.detectors.find((d) => d.key === 'retry_storm')?.mode).toBe('disabled');
    expect(detectorCatalogue(config, 'bot-2').counts.disabled).toBe(0);
  });
});
