import { describe, expect, it } from 'vitest';
import { HASH, detect, run } from './run-builder.js';

describe('LLM_TRUNCATION_LOOP (threshold 2)', () => {
  it('fires on 2 truncated responses, not necessarily consecutive', () => {
    const r = run().llm({ finish: 'length' }).tool('a').llm({ finish: 'length' }).llm().finalAnswer().build();
    expect(detect('LLM_TRUNCATION_LOOP', r)).toMatchObject({
      severity: 'HIGH',
      step_index: 3,
      evidence: { truncation_count: 2, total_llm_calls: 3, first_truncation_step: 1, last_truncation_step: 3 },
    });
  });
  it('counts Anthropic/Gemini "max_tokens" as truncation', () => {
    expect(detect('LLM_TRUNCATION_LOOP', run().llms(2, { finish: 'max_tokens' }).build())).not.toBeNull();
  });
  it('stays quiet on 1 truncation', () => {
    expect(detect('LLM_TRUNCATION_LOOP', run().llm({ finish: 'length' }).llm().finalAnswer().build())).toBeNull();
  });
});

describe('EMPTY_LLM_RESPONSE', () => {
  it('fires on finish "stop" with output length known to be 0', () => {
    const r = run().llm().llm({ output_length: 0 }).finalAnswer().build();
    expect(detect('EMPTY_LLM_RESPONSE', r)).toMatchObject({
      severity: 'HIGH',
      confidence: 0.95,
      step_index: 2,
      evidence: { occurrences: 1, first_step: 2, finish_reason: 'stop' },
    });
  });
  it('fires on 0 output tokens when content was not captured', () => {
    expect(detect('EMPTY_LLM_RESPONSE', run().llm({ output_length: 0, output_length_source: 'tokens' }).build())).not.toBeNull();
  });
  it('stays quiet when output_length is null (content not captured: unknown, not empty)', () => {
    const r = run().llms(3, { output_length: null, output_length_source: null }).finalAnswer().build();
    expect(detect('EMPTY_LLM_RESPONSE', r)).toBeNull();
  });
  it('stays quiet on an empty text that carries tool calls, or on a non-stop finish', () => {
    expect(
      detect(
        'EMPTY_LLM_RESPONSE',
        run()
          .llm({ output_length: 0, tool_calls: ['a'], finish: 'stop' })
          .build(),
      ),
    ).toBeNull();
    expect(detect('EMPTY_LLM_RESPONSE', run().llm({ output_length: 0, finish: 'length' }).build())).toBeNull();
  });
});

describe('SILENT_TRUNCATION', () => {
  it('fires HIGH when the final answer itself was cut off', () => {
    const r = run()
      .llm({ tool_calls: ['a'] })
      .tool('a')
      .llm({ finish: 'length', completion_tokens: 1024, max_tokens: 1024 })
      .finalAnswer()
      .build();
    expect(detect('SILENT_TRUNCATION', r)).toMatchObject({
      severity: 'HIGH',
      step_index: 3,
      evidence: { truncated_step: 3, detected_by: 'finish_reason', final_output: true, retried_calls: 0 },
    });
  });
  it('fires MEDIUM when a cut-off response was used by a later step', () => {
    const r = run()
      .llm({ finish: 'length', input_hash: HASH('1') })
      .llm({ input_hash: HASH('2') })
      .finalAnswer()
      .build();
    expect(detect('SILENT_TRUNCATION', r)).toMatchObject({ severity: 'MEDIUM', evidence: { final_output: false } });
  });
  it('fires on output tokens = max_tokens when no finish reason is reported (0.70)', () => {
    const r = run().llm({ finish: null, completion_tokens: 256, max_tokens: 256 }).finalAnswer().build();
    expect(detect('SILENT_TRUNCATION', r)).toMatchObject({ confidence: 0.7, evidence: { detected_by: 'max_tokens_hit' } });
    expect(detect('SILENT_TRUNCATION', r, { count_max_tokens_hit: false })).toBeNull();
  });
  it('stays quiet when the truncated call was retried (same input, or a larger max_tokens)', () => {
    const same = run()
      .llm({ finish: 'length', input_hash: HASH('1') })
      .llm({ input_hash: HASH('1') })
      .finalAnswer()
      .build();
    expect(detect('SILENT_TRUNCATION', same)).toBeNull();
    const bigger = run().llm({ finish: 'length', max_tokens: 512 }).llm({ max_tokens: 2048 }).finalAnswer().build();
    expect(detect('SILENT_TRUNCATION', bigger)).toBeNull();
  });
  it('stays quiet one token under max_tokens', () => {
    expect(detect('SILENT_TRUNCATION', run().llm({ finish: null, completion_tokens: 255, max_tokens: 256 }).finalAnswer().build())).toBeNull();
  });
});

