import { describe, expect, it } from 'vitest';
import {
  DETECTORS,
  FAILURE_TYPES,
  baselineFromStats,
  getDetector,
  parseDetectorConfig,
  runDetectors,
  runStats,
  type EvidenceValue,
} from '../../src/detectors/index.js';
import type { AssembledRun } from '../../src/runs/types.js';
import { FIRING } from './fixtures.js';
import { HASH, cleanRun, run } from './run-builder.js';

const LIVE = ['TOOL_LOOP', 'TOOL_THRASHING', 'RETRY_STORM', 'CASCADING_TOOL_FAILURE', 'RUNAWAY_ITERATION', 'OVERSIZED_TOOL_ARGUMENTS'];
const CONTENT_HASHES = [HASH('a'), HASH('b'), HASH('c'), HASH('d'), HASH('e'), HASH('f')];

/** Evidence may hold numbers, booleans, null, short printable names/hashes, and arrays/objects of those. */
function assertSafe(v: EvidenceValue, path: string): void {
  if (v === null || typeof v === 'boolean') return;
  if (typeof v === 'number') {
    expect(Number.isFinite(v), `${path} is finite`).toBe(true);
    return;
  }
  if (typeof v === 'string') {
    expect(v.length, `${path} is short`).toBeLessThanOrEqual(64);
    expect(v, `${path} is printable`).toMatch(/^[\x20-\x7e]*$/);
    expect(CONTENT_HASHES, `${path} is not a content hash`).not.toContain(v);
    return;
  }
  if (Array.isArray(v)) {
    expect(v.length, `${path} is a short list`).toBeLessThanOrEqual(10);
    v.forEach((x, i) => assertSafe(x, `${path}[${i}]`));
    return;
  }
  expect(typeof v).toBe('object');
  for (const [k, x] of Object.entries(v)) assertSafe(x, `${path}.${k}`);
}

