/**
 * UNRESOLVED_AMBIGUITY through the real pipeline: OTLP spans with raw content → mapSpan (the receiver's zero-change
 * path) or redactSpan → mapSpan (the in-process SpanProcessor path: only digests and facts leave) → assembleRun → the
 * rule. Both paths must give the same verdict, and the redacted spans must carry no record value.
 */
import { describe, expect, it } from 'vitest';
import { createHasher, mapSpan, redactSpan, type MappedSpan } from '../../src/mapping/index.js';
import { createFactSecret } from '../../src/mapping/facts/index.js';
import type { OtlpSpan } from '../../src/otlp/model.js';
import { assembleRun } from '../../src/runs/assemble.js';
import { ROOT_ID, span } from '../mapping/helpers.js';
import { detect } from './run-builder.js';
import { defaultDetectorConfig, parseDetectorConfig, settingsFor, unusedByEveryAgent, unusedFacts, type SkippableFact } from '../../src/detectors/index.js';
import { withoutUnusedFacts } from '../../src/pipeline/stored-facts.js';

const j = (v: unknown): string => JSON.stringify(v);
const ORDERS = j([
  { order_id: 'ORD-1001', item: 'blue kettle' },
  { order_id: 'ORD-1002', item: 'steel toaster' },
]);

function agentSpans(input: string, userTurn: string): OtlpSpan[] {
  const tool = (name: string, args: string, result: string, startMs: number): OtlpSpan =>
    span({
      name: `execute_tool ${name}`,
      startMs,
      endMs: startMs + 100,
      attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': name, 'gen_ai.tool.call.arguments': args, 'gen_ai.tool.call.result': result },
    });
  return [
    span({
      name: 'orders.workflow',
      spanId: ROOT_ID,
      parentSpanId: '',
      startMs: 0,
      endMs: 2000,
      attributes: { 'traceloop.span.kind': 'workflow', 'traceloop.entity.name': 'orders', 'traceloop.entity.input': input },
    }),
    tool('list_orders', '{}', ORDERS, 100),
    span({
      name: 'chat gpt-4o',
      startMs: 300,
      endMs: 600,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.input.messages': j([
          { role: 'user', parts: [{ type: 'text', content: input }] },
          { role: 'tool', parts: [{ type: 'tool_call_response', id: 'c1', response: ORDERS }] },
          { role: 'user', parts: [{ type: 'text', content: userTurn }] },
        ]),
        'gen_ai.output.messages': j([{ role: 'assistant', finish_reason: 'tool_calls', parts: [{ type: 'text', content: 'ok' }] }]),
      },
    }),
    tool('cancel_order', j({ order_id: 'ORD-1002' }), '{"ok": true}', 700),
  ];
}

function judge(spans: OtlpSpan[], redact: boolean, dropped: ReadonlySet<string> = new Set(), skipFacts?: ReadonlySet<SkippableFact>) {
  const hasher = createHasher();
  const facts = createFactSecret(Buffer.from('pipeline'));
  const mapped: MappedSpan[] = spans
    .map((s) => mapSpan(redact ? redactSpan(s, { hasher, facts }) : s, { hasher, facts, skipFacts }))
    .map((span) => withoutUnusedFacts({ run_id: span.trace_id, agent_id: 'a', span }, dropped).span);
  const run = assembleRun(
    mapped.map((m) => ({ span: m })),
    { runId: mapped[0].trace_id, agentId: 'a', status: 'completed' },
  );
  return detect('UNRESOLVED_AMBIGUITY', run, { irreversible_tools: ['cancel_order'] });
}

describe('UNRESOLVED_AMBIGUITY end to end (mapping → assembly → rule)', () => {
  it.each([
    ['raw spans (receiver path)', false],
    ['redacted spans (processor path)', true],
  ])('%s: weak when nobody picked, silent when a user turn picks the record, strong when it picks the other', (_name, redact) => {
    const weak = judge(agentSpans('cancel my order', 'yes go ahead'), redact);
    expect(weak).toMatchObject({ severity: 'MEDIUM', evidence: { tier: 'weak', candidate_count: 2, tool_name: 'cancel_order', source_tool: 'list_orders' } });
    expect(judge(agentSpans('cancel my order', 'the toaster one'), redact)).toBeNull();
    // The tool message's words (the result) are never a warrant: only the user's.
    expect(judge(agentSpans('cancel my order', 'the kettle one'), redact)?.evidence).toMatchObject({ tier: 'strong', sibling_matched_in_request: true });
  });

  it('spans stored while the rule was inert (its facts kept as truncated markers) are not judged once it is enabled', () => {
    // What a receiver stores under the default settings (no irreversible_tools): the rule's facts left out.
    expect(unusedFacts(settingsFor(defaultDetectorConfig(), 'a'))).toEqual(new Set(['warrant', 'arg_leaves', 'candidates']));
    for (const dropped of [['warrant'], ['arg_leaves'], ['candidates'], ['warrant', 'arg_leaves', 'candidates']]) {
      // Would be weak with every fact; without the user's words it must not read as "nobody picked".
      expect(judge(agentSpans('cancel my order', 'yes go ahead'), false, new Set(dropped)), dropped.join()).toBeNull();
      expect(judge(agentSpans('cancel my order', 'the toaster one'), true, new Set(dropped)), dropped.join()).toBeNull();
    }
  });

  it('a receiver whose detectors cannot use the rule’s facts does not compute them: markers in their place, the rule silent once armed', () => {
    const skip = unusedByEveryAgent(defaultDetectorConfig());
    expect(skip).toEqual(new Set(['warrant', 'arg_leaves', 'candidates']));
    expect(judge(agentSpans('cancel my order', 'yes go ahead'), false, new Set(), skip)).toBeNull();
    const hasher = createHasher();
    const mapped = agentSpans('cancel my order', 'yes go ahead').map((s) => mapSpan(s, { hasher, skipFacts: skip }));
    const payloads = JSON.stringify(mapped.map((m) => [m.root, m.events.map((e) => e.payload)]));
    expect(payloads).toContain('"warrant":{"key":');
    expect(payloads).not.toMatch(/"(warrant|arg_leaves)":\{"key":"[0-9a-f]{8}","digests":\["/);
    // An agent section that touches the rule keeps them for everyone (mapping happens before the agent is known).
    expect(unusedByEveryAgent(parseDetectorConfig('billing:\n  unresolved_ambiguity:\n    irreversible_tools: [refund]\n'))).toEqual(new Set());
    expect(unusedByEveryAgent(parseDetectorConfig('billing:\n  tool_loop:\n    threshold: 4\n'))).toEqual(skip);
  });

  it('the processor path exports no record value', () => {
    const hasher = createHasher();
    const facts = createFactSecret(Buffer.from('pipeline'));
    const wire = j(agentSpans('cancel my order', 'yes').map((s) => redactSpan(s, { hasher, facts }).attributes)).toLowerCase();
    for (const raw of ['ord-1001', 'ord-1002', 'kettle', 'toaster']) expect(wire).not.toContain(raw);
  });
});
