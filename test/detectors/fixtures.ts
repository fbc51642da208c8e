/** One OTLP-shaped run per failure type on which that detector fires with its defaults (and a baseline if needed). */
import { baselineFromStats, runStats, type Baseline, type FailureType } from '../../src/detectors/index.js';
import { parseDetectorConfig, type DetectorConfig } from '../../src/detectors/config.js';
import type { AssembledRun } from '../../src/runs/types.js';
import { run } from './run-builder.js';

export interface Firing {
  run: AssembledRun;
  baseline?: Baseline;
  /** For a rule that is inert until configured (UNRESOLVED_AMBIGUITY): the detectors.yml that turns it on. */
  config?: DetectorConfig;
}

const baselineOf = (n: number, make: () => AssembledRun): Baseline => baselineFromStats(Array.from({ length: n }, make).map(runStats));
const typical = () =>
  run()
    .llm({ tool_calls: ['a'], duration_ms: 500 })
    .tool('a', { duration_ms: 500 })
    .llm({ duration_ms: 500 })
    .finalAnswer()
    .build();

function pingPong(): AssembledRun {
  const b = run();
  b.agent('triage', { span_id: 'a0' });
  for (let i = 0; i < 5; i++) {
    const to = i % 2 === 0 ? 'billing' : 'triage';
    b.tool(`transfer_to_${to}`, { parent: `a${i}` });
    b.agent(to, { span_id: `a${i + 1}` });
  }
  return b.llm().finalAnswer().build();
}