describe('registry', () => {
  it('has one detector per failure type, in order, with unique snake_case keys and valid defaults', () => {
    expect(DETECTORS.map((d) => d.failure_type)).toEqual([...FAILURE_TYPES]);
    expect(new Set(DETECTORS.map((d) => d.key)).size).toBe(DETECTORS.length);
    for (const d of DETECTORS) {
      expect(d.key).toMatch(/^[a-z][a-z0-9_]*$/);
      expect(d.schema.safeParse(d.defaults).success, d.key).toBe(true);
      expect(d.validate?.(d.defaults) ?? null, d.key).toBeNull();
      expect(getDetector(d.key)).toBe(d);
      expect(getDetector(d.failure_type)).toBe(d);
    }
    expect(
      DETECTORS.filter((d) => d.live)
        .map((d) => d.failure_type)
        .sort(),
    ).toEqual([...LIVE].sort());
  });

  it('a clean run produces no signal from any detector (content captured or not, with or without a baseline)', () => {
    expect(runDetectors(cleanRun())).toEqual([]);
    expect(runDetectors(cleanRun({ captured: false }))).toEqual([]);
    const baseline = baselineFromStats(Array.from({ length: 30 }, () => runStats(cleanRun())));
    expect(baseline.sample_size).toBe(30);
    expect(runDetectors(cleanRun(), { baseline })).toEqual([]);
  });

  describe.each(FAILURE_TYPES.map((t) => [t]))('%s', (type) => {
    it('fires on its OTLP-shaped fixture through runDetectors, with content-free evidence', () => {
      const { run: r, baseline, config } = FIRING[type]();
      const signals = runDetectors(r, { baseline: baseline ?? null, config });
      const mine = signals.filter((x) => x.failure_type === type);
      expect(mine, `${type} fired, once`).toHaveLength(1);
      const s = mine[0];
      expect(s.shadow).toBe(getDetector(type)?.shadowByDefault === true);
      expect(getDetector(type)?.severities, 'declared severities').toContain(s.severity);
      expect(s.confidence).toBeGreaterThan(0);
      expect(s.confidence).toBeLessThanOrEqual(1);
      expect(Number.isInteger(s.step_index) && s.step_index >= 0).toBe(true);
      for (const sig of signals) assertSafe(sig.evidence, `${sig.failure_type}.evidence`);
    });
  });

  it('open runs get only the live detectors; liveOnly restricts finished runs too', () => {
    const open = run({ tools: ['x'] })
      .tools(3, 'search')
      .tools(3, 'pay', { success: false })
      .tools(50, (i) => `t${i}`)
      .build();
    const types = runDetectors(open).map((s) => s.failure_type);
    expect(types).toEqual(expect.arrayContaining(['TOOL_LOOP', 'RETRY_STORM', 'RUNAWAY_ITERATION']));
    expect(types.every((t) => LIVE.includes(t))).toBe(true);
    const finished = FIRING.TOOL_AVOIDANCE().run;
    expect(runDetectors(finished).map((s) => s.failure_type)).toContain('TOOL_AVOIDANCE');
    expect(runDetectors(finished, { liveOnly: true })).toEqual([]);
  });

  it('honours per-agent enabled/shadow/params from the config', () => {
    const config = parseDetectorConfig(
      [
        'default:',
        '  tool_loop:',
        '    shadow: true',
        'quiet-agent:',
        '  tool_loop:',
        '    enabled: false',
        'strict-*:',
        '  tool_loop:',
        '    threshold: 2',
        '    shadow: false',
      ].join('\n'),
      'detectors.yml',
    );
    const loop2 = (agent: string) =>
      run({ agent_id: agent })
        .tool('a')
        .tool('a')
        .tools(3, (i) => `b${i}`)
        .finalAnswer()
        .build();
    const loop3 = (agent: string) =>
      run({ agent_id: agent })
        .tools(3, 'a')
        .tools(2, (i) => `b${i}`)
        .llm()
        .finalAnswer()
        .build();
    expect(runDetectors(loop3('other'), { config })).toEqual([expect.objectContaining({ failure_type: 'TOOL_LOOP', shadow: true })]);
    expect(runDetectors(loop3('quiet-agent'), { config })).toEqual([]);
    expect(runDetectors(loop2('other'), { config })).toEqual([]);
    expect(runDetectors(loop2('strict-eu'), { config })).toEqual([expect.objectContaining({ failure_type: 'TOOL_LOOP', shadow: false })]);
  });

  it('does not judge late events (spans that arrived after the run completed)', () => {
    const r = cleanRun();
    const lateTools = run()
      .tools(5, 'search', { success: false })
      .build()
      .events.filter((e) => e.event_type.startsWith('tool.'))
      .map((e) => ({ ...e, step_index: e.step_index + r.step_count, late: true }));
    expect(runDetectors({ ...r, events: [...r.events, ...lateTools] })).toEqual([]);
    expect(runDetectors({ ...r, events: [...r.events, ...lateTools.map(({ late: _late, ...e }) => e)] }).map((s) => s.failure_type)).toContain('TOOL_LOOP');
  });

  it('never throws on odd input and reports no detector error', () => {
    const errors: unknown[] = [];
    const odd: AssembledRun[] = [
      { run_id: '', agent_id: '', agent_version: '', status: 'open', exit_reason: null, started_at: null, ended_at: null, step_count: 0, events: [] },
      {
        run_id: 'x',
        agent_id: 'a',
        agent_version: 'v',
        status: 'completed',
        exit_reason: 'final_answer',
        started_at: Number.NaN,
        ended_at: null,
        step_count: -1,
        events: [
          null,
          { event_type: 'llm.responded', step_index: 3, timestamp: 'x', seq: 0, span_id: 's', parent_span_id: null, payload: null },
          {
            event_type: 'tool.responded',
            step_index: -2,
            timestamp: 1,
            seq: 1,
            span_id: 's2',
            parent_span_id: null,
            payload: { success: 'no', latency_ms: -5 },
          },
          { event_type: 'tool.called', step_index: 1, timestamp: 1, seq: 0, span_id: 's3', parent_span_id: 's3', payload: { tool_name: 42 } },
          {
            event_type: 'external.signal',
            step_index: 1,
            timestamp: 1,
            seq: 2,
            span_id: 's4',
            parent_span_id: 's4',
            payload: { signal_name: 'agent.invoked', meta: 'bad' },
          },
          {
            event_type: 'llm.called',
            step_index: 2,
            timestamp: 2,
            seq: 0,
            span_id: 's5',
            parent_span_id: null,
            payload: { injection_signal: { matched_pattern_count: 'many' }, tools_offered: 'x' },
          },
          { event_type: 'run.completed', step_index: 9, timestamp: 3, seq: 0, span_id: 'r', parent_span_id: null, payload: {} },
        ] as unknown as AssembledRun['events'],
      },
      null as unknown as AssembledRun,
    ];
    for (const r of odd) {
      expect(() => runDetectors(r, { onError: (_t, e) => errors.push(e) })).not.toThrow();
      expect(() => runDetectors(r, { liveOnly: false, onError: (_t, e) => errors.push(e) })).not.toThrow();
    }
    expect(errors).toEqual([]);
  });

  it('skips a detector that throws and reports it through onError', () => {
    const d = getDetector('tool_loop');
    if (!d) throw new Error('missing');
    const original = d.detect;
    const errors: string[] = [];
    try {
      (d as { detect: unknown }).detect = () => {
        throw new Error('boom');
      };
      expect(runDetectors(FIRING.TOOL_LOOP().run, { onError: (t) => errors.push(t) }).some((s) => s.failure_type === 'TOOL_LOOP')).toBe(false);
    } finally {
      (d as { detect: unknown }).detect = original;
    }
    expect(errors).toEqual(['TOOL_LOOP']);
  });
});
