import { describe, expect, it } from 'vitest';
import { declaredSignal, mapSpan, ROOT_ANSWERED, SIGNAL_EVENT } from '../../src/mapping/index.js';
import type { OtlpSpan } from '../../src/otlp/model.js';
import { hasher, sha } from './helpers.js';

/** The mapping core's reading of what an agent declares on its spans (what the SDK writes; any emitter may). */
describe('declared signals and final answers (mapping core)', () => {
  it('a dunetrace.signal event is an external.signal with bounded labels; unusable ones are ignored', () => {
    expect(declaredSignal({ 'dunetrace.signal.name': 'cache_miss', 'dunetrace.signal.meta.shard': 3 }, 'otlp', hasher)).toEqual({
      signal_name: 'cache_miss',
      source: 'otlp',
      meta: { shard: 3 },
    });
    expect(declaredSignal({ 'dunetrace.signal.source': 'x' }, 'otlp', hasher)).toBeNull();
    expect(declaredSignal({ 'dunetrace.signal.name': 'n'.repeat(257) }, 'otlp', hasher)).toBeNull();
    // Free text is content: its digest only (as /v1/ingest does); a label is kept; non-finite numbers are dropped.
    expect(
      declaredSignal(
        {
          'dunetrace.signal.name': 's',
          'dunetrace.signal.meta.note': 'the user said hi',
          'dunetrace.signal.meta.tier': 'gold',
          'dunetrace.signal.meta.nan': NaN,
        },
        'otlp',
        hasher,
      )?.meta,
    ).toEqual({ note: sha('the user said hi'), tier: 'gold' });
    const many: Record<string, number | string> = { 'dunetrace.signal.name': 's' };
    for (let i = 0; i < 40; i++) many[`dunetrace.signal.meta.k${i}`] = i;
    expect(Object.keys(declaredSignal(many, 'otlp', hasher)?.meta ?? {})).toHaveLength(32);
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
    const root = mapSpan(span('', { [ROOT_ANSWERED]: true }), { hasher });
    expect(root.events).toEqual([{ event_type: 'external.signal', seq: 0, timestamp: 2, payload: { signal_name: 'rate_limit', source: 'sdk', meta: {} } }]);
    expect(root.root?.answered).toBe(true);
    expect(mapSpan(span('', { [ROOT_ANSWERED]: 'true' }), { hasher }).root?.answered).toBeUndefined();
    expect(mapSpan(span('c'.repeat(16), { [ROOT_ANSWERED]: true }), { hasher }).root).toBeNull();
  });
});
