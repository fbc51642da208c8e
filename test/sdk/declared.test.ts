import { describe, expect, it } from 'vitest';
import { declaredSignal, FINAL_ANSWER_ATTRIBUTE, mapSpan, SIGNAL_EVENT } from '../../src/mapping/index.js';
import type { OtlpSpan } from '../../src/otlp/model.js';
import { hasher } from './helpers.js';

/** The mapping core's reading of what an agent declares on its spans (what the SDK writes; any emitter may). */
describe('declared signals and final answers (mapping core)', () => {
  it('a dunetrace.signal event is an external.signal with bounded labels; unusable ones are ignored', () => {
    expect(declaredSignal({ 'dunetrace.signal.name': 'cache_miss', 'dunetrace.signal.meta.shard': 3 }, 'otlp')).toEqual({
      signal_name: 'cache_miss',
      source: 'otlp',
      meta: { shard: 3 },
    });
    expect(declaredSignal({ 'dunetrace.signal.source': 'x' }, 'otlp')).toBeNull();
    expect(declaredSignal({ 'dunetrace.signal.name': 'n'.repeat(257) }, 'otlp')).toBeNull();
    const meta: Record<string, string | number> = {
      'dunetrace.signal.name': 's',
      'dunetrace.signal.meta.long': 'x'.repeat(257),
      'dunetrace.signal.meta.nan': NaN,
    };
    for (let i = 0; i < 40; i++) meta[`dunetrace.signal.meta.k${i}`] = i;
    const p = declaredSignal(meta, 'otlp');
    expect(Object.keys(p?.meta ?? {})).toHaveLength(32);
    expect(p?.meta).not.toHaveProperty('long');
    expect(p?.meta).not.toHaveProperty('nan');
  });

  it('mapSpan emits them at the event time; the final-answer flag counts on roots only', () => {
    const span = (parent: string, attrs: OtlpSpan['attributes']): OtlpSpan => ({
      traceId: 'a'.repeat(32),
      spanId: 'b'.repeat(16),
      parentSpanId: parent,
      name: 'invoke_agent x',
      kind: 1,
      startTimeUnixNano: 1_000_000_000n,
      endTimeUnixNano: 3_000_000_000n,
      attributes: { 'gen_ai.operation.name': 'invoke_agent', ...attrs },
      events: [{ name: SIGNAL_EVENT, timeUnixNano: 2_000_000_000n, attributes: { 'dunetrace.signal.name': 'rate_limit', 'dunetrace.signal.source': 'sdk' } }],
      status: { code: 0, message: '' },
      resource: { attributes: {} },
      scope: { name: 't', version: '' },
    });
    const root = mapSpan(span('', { [FINAL_ANSWER_ATTRIBUTE]: true }), { hasher });
    expect(root.events).toEqual([{ event_type: 'external.signal', seq: 0, timestamp: 2, payload: { signal_name: 'rate_limit', source: 'sdk', meta: {} } }]);
    expect(root.root?.final_answer).toBe(true);
    expect(mapSpan(span('', { [FINAL_ANSWER_ATTRIBUTE]: 'true' }), { hasher }).root?.final_answer).toBeUndefined();
    expect(mapSpan(span('c'.repeat(16), { [FINAL_ANSWER_ATTRIBUTE]: true }), { hasher }).root).toBeNull();
  });
});
