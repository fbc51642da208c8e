import { describe, expect, it } from 'vitest';
import type { RunStats } from '../../src/detectors/index.js';
import { BaselineCache } from '../../src/pipeline/detector-judge.js';
import type { Storage } from '../../src/storage/types.js';

const stats = (steps: number): RunStats => ({
  eligible: true,
  steps,
  llm_calls: 2,
  tool_calls: 1,
  retrieval_calls: 0,
  max_step_ms: { llm: 100, tool: 10, retrieval: null },
  first_prompt_tokens: 100,
  last_prompt_tokens: 200,
  prompt_growth: 2,
  llm_tool_ratio: 2,
  total_tokens: 300,
  wall_clock_ms: 1000,
});

describe('BaselineCache', () => {
  it('loads a window once, keeps it current as runs close, and recomputes the percentiles only when it changed', async () => {
    let loads = 0;
    const storage = {
      listRecentRunStats: () => {
        loads++;
        return Promise.resolve([stats(4), stats(4), stats(4)]);
      },
    } as unknown as Storage;
    const cache = new BaselineCache(() => storage);
    const first = await cache.get('c', 'a', 'v1');
    expect(first).toMatchObject({ sample_size: 3, p75_steps: 4 });
    expect(await cache.get('c', 'a', 'v1')).toBe(first);
    for (let i = 0; i < 6; i++) cache.record('c', 'a', 'v1', stats(40));
    cache.record('c', 'a', 'v1', { ...stats(1000), eligible: false });
    await Promise.resolve();
    const after = await cache.get('c', 'a', 'v1');
    expect(after).toMatchObject({ sample_size: 9, p75_steps: 40 });
    expect(loads).toBe(1);
    // Another version is its own window.
    expect(await cache.get('c', 'a', 'v2')).toMatchObject({ sample_size: 3 });
    expect(loads).toBe(2);
  });
});