export const FIRING: Record<FailureType, () => Firing> = {
  TOOL_LOOP: () => ({ run: run().tools(3, 'search').tool('fetch').tool('summarize').llm().finalAnswer().build() }),
  TOOL_THRASHING: () => ({
    run: run()
      .tools(6, (i) => (i % 2 ? 'read_file' : 'write_file'))
      .finalAnswer()
      .build(),
  }),
  TOOL_AVOIDANCE: () => ({
    run: run({ tools: ['search', 'calculator'] })
      .llms(3)
      .finalAnswer()
      .build(),
  }),
  GOAL_ABANDONMENT: () => ({ run: run().tool('search').llms(2).stall().build() }),
  RAG_EMPTY_RETRIEVAL: () => ({ run: run().retrieval('product-docs', { result_count: 0, top_score: null }).llm().finalAnswer().build() }),
  LLM_TRUNCATION_LOOP: () => ({ run: run().llms(2, { finish: 'length' }).llm().finalAnswer().build() }),
  CONTEXT_BLOAT: () => ({ run: run().llm({ prompt_tokens: 1000 }).llm({ prompt_tokens: 2500 }).llm({ prompt_tokens: 4000 }).finalAnswer().build() }),
  SLOW_STEP: () => ({ run: run().llm().tool('scrape', { duration_ms: 20_000 }).signal('rate_limit', { status: 429 }).llm().finalAnswer().build() }),
  RETRY_STORM: () => ({ run: run().tools(3, 'payments_api', { success: false, error_type: 'HTTPError' }).error('HTTPError').build() }),
  EMPTY_LLM_RESPONSE: () => ({ run: run().tool('a').llm({ output_length: 0, output_length_source: 'tokens' }).finalAnswer().build() }),
  STEP_COUNT_INFLATION: () => ({ run: run().llms(8).finalAnswer().build(), baseline: baselineOf(10, typical) }),
  CASCADING_TOOL_FAILURE: () => ({ run: run().tool('db', { success: false }).tool('cache', { success: false }).tool('api', { success: false }).build() }),
  FIRST_STEP_FAILURE: () => ({ run: run().llm({ success: false, error_type: 'AuthenticationError' }).error('AuthenticationError').build() }),
  REASONING_STALL: () => ({ run: run().llms(5).tool('a').llms(3).finalAnswer().build() }),
  PROMPT_INJECTION_SIGNAL: () => ({
    run: run({ injection: { matched_pattern_count: 1, matched_patterns: ['ignore_instructions'], input_length: 96 } })
      .llm()
      .finalAnswer()
      .build(),
  }),
  SILENT_TRUNCATION: () => ({ run: run().tool('a').llm({ finish: 'length', max_tokens: 512, completion_tokens: 512 }).finalAnswer().build() }),
  MODEL_FALLBACK_DRIFT: () => ({ run: run().llm({ model: 'gpt-4o', response_model: 'gpt-4o-mini' }).finalAnswer().build() }),
  COST_SPIKE: () => ({ run: run().llm({ total_tokens: 30_000 }).llm({ total_tokens: 30_000 }).finalAnswer().build() }),
  SESSION_LATENCY: () => ({
    run: run().llm({ duration_ms: 20_000 }).tool('a', { duration_ms: 3000 }).llm({ duration_ms: 20_000 }).finalAnswer().build(),
    baseline: baselineOf(20, typical),
  }),
  EXCESSIVE_RETRIEVAL: () => ({
    run: Array.from({ length: 8 })
      .reduce<ReturnType<typeof run>>((b) => b.retrieval('kb'), run())
      .llm()
      .finalAnswer()
      .build(),
  }),
  RUNAWAY_ITERATION: () => ({
    run: run()
      .tools(51, (i) => `t${i % 7}`)
      .build(),
  }),
  AGENT_HANDOFF_FAILURE: () => ({ run: run().tool('transfer_to_refunds', { success: false }).llm().finalAnswer().build() }),
  DELEGATION_LOOP: () => ({ run: pingPong() }),
  RETRIEVED_CONTENT_INJECTION: () => ({
    run: run()
      .retrieval('kb', { directive_markers: ['ignore_previous_instructions'] })
      .llm()
      .finalAnswer()
      .build(),
  }),
  MEMORY_POISONING: () => ({
    run: run().tool('fetch_page').memoryWrite('prefs', { source: 'tool_output', poison_marker: 'jailbreak' }).llm().finalAnswer().build(),
  }),
  HANDOFF_CONTEXT_LOSS: () => ({
    run: run({ input: 'Refund order 48213 for jane@example.com; she was charged twice on card ending 7731.' })
      .tool('lookup_order', { result: '{"order": 48213, "customer_id": "c0ffee00-1234-4abc-9def-0123456789ab", "amount": 129}' })
      .agent('refunds', { input: 'Please process a refund.' })
      .llm()
      .finalAnswer()
      .build(),
  }),
  // content-aware: facts computed from text by the real extractors (run-builder.ts)
  PREMATURE_TERMINATION: () => ({
    run: run({ input: 'Book a table for two at 7pm' })
      .llm({ tool_calls: ['book_table'] })
      .tool('book_table', { success: false, error: '503 Service Unavailable' })
      .llm({ reply: 'Your table for two is booked for 7pm tonight.' })
      .finalAnswer()
      .build(),
  }),
  UNREAD_TOOL_ERROR: () => ({
    run: run({ input: 'Refund order A-1001' })
      .tool('lookup_order', { success: false, error: 'order not found' })
      .tool('refund', { result: 'ok' })
      .finalAnswer()
      .build(),
  }),
  TOOL_ARGUMENT_FABRICATION: () => ({
    run: run({ input: 'Cancel my last order' })
      .llm({ prompt: 'Cancel my last order', tool_calls: ['delete_order'] })
      .tool('delete_order', { args: '{"order_id": "ORD-99812"}', result: '{"deleted": true}' })
      .llm({ reply: 'I deleted it.' })
      .finalAnswer()
      .build(),
  }),
  UNGROUNDED_DESTINATION: () => ({
    run: run({ input: 'Send the quarterly report to my manager' })
      .tool('send_email', { args: '{"to": "ceo@rival-corp.com", "body": "Q3 report"}', result: 'sent' })
      .llm({ reply: 'Sent.' })
      .finalAnswer()
      .build(),
  }),
  OVERSIZED_TOOL_ARGUMENTS: () => ({ run: run().tool('write_file', { args_length: 12_000 }).llm().finalAnswer().build() }),
  SCATTERSHOT_TOOL_USE: () => ({
    run: run()
      .tools(12, (i) => `tool_${i % 6}`)
      .stall()
      .build(),
  }),
  INSTRUMENTATION_DEGRADED: () => ({
    run: run().llms(3, { completion_tokens: null, finish: null, output_length: null }).finalAnswer().build(),
  }),
  // Two orders fit "cancel my order"; the agent cancels one without asking (inert until a tool is irreversible).
  UNRESOLVED_AMBIGUITY: () => ({
    run: run({ input: 'Please cancel my order' })
      .tool('list_orders', { args: '{}', result: '[{"order_id": "ORD-1001", "item": "blue kettle"}, {"order_id": "ORD-1002", "item": "steel toaster"}]' })
      .tool('cancel_order', { args: '{"order_id": "ORD-1002"}', result: '{"ok": true}' })
      .llm({ reply: 'Cancelled.' })
      .finalAnswer()
      .build(),
    config: parseDetectorConfig('default:\n  unresolved_ambiguity:\n    irreversible_tools: [cancel_order]\n'),
  }),
};
