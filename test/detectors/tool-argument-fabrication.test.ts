/** TOOL_ARGUMENT_FABRICATION: the original's firing cases and near-misses (upstream v2 §1.3), from text. */
import { describe, expect, it } from 'vitest';
import { TEST_KEYER, detect, run } from './run-builder.js';

describe('TOOL_ARGUMENT_FABRICATION', () => {
  it('an id found nowhere, destructive tool: CRITICAL 0.85, the keyed digest of its first entity (the integer, as the original orders them)', () => {
    const s = detect('TOOL_ARGUMENT_FABRICATION', run({ input: 'cancel my order' }).tool('delete_order', { args: '{"id": "ORD-4521"}' }).finalAnswer().build());
    expect(s).toMatchObject({ severity: 'CRITICAL', confidence: 0.85, evidence: { tool_name: 'delete_order', is_destructive_tool: true, entity_type: 'int' } });
    expect(s?.evidence.fabricated_entity_digest).toBe(TEST_KEYER.digest('4521'));
    expect(s?.evidence.argument_entity_count).toBe(2);
  });

  it('a non-destructive tool: HIGH 0.70; integers outside 1..100 are entities', () => {
    const s = detect('TOOL_ARGUMENT_FABRICATION', run({ input: 'weather please' }).tool('get_weather', { args: '{"zip": 94107}' }).finalAnswer().build());
    expect(s).toMatchObject({ severity: 'HIGH', confidence: 0.7, evidence: { entity_type: 'int' } });
  });

  it.each([
    ['the id is in the input', run({ input: 'Cancel order ORD-4521, thanks' }).tool('delete_order', { args: '{"id": "ORD-4521"}' })],
    ['the id is in the input, other case', run({ input: 'cancel ord-4521' }).tool('delete_order', { args: '{"id": "ORD-4521"}' })],
    [
      'the id came from an earlier tool result',
      run({ input: 'cancel my last order' })
        .tool('list_orders', { args: '{}', result: '[{"id": "ORD-4521"}]' })
        .tool('delete_order', { args: '{"id": "ORD-4521"}' }),
    ],
    [
      'the id is in the prompt sent before the call',
      run({ input: 'hi' }).llm({ prompt: 'The user order is ORD-4521.' }).tool('delete_order', { args: '{"id": "ORD-4521"}' }),
    ],
    ['small integers and allowlisted words only', run({ input: 'page' }).tool('search', { args: '{"page": 2, "who": "admin", "day": "Monday"}' })],
    ['keys are not values', run({ input: 'x' }).tool('search', { args: '{"customer_id_9": "x"}' })],
    [
      'an earlier result was not captured (visibility lost)',
      run({ input: 'x' }).tool('list_orders', { args: '{}', output_length: null }).tool('delete_order', { args: '{"id": "ORD-4521"}' }),
    ],
    ['the input was not captured at all', run({ input: null }).tool('delete_order', { args: '{"id": "ORD-4521"}' })],
  ])('silent when %s', (_name, b) => {
    expect(detect('TOOL_ARGUMENT_FABRICATION', b.finalAnswer().build())).toBeNull();
  });

  it('a result after the call does not ground it', () => {
    const r = run({ input: 'x' }).tool('delete_order', { args: '{"id": "ORD-4521"}', result: 'ORD-4521 deleted' }).finalAnswer().build();
    expect(detect('TOOL_ARGUMENT_FABRICATION', r)).not.toBeNull();
  });

  it('a truncated grounding set fails open', () => {
    const many = JSON.stringify(Array.from({ length: 600 }, (_, i) => `ID-${i}`));
    const r = run({ input: 'x' }).tool('list', { args: '{}', result: many }).tool('delete_order', { args: '{"id": "ORD-4521"}' }).finalAnswer().build();
    expect(detect('TOOL_ARGUMENT_FABRICATION', r)).toBeNull();
  });
});
