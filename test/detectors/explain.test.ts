import { describe, expect, it } from 'vitest';
import { FAILURE_TYPES, explainSignal, runDetectors, summarizeEvidence, type FailureType } from '../../src/detectors/index.js';
import type { Explanation } from '../../src/model/index.js';
import { FIRING } from './fixtures.js';

function text(e: Explanation): string {
  return [e.title, e.what, e.why_it_matters, e.evidence_summary, ...e.suggested_fixes.flatMap((f) => [f.description, f.language ?? '', f.code ?? ''])].join(
    '\n',
  );
}

function expectClean(e: Explanation): void {
  const all = text(e);
  expect(all).not.toMatch(/undefined|NaN|\[object Object\]|Infinity/);
  expect(all, 'no full hashes').not.toMatch(/[0-9a-f]{32,}/i);
  expect(e.title.length).toBeGreaterThan(0);
  expect(e.what.length).toBeGreaterThan(0);
  expect(e.why_it_matters.length).toBeGreaterThan(0);
  for (const f of e.suggested_fixes) {
    expect(f.description.length).toBeGreaterThan(0);
    if (f.code !== undefined) expect(f.code.length).toBeLessThan(800);
  }
}

describe('explainSignal', () => {
  describe.each(FAILURE_TYPES.map((t) => [t]))('%s', (type) => {
    it('renders from real evidence with no undefined/NaN and no content', () => {
      const { run, baseline, config } = FIRING[type]();
      const mine = runDetectors(run, { baseline: baseline ?? null, config }).filter((s) => s.failure_type === type);
      expect(mine).toHaveLength(1);
      const signal = mine[0];
      const e = explainSignal(signal);
      expectClean(e);
      expect(e.suggested_fixes.length).toBeGreaterThan(0);
      expect(e.what).not.toContain('unknown');
      for (const key of Object.keys(signal.evidence)) expect(e.evidence_summary).toContain(`${key}:`);
    });
    it('renders from empty evidence without undefined/NaN', () => {
      expectClean(explainSignal({ failure_type: type, evidence: {}, step_index: Number.NaN }));
    });
  });

  it('fills the TOOL_LOOP template from the evidence and suggests a max-iterations guard', () => {
    const e = explainSignal({
      failure_type: 'TOOL_LOOP',
      step_index: 5,
      evidence: { tool: 'web_search', count: 3, window: 5, threshold: 3, first_step: 1, last_step: 5, distinct_args: 1, args_identical: true },
    });
    expect(e.title).toBe('Tool loop: web_search called 3 times in 5 calls');
    expect(e.what).toContain('steps 1–5');
    expect(e.suggested_fixes[0]).toMatchObject({ language: 'typescript' });
    expect(e.suggested_fixes[0].code).toContain('MAX_SAME_TOOL');
  });

  it('is deterministic and falls back for an unknown type', () => {
    const s = { failure_type: 'TOOL_LOOP' as const, step_index: 1, evidence: { tool: 'a', count: 3 } };
    expect(explainSignal(s)).toEqual(explainSignal(s));
    const e = explainSignal({ failure_type: 'NOT_A_TYPE' as FailureType, step_index: 1, evidence: { x: 1 } });
    expectClean(e);
  });

  it('summarises evidence one field per line, shortening hashes', () => {
    expect(summarizeEvidence({ tool: 'a', count: 3, ok: true, none: null, list: ['x', 'y'], h: 'f'.repeat(64), nested: [{ step: 1, duration_ms: 2 }] })).toBe(
      ['tool: a', 'count: 3', 'ok: yes', 'none: unknown', 'list: x, y', `h: ${'f'.repeat(12)}…`, 'nested: [step=1 duration_ms=2]'].join('\n'),
    );
    expect(summarizeEvidence({})).toBe('no evidence recorded');
  });
});