describe('MODEL_FALLBACK_DRIFT (the original: first tier drop between consecutive calls)', () => {
  const models = (...names: (string | null)[]) =>
    names
      .reduce((b, m) => b.llm({ model: m }), run())
      .finalAnswer()
      .build();
  it('held-out case: gpt-4o, gpt-4o, gpt-4o-mini fires at the third call (MEDIUM, 0.8)', () => {
    expect(detect('MODEL_FALLBACK_DRIFT', models('gpt-4o', 'gpt-4o', 'gpt-4o-mini'))).toEqual({
      failure_type: 'MODEL_FALLBACK_DRIFT',
      severity: 'MEDIUM',
      confidence: 0.8,
      step_index: 3,
      evidence: {
        from_model: 'gpt-4o',
        to_model: 'gpt-4o-mini',
        from_tier: 3,
        to_tier: 2,
        tier_delta: 1,
        downgrade_step: 3,
        served_downgrade: false,
        preceded_by_rate_limit: false,
      },
    });
  });
  it.each([
    ['a single switch', ['gpt-4o', 'gpt-4o-mini'], 2, 'gpt-4o-mini'],
    ['gpt-4.1 → gpt-4.1-mini (the original mapped both to gpt-4)', ['gpt-4.1', 'gpt-4.1-mini'], 2, 'gpt-4.1-mini'],
    ['gpt-5 → gpt-5-nano (the original mapped both to gpt-5)', ['gpt-5', 'gpt-5-nano'], 2, 'gpt-5-nano'],
    ['o3 → o3-mini', ['o3', 'o3-mini-2025-01-31'], 2, 'o3-mini-2025-01-31'],
    ['Claude Sonnet 4.5 → Haiku 4.5 (new naming)', ['claude-sonnet-4-5', 'claude-haiku-4-5'], 2, 'claude-haiku-4-5'],
    ['Claude 3.7 Sonnet → 3.5 Haiku (unknown to the original)', ['claude-3-7-sonnet-20250219', 'claude-3-5-haiku-latest'], 2, 'claude-3-5-haiku-latest'],
    ['Opus → Sonnet', ['claude-opus-4-1', 'claude-3-5-sonnet'], 2, 'claude-3-5-sonnet'],
    ['Gemini Pro → Flash', ['gemini-2.5-pro', 'gemini-2.5-flash'], 2, 'gemini-2.5-flash'],
    ['Gemini Flash → Flash-Lite', ['gemini-2.5-flash', 'gemini-2.5-flash-lite'], 2, 'gemini-2.5-flash-lite'],
    ['Llama 70b → 8b', ['llama-3.1-70b-instruct', 'llama-3.1-8b-instruct'], 2, 'llama-3.1-8b-instruct'],
    ['Qwen 72b → 7b', ['qwen2.5-72b-instruct', 'qwen2.5-7b-instruct'], 2, 'qwen2.5-7b-instruct'],
    ['only the first drop counts', ['gpt-5', 'gpt-4o', 'gpt-4o-mini'], 2, 'gpt-4o'],
    ['calls without a model are skipped', ['gpt-4o', null, 'gpt-4o-mini'], 3, 'gpt-4o-mini'],
  ])('fires: %s', (_name, seq, step, to) => {
    const s = detect('MODEL_FALLBACK_DRIFT', models(...seq));
    expect(s?.step_index).toBe(step);
    expect(s?.evidence.to_model).toBe(to);
    expect(s?.evidence.tier_delta).toBeGreaterThan(0);
  });
  it.each([
    ['same model throughout', ['gpt-4o', 'gpt-4o', 'gpt-4o']],
    ['dated versions of one model', ['gpt-4o', 'gpt-4o-2024-08-06', 'gpt-4o-2024-11-20']],
    ['same tier, other family', ['gpt-4o', 'claude-3-5-sonnet', 'gemini-1.5-pro']],
    ['an upgrade', ['gpt-4o-mini', 'gpt-4o']],
    ['upgrades only', ['claude-3-haiku', 'claude-3-5-sonnet', 'claude-opus-4']],
    ['unknown models', ['my-deployment', 'other-deployment', 'gpt-4o-mini']],
    ['an unknown model between two known ones breaks the chain (as the original)', ['gpt-4o', 'my-router', 'gpt-4o-mini']],
    ['same parameter-size tier (70b → 32b)', ['llama-3.3-70b', 'qwen2.5-32b']],
    ['one call', ['gpt-4o-mini']],
  ])('quiet: %s', (_name, seq) => {
    expect(detect('MODEL_FALLBACK_DRIFT', models(...seq))).toBeNull();
  });
  it('the served model counts: requested gpt-4o, served gpt-4o-mini is a drop inside the call', () => {
    const r = run().llm().llm({ model: 'gpt-4o', response_model: 'gpt-4o-mini-2024-07-18' }).finalAnswer().build();
    expect(detect('MODEL_FALLBACK_DRIFT', r)).toMatchObject({
      step_index: 2,
      evidence: { from_model: 'gpt-4o', to_model: 'gpt-4o-mini-2024-07-18', served_downgrade: true },
    });
  });
  it('an unknown requested name (a deployment) gives way to the served model', () => {
    const r = run()
      .llm({ model: 'prod-chat', response_model: 'gpt-4o-2024-08-06' })
      .llm({ model: 'prod-chat', response_model: 'gpt-4o-mini' })
      .finalAnswer()
      .build();
    expect(detect('MODEL_FALLBACK_DRIFT', r)?.evidence).toMatchObject({ from_model: 'gpt-4o-2024-08-06', to_model: 'gpt-4o-mini', served_downgrade: false });
  });
  it('preceded_by_rate_limit: a rate-limit signal or a rate-limited call before the drop', () => {
    const bySignal = run().llm({ model: 'llama-3.1-70b' }).signal('rate_limit').llm({ model: 'llama-3.1-8b' }).finalAnswer().build();
    expect(detect('MODEL_FALLBACK_DRIFT', bySignal)?.evidence.preceded_by_rate_limit).toBe(true);
    const byError = run()
      .llm({ model: 'claude-3-5-sonnet', success: false, error_type: 'RateLimitError' })
      .llm({ model: 'claude-3-5-haiku' })
      .finalAnswer()
      .build();
    expect(detect('MODEL_FALLBACK_DRIFT', byError)?.evidence.preceded_by_rate_limit).toBe(true);
    const overloaded = run()
      .llm({ model: 'claude-3-5-sonnet', success: false, error_type: 'overloaded_error' })
      .llm({ model: 'claude-3-5-haiku' })
      .finalAnswer()
      .build();
    expect(detect('MODEL_FALLBACK_DRIFT', overloaded)?.evidence.preceded_by_rate_limit).toBe(false);
  });
  it('model_tiers from detectors.yml rank names the built-in table does not know', () => {
    const r = models('corp-large', 'corp-small');
    expect(detect('MODEL_FALLBACK_DRIFT', r)).toBeNull();
    expect(detect('MODEL_FALLBACK_DRIFT', r, { model_tiers: { 'corp-large': 3, 'corp-small': 1 } })?.evidence).toMatchObject({
      from_tier: 3,
      to_tier: 1,
      tier_delta: 2,
    });
  });
  it('compares calls within one agent: a sub-agent on a smaller model is not a fallback, a drop inside it is', () => {
    const b = run({ agent_name: 'planner' }).llm({ model: 'gpt-4o' });
    b.agent('billing', { span_id: 'sub1' });
    const sub = b.llm({ model: 'gpt-4o-mini', parent: 'sub1' }).llm({ model: 'gpt-4o' });
    expect(detect('MODEL_FALLBACK_DRIFT', sub.finalAnswer().build())).toBeNull();
    const c = run({ agent_name: 'planner' }).llm({ model: 'gpt-4o' });
    c.agent('billing', { span_id: 'sub1' });
    const drop = c.llm({ model: 'gpt-4.1', parent: 'sub1' }).llm({ model: 'gpt-4.1-nano', parent: 'sub1' });
    expect(detect('MODEL_FALLBACK_DRIFT', drop.finalAnswer().build())?.evidence).toMatchObject({ from_model: 'gpt-4.1', to_model: 'gpt-4.1-nano' });
  });
});

