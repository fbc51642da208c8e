/** UNRESOLVED_AMBIGUITY: the original's firing tiers and near-misses (upstream v2 §1.9), from text through the real extractors. */
import { describe, expect, it } from 'vitest';
import { TEST_KEYER, detect, run, type RunBuilder } from './run-builder.js';

const ON = { irreversible_tools: ['Cancel_Order', 'delete_file'] };
const ORDERS = JSON.stringify([
  { order_id: 'ORD-1001', item: 'blue kettle', sku: 'SKU-77' },
  { order_id: 'ORD-1002', item: 'steel toaster', sku: 'SKU-78' },
]);
const listed = (input: string): RunBuilder => run({ input }).tool('list_orders', { args: '{}', result: ORDERS });
const cancel = (b: RunBuilder, id: string, o: { success?: boolean } = {}): RunBuilder =>
  b.tool('cancel_order', { args: JSON.stringify({ order_id: id }), result: '{"ok": true}', ...o });
const judge = (b: RunBuilder, params: Record<string, unknown> = ON) => detect('UNRESOLVED_AMBIGUITY', b.finalAnswer().build(), params);

describe('UNRESOLVED_AMBIGUITY', () => {
  it('weak: two orders fit, the user named neither, the agent cancelled one: MEDIUM 0.6', () => {
    const s = judge(cancel(listed('Please cancel my order'), 'ORD-1002'));
    expect(s).toMatchObject({
      severity: 'MEDIUM',
      confidence: 0.6,
      step_index: 2,
      evidence: { tier: 'weak', candidate_count: 2, tool_name: 'cancel_order', tool_step: 2, source_tool: 'list_orders', source_step: 1 },
    });
    // Identifiers compare casefolded, and the evidence carries only the keyed digest.
    expect(s?.evidence.selected_id_digest).toBe(TEST_KEYER.digest('ord-1002'));
    expect(s?.evidence).not.toHaveProperty('sibling_matched_in_request');
  });

  it('strong: the user named the other record: HIGH 0.9 with the sibling', () => {
    const s = judge(cancel(listed('Cancel the Blue Kettle order please'), 'ORD-1002'));
    expect(s).toMatchObject({ severity: 'HIGH', confidence: 0.9, evidence: { tier: 'strong', sibling_matched_in_request: true } });
    expect(s?.evidence.sibling_id_digest).toBe(TEST_KEYER.digest('ord-1001'));
  });

  it('strong beats an earlier weak call', () => {
    const b = listed('cancel the kettle one').tool('list_files', {
      args: '{}',
      result: JSON.stringify([{ path: 'a/draft-1.txt' }, { path: 'a/draft-2.txt' }]),
    });
    b.tool('delete_file', { args: '{"path": "a/draft-2.txt"}' });
    const s = judge(cancel(b, 'ORD-1002'));
    expect(s?.evidence).toMatchObject({ tier: 'strong', tool_name: 'cancel_order' });
  });

  it('the broad reading (any identifier-shaped value) only when no record has an id key', () => {
    const files = JSON.stringify([
      { name: 'report-2023.pdf', owner: 'finance' },
      { name: 'report-2024.pdf', owner: 'marketing' },
    ]);
    const b = run({ input: 'delete the old report' })
      .tool('list_files', { args: '{}', result: files })
      .tool('delete_file', { args: '{"name": "report-2023.pdf"}' });
    expect(judge(b)?.evidence).toMatchObject({ tier: 'weak', source_tool: 'list_files' });
    // With id keys present, a non-id value (sku) is no anchor: that set is read narrowly.
    expect(judge(listed('cancel my order').tool('cancel_order', { args: '{"sku": "SKU-78"}' }))).toBeNull();
  });

  it('tokens are NFKC, Unicode words, casefolded (ß = ss): the user naming the record in another form is a warrant', () => {
    const streets = JSON.stringify([
      { id: 'ADDR-1', street: 'Hauptstraße' },
      { id: 'ADDR-2', street: 'Bahnhofweg' },
    ]);
    const b = (input: string): RunBuilder =>
      run({ input }).tool('addresses', { args: '{}', result: streets }).tool('cancel_order', { args: '{"id": "ADDR-1"}' });
    expect(judge(b('ship it to HAUPTSTRASSE'))).toBeNull();
    expect(judge(b('ship it to ｈａｕｐｔｓｔｒａßｅ'))).toBeNull();
    expect(judge(b('ship it to Bahnhofweg'))?.evidence.tier).toBe('strong');
  });

  it('a later user turn warrants the calls after it, and only with warrant_surfaces user_turns', () => {
    const b = (): RunBuilder => listed('cancel my order').llm({ user: 'the steel toaster one' });
    expect(judge(cancel(b(), 'ORD-1002'))).toBeNull();
    expect(judge(cancel(b(), 'ORD-1002'), { ...ON, warrant_surfaces: 'first_user_turn' })?.evidence).toMatchObject({
      tier: 'weak',
      warrant_surfaces: 'first_user_turn',
      warrant_turn_count: 1,
    });
    // A turn after the call does not warrant it.
    const late = cancel(listed('cancel my order'), 'ORD-1002').llm({ user: 'the steel toaster one' });
    expect(judge(late)?.evidence).toMatchObject({ tier: 'weak', warrant_turn_count: 1 });
  });

  it('a call an approval denied after it was made (and that never returned) did not act', () => {
    const pending = (): RunBuilder => listed('cancel my order').tool('cancel_order', { args: '{"order_id": "ORD-1002"}', open: true });
    expect(judge(pending())?.evidence.tier).toBe('weak');
    expect(judge(pending().signal('approval.denied', { tool_name: 'cancel_order' }))).toBeNull();
    expect(judge(pending().signal('approval.timeout', { tool_name: 'CANCEL_ORDER' }))).toBeNull();
    // A denial for another tool, or of a call that did run, does not.
    expect(judge(pending().signal('approval.denied', { tool_name: 'refund' }))).not.toBeNull();
    expect(judge(cancel(listed('cancel my order'), 'ORD-1002').signal('approval.denied', { tool_name: 'cancel_order' }))).not.toBeNull();
  });

  it.each([
    ['the rule is off by default (no irreversible tools)', cancel(listed('cancel my order'), 'ORD-1002'), {}],
    ['the user named the selected record', cancel(listed('cancel the steel toaster order'), 'ORD-1002'), ON],
    ['the tool is not irreversible', listed('cancel my order').tool('show_order', { args: '{"order_id": "ORD-1002"}' }), ON],
    ['the irreversible call failed', cancel(listed('cancel my order'), 'ORD-1002', { success: false }), ON],
    ['plural: every record was acted on', cancel(cancel(listed('cancel my orders'), 'ORD-1001'), 'ORD-1002'), ON],
    ['one call names both records', listed('cancel my orders').tool('cancel_order', { args: '{"ids": ["ORD-1001", "ORD-1002"]}' }), ON],
    ['no anchor: the id is in no earlier result (FABRICATION territory)', cancel(listed('cancel my order'), 'ORD-9999'), ON],
    [
      'a single candidate',
      cancel(run({ input: 'cancel my order' }).tool('list_orders', { args: '{}', result: '[{"order_id": "ORD-1002", "item": "toaster"}]' }), 'ORD-1002'),
      ON,
    ],
    ['the list came after the call', cancel(run({ input: 'cancel my order' }), 'ORD-1002').tool('list_orders', { args: '{}', result: ORDERS }), ON],
    ['unparseable arguments are skipped', listed('cancel my order').tool('cancel_order', { args: 'cancel ORD-1002' }), ON],
    [
      'more candidate records than max_candidates_per_run (fail open)',
      cancel(
        run({ input: 'cancel my order' }).tool('list_orders', {
          args: '{}',
          result: JSON.stringify(Array.from({ length: 51 }, (_, i) => ({ order_id: `ORD-${2000 + i}`, item: `thing ${i}` }))),
        }),
        'ORD-2003',
      ),
      ON,
    ],
    [
      'cumulative candidates over the run above the cap (fail open)',
      cancel(
        run({ input: 'cancel my order' })
          .tool('list_orders', { args: '{}', result: ORDERS })
          .tool('list_more', { args: '{}', result: JSON.stringify(Array.from({ length: 2 }, (_, i) => ({ id: `X-${i}` }))) }),
        'ORD-1002',
      ),
      { ...ON, max_candidates_per_run: 3 },
    ],
    [
      'a record nested past the depth bound (fail open)',
      cancel(
        run({ input: 'cancel my order' })
          .tool('list_orders', { args: '{}', result: ORDERS })
          .tool('deep', { args: '{}', result: JSON.stringify({ a: { b: { c: { d: { e: { f: { g: [{ id: 'X-1' }] } } } } } } }) }),
        'ORD-1002',
      ),
      ON,
    ],
  ] as const)('silent when %s', (_name, b, params) => {
    expect(judge(b, params)).toBeNull();
  });

  it('a near-miss is a near-miss: the same run fires once the warrant is gone', () => {
    // Guards the table above against passing for the wrong reason (e.g. the rule never firing at all).
    expect(judge(cancel(listed('cancel my order'), 'ORD-1002'))).not.toBeNull();
    expect(judge(cancel(listed('cancel my order'), 'ORD-1001'), { ...ON, max_candidates_per_run: 50 })).not.toBeNull();
  });
});
