import { describe, expect, it } from 'vitest';
import { OPENAI_TIERS, modelTier, parameterBillions } from '../../src/detectors/model-tiers.js';

describe('modelTier', () => {
  it.each([
    // OpenAI: the original's values where it had them, mini/nano variants added
    ['gpt-3.5-turbo', 1],
    ['gpt-4', 3],
    ['gpt-4-0613', 3],
    ['gpt-4-turbo-2024-04-09', 3],
    ['gpt-4o', 3],
    ['gpt-4o-2024-08-06', 3],
    ['chatgpt-4o-latest', 3],
    ['gpt-4o-mini', 2],
    ['gpt-4o-mini-2024-07-18', 2],
    ['openai/gpt-4o-mini', 2],
    ['gpt-4.1', 3],
    ['gpt-4.1-mini-2025-04-14', 2],
    ['gpt-4.1-nano', 1],
    ['gpt-5', 4],
    ['gpt-5.1', 4],
    ['gpt-5-mini', 3],
    ['gpt-5.1-mini', 3],
    ['gpt-5-nano', 2],
    ['o1', 3],
    ['o1-preview', 3],
    ['o1-mini', 2],
    ['o3', 3],
    ['o3-mini', 2],
    ['o3-pro', 4],
    ['o4-mini', 2],
    ['gpt-oss-120b', 3],
    ['gpt-oss-20b', 2],
    // Claude, every generation's naming
    ['claude-3-opus-20240229', 4],
    ['claude-opus-4-1-20250805', 4],
    ['claude-3-sonnet', 3],
    ['claude-3-5-sonnet-20241022', 3],
    ['claude-3-7-sonnet-latest', 3],
    ['claude-sonnet-4-5', 3],
    ['anthropic.claude-3-5-sonnet-20240620-v1:0', 3],
    ['claude-3-haiku-20240307', 2],
    ['claude-3-5-haiku', 2],
    ['claude-haiku-4-5', 2],
    ['claude-instant-1.2', 1],
    // Gemini
    ['gemini-1.0-ultra', 4],
    ['gemini-2.5-pro', 3],
    ['models/gemini-1.5-pro-002', 3],
    ['gemini-2.0-flash', 2],
    ['gemini-2.5-flash-preview-05-20', 2],
    ['gemini-2.5-flash-lite', 1],
    ['gemini-1.5-flash-8b', 1],
    // open weights by parameter size
    ['meta-llama/Llama-3.1-405B-Instruct', 4],
    ['llama-3.3-70b-versatile', 3],
    ['us.meta.llama3-1-70b-instruct-v1:0', 3],
    ['llama3.1:8b', 2],
    ['llama-3.2-3b-instruct', 1],
    ['mixtral-8x22b', 4],
    ['mixtral-8x7b-32768', 3],
    ['mistral-7b-instruct', 2],
    ['mistral-large-latest', 4],
    ['mistral-medium', 3],
    ['mistral-small-latest', 2],
    ['qwen3-235b-a22b', 4],
    ['qwen2.5-72b-instruct', 3],
    ['qwen2.5-1.5b', 1],
    ['gemma-2-9b-it', 2],
  ])('%s → tier %i', (name, tier) => {
    expect(modelTier(name)?.tier).toBe(tier);
  });

  it.each(['my-azure-deployment', 'claude-2.1', 'gemini-exp-1206', 'codestral-latest', 'llama-guard', 'text-embedding-3-small', 'pro1', ''])(
    'unknown: %j',
    (name) => {
      expect(modelTier(name)).toBeNull();
    },
  );

  it('keys of the OpenAI table resolve to themselves (longest key wins)', () => {
    for (const [key, tier] of Object.entries(OPENAI_TIERS)) expect(modelTier(key), key).toEqual({ tier, matched: key });
  });

  it('operator keys win over the built-in table, longest first', () => {
    expect(modelTier('gpt-4o-mini', { 'gpt-4o-mini': 3 })?.tier).toBe(3);
    expect(modelTier('corp/llm-large-v2', { llm: 1, 'llm-large': 3 })).toEqual({ tier: 3, matched: 'llm-large' });
  });
});

describe('parameterBillions', () => {
  it.each([
    ['llama-3.1-70b', 70],
    ['mixtral-8x7b', 56],
    ['qwen2.5-1.5b', 1.5],
    ['llama3.1:8b', 8],
    ['qwen3-235b-a22b', 235],
    ['gpt-4o', null],
    ['phi-3-mini-4k', null],
  ])('%s → %s', (name, b) => {
    expect(parameterBillions(name)).toBe(b);
  });
});