describe('PROMPT_INJECTION_SIGNAL', () => {
  const facts = { matched_pattern_count: 2, matched_patterns: ['ignore_instructions', 'you_are_now'], input_length: 180 };
  it('fires from run.started injection facts at step 0', () => {
    const r = run({ injection: facts }).llm().finalAnswer().build();
    expect(detect('PROMPT_INJECTION_SIGNAL', r)).toMatchObject({
      severity: 'CRITICAL',
      confidence: 0.85,
      step_index: 0,
      evidence: {
        source: 'run_input',
        matched_pattern_count: 2,
        matched_patterns: ['ignore_instructions', 'you_are_now'],
        input_length: 180,
        occurrences: 1,
        scan_truncated: false,
      },
    });
  });
  it('fires from llm.called injection facts at that step', () => {
    const r = run()
      .llm()
      .llm({ injection: { ...facts, scan_truncated: true, scanned_chars: 32768 } })
      .finalAnswer()
      .build();
    expect(detect('PROMPT_INJECTION_SIGNAL', r)).toMatchObject({
      step_index: 2,
      evidence: { source: 'llm_input', scan_truncated: true, scanned_chars: 32768 },
    });
  });
  it('stays quiet with 0 matched patterns or below min_patterns', () => {
    expect(
      detect(
        'PROMPT_INJECTION_SIGNAL',
        run({ injection: { ...facts, matched_pattern_count: 0, matched_patterns: [] } })
          .llm()
          .finalAnswer()
          .build(),
      ),
    ).toBeNull();
    expect(detect('PROMPT_INJECTION_SIGNAL', run({ injection: facts }).llm().finalAnswer().build(), { min_patterns: 3 })).toBeNull();
  });
});

describe('FIRST_STEP_FAILURE (max_step 2)', () => {
  it('(a) run errored within the first 2 steps', () => {
    const r = run().llm().tool('a').error('AuthError').build();
    expect(detect('FIRST_STEP_FAILURE', r)).toMatchObject({
      confidence: 0.9,
      step_index: 2,
      evidence: { trigger: 'run_errored', failed_step: 2, max_step: 2, error_type: 'AuthError' },
    });
  });
  it('(a) quiet when the run errored after step 2', () => {
    expect(detect('FIRST_STEP_FAILURE', run().llm().tool('a').llm().error().build())).toBeNull();
  });
  it('(b) empty LLM response at step 1', () => {
    expect(detect('FIRST_STEP_FAILURE', run().llm({ output_length: 0 }).llm().finalAnswer().build())).toMatchObject({
      confidence: 0.88,
      evidence: { trigger: 'empty_llm_response', failed_step: 1 },
    });
  });
  it('(c) failed tool at step 2, (d) failed LLM call at step 1', () => {
    expect(detect('FIRST_STEP_FAILURE', run().llm().tool('db', { success: false }).llm().finalAnswer().build())).toMatchObject({
      confidence: 0.85,
      evidence: { trigger: 'tool_failure', tool: 'db', failed_step: 2 },
    });
    expect(detect('FIRST_STEP_FAILURE', run().llm({ success: false, error_type: 'RateLimitError' }).llm().finalAnswer().build())?.evidence).toMatchObject({
      trigger: 'llm_error',
      model: 'gpt-4o',
    });
  });
  it('quiet on a failed tool at step 3 and on an unknown-length response', () => {
    expect(detect('FIRST_STEP_FAILURE', run().llm().llm().tool('db', { success: false }).llm().finalAnswer().build())).toBeNull();
    expect(detect('FIRST_STEP_FAILURE', run().llm({ output_length: null, output_length_source: null }).finalAnswer().build())).toBeNull();
  });
});

describe('RAG_EMPTY_RETRIEVAL (min_results 1, min_score 0.3)', () => {
  it('fires on 0 results followed by a final answer', () => {
    const r = run().retrieval('kb', { result_count: 0, top_score: null }).llm().finalAnswer().build();
    expect(detect('RAG_EMPTY_RETRIEVAL', r)).toMatchObject({
      severity: 'MEDIUM',
      confidence: 0.88,
      step_index: 1,
      evidence: { index_name: 'kb', result_count: 0, top_score: null, bad_retrievals: 1, total_retrievals: 1 },
    });
  });
  it('fires on a top score below 0.3 and reports the worst retrieval', () => {
    const r = run().retrieval('a', { top_score: 0.29 }).retrieval('b', { result_count: 1, top_score: 0.1 }).llm().finalAnswer().build();
    expect(detect('RAG_EMPTY_RETRIEVAL', r)?.evidence).toMatchObject({ index_name: 'b', bad_retrievals: 2 });
  });
  it('stays quiet at exactly 1 result and score 0.3, on unknown counts, and without a final answer', () => {
    expect(detect('RAG_EMPTY_RETRIEVAL', run().retrieval('kb', { result_count: 1, top_score: 0.3 }).llm().finalAnswer().build())).toBeNull();
    expect(detect('RAG_EMPTY_RETRIEVAL', run().retrieval('kb', { result_count: null, top_score: null }).llm().finalAnswer().build())).toBeNull();
    expect(detect('RAG_EMPTY_RETRIEVAL', run().retrieval('kb', { result_count: 0 }).llm().error().build())).toBeNull();
  });
});

describe('EXCESSIVE_RETRIEVAL (threshold 8)', () => {
  it('fires on 8 retrievals', () => {
    let b = run();
    for (let i = 0; i < 8; i++) b = b.retrieval('kb', { query_hash: HASH(String(i % 4)), result_count: i === 0 ? 0 : 3 });
    expect(detect('EXCESSIVE_RETRIEVAL', b.llm().finalAnswer().build())).toMatchObject({
      severity: 'MEDIUM',
      step_index: 8,
      evidence: { retrieval_count: 8, distinct_queries: 4, repeated_queries: 4, empty_results: 1, distinct_indexes: 1 },
    });
  });
  it('stays quiet on 7', () => {
    let b = run();
    for (let i = 0; i < 7; i++) b = b.retrieval('kb');
    expect(detect('EXCESSIVE_RETRIEVAL', b.llm().finalAnswer().build())).toBeNull();
  });
});
