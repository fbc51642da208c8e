import { describe, expect, it } from 'vitest';
import { failedToolNames, nameFailedTools, TOOL_UNNAMED } from '../../src/mapping/dialects/index.js';
import { openllmetryLangchain } from '../../src/mapping/dialects/openllmetry-langchain.js';
import { createHasher, mapSpan, redactSpan } from '../../src/mapping/index.js';
import type { Attributes, OtlpSpan } from '../../src/otlp/model.js';
import { span, toJson } from './helpers.js';

/**
 * LangChain.js through OpenLLMetry 0.27: tool spans named after the tool's class. The real name from the span's own
 * ToolMessage, or (a tool that threw) from the LangGraph tools node around it in the same export.
 */
const CANARY = 'CANARY_lc_7f3a';
const hasher = createHasher();
const d = (t: string) => hasher.digest(t);
const ARGS = JSON.stringify({ query: `${CANARY} #1` });

const toolMessage = (name: string, id: string, status = 'success') => ({
  lc: 1,
  type: 'constructor',
  id: ['langchain_core', 'messages', 'ToolMessage'],
  kwargs: { status, content: `result of ${name} ${CANARY}`, tool_call_id: id, name, additional_kwargs: {}, response_metadata: {} },
});

function toolSpan(o: { cls?: string; output?: unknown; startMs: number; endMs: number; failed?: boolean }): OtlpSpan {
  const attributes: Attributes = {
    'gen_ai.operation.name': 'execute_tool',
    'gen_ai.provider.name': 'langchain',
    'traceloop.span.kind': 'task',
    'traceloop.entity.name': o.cls ?? 'DynamicStructuredTool',
    'traceloop.workflow.name': 'support',
    'traceloop.entity.input': JSON.stringify({ args: [ARGS] }),
  };
  if (o.output !== undefined) attributes['traceloop.entity.output'] = JSON.stringify(o.output);
  return span({
    name: `execute_tool ${o.cls ?? 'DynamicStructuredTool'}`,
    startMs: o.startMs,
    endMs: o.endMs,
    attributes,
    status: o.failed ? { code: 2, message: `failed ${CANARY}` } : { code: 1 },
  });
}

/** The LangGraph tools node: its output lists a ToolMessage per tool it ran, in call order. */
const toolsNode = (messages: unknown[], startMs: number, endMs: number) =>
  span({
    name: 'workflow RunnableSequence',
    startMs,
    endMs,
    attributes: {
      'gen_ai.operation.name': 'workflow',
      'gen_ai.provider.name': 'langchain',
      'traceloop.span.kind': 'workflow',
      'traceloop.entity.output': JSON.stringify({ messages }),
    },
  });

const toolCall = (s: OtlpSpan) => {
  const e = mapSpan(s, { hasher }).events.find((x) => x.event_type === 'tool.called');
  return e?.event_type === 'tool.called' ? e.payload : null;
};

describe('the dialect, span by span', () => {
  it('a tool that returned: its name and call id from its ToolMessage; arguments and result as the tool saw them', () => {
    const s = toolSpan({ output: toolMessage('lookup_order', 'call_1'), startMs: 10, endMs: 20 });
    expect(openllmetryLangchain.read(s.name, s.attributes)).toEqual({
      structural: { 'gen_ai.tool.name': 'lookup_order', 'gen_ai.tool.call.id': 'call_1' },
      content: { 'gen_ai.tool.call.arguments': ARGS, 'gen_ai.tool.call.result': `result of lookup_order ${CANARY}` },
    });
    expect(toolCall(s)).toEqual({ tool_name: 'lookup_order', tool_call_id: 'call_1', args_hash: d(ARGS), args_length: ARGS.length });
  });

  it("a tool that threw, made with tool(): unnamed, never the class — told apart by its arguments' digest", () => {
    const s = toolSpan({ startMs: 10, endMs: 20, failed: true });
    expect(openllmetryLangchain.read(s.name, s.attributes).structural).toEqual({ [TOOL_UNNAMED]: true });
    expect(toolCall(s)?.tool_name).toBe(`unnamed_tool#${d(ARGS).slice(0, 8)}`);
  });

  it("an app's own tool class is at least a distinct name; LangChain's generic classes are not", () => {
    for (const cls of ['DynamicStructuredTool', 'DynamicTool', 'StructuredTool', 'Tool']) {
      expect(openllmetryLangchain.read('x', toolSpan({ cls, startMs: 0, endMs: 1 }).attributes).structural).toEqual({ [TOOL_UNNAMED]: true });
    }
    expect(toolCall(toolSpan({ cls: 'SearchTool', startMs: 0, endMs: 1, failed: true }))?.tool_name).toBe('SearchTool');
  });

  it('only OpenLLMetry LangChain tool spans (execute_tool, provider langchain, kind task) are claimed', () => {
    const base = toolSpan({ startMs: 0, endMs: 1 }).attributes;
    expect(openllmetryLangchain.matches(base)).toBe(true);
    expect(openllmetryLangchain.matches({ ...base, 'gen_ai.provider.name': 'openai' })).toBe(false);
    expect(openllmetryLangchain.matches({ ...base, 'traceloop.span.kind': 'tool' })).toBe(false);
    expect(openllmetryLangchain.matches({ ...base, 'gen_ai.operation.name': 'workflow' })).toBe(false);
  });

  it('malformed values never throw: an unparseable result or input is content, not a name', () => {
    const s = toolSpan({ startMs: 0, endMs: 1 });
    const attrs = { ...s.attributes, 'traceloop.entity.output': `{"lc":1,"kwargs":{"name":"x"…${CANARY}`, 'traceloop.entity.input': `not json ${CANARY}` };
    expect(openllmetryLangchain.read(s.name, attrs)).toEqual({
      structural: { [TOOL_UNNAMED]: true },
      content: { 'gen_ai.tool.call.arguments': `not json ${CANARY}` },
    });
  });

  it('redaction exports the derived name beside the digested originals: the receiver maps the redacted span the same', () => {
    const s = toolSpan({ output: toolMessage('lookup_order', 'call_1'), startMs: 10, endMs: 20 });
    const redacted = redactSpan(s, { hasher });
    expect(redacted.attributes['gen_ai.tool.name']).toBe('lookup_order');
    expect(toJson(redacted)).not.toContain(CANARY);
    expect(mapSpan(redacted, { hasher })).toEqual(mapSpan(s, { hasher }));
  });
});

describe('failed tools named per export (failedToolNames / nameFailedTools)', () => {
  it('from the innermost tools node around them, by position; a returned call in the same node must agree', () => {
    const ok = toolSpan({ output: toolMessage('lookup_order', 'call_1'), startMs: 110, endMs: 120 });
    const bad = toolSpan({ startMs: 121, endMs: 130, failed: true });
    const node = toolsNode([toolMessage('lookup_order', 'call_1'), toolMessage('charge_card', 'call_2', 'error')], 100, 140);
    const graph = toolsNode([toolMessage('x', 'a'), toolMessage('y', 'b'), toolMessage('z', 'c')], 0, 1000); // contains everything, not innermost
    const out = nameFailedTools([graph, node, ok, bad]);
    expect(out.slice(0, 3)).toEqual([graph, node, ok]);
    expect(out[3].attributes).toMatchObject({ 'gen_ai.tool.name': 'charge_card', 'gen_ai.tool.call.id': 'call_2' });
    expect(toolCall(out[3])?.tool_name).toBe('charge_card');
  });

  it('left unnamed when unsure: the counts differ, a known name disagrees, or the node is in another trace', () => {
    const bad = toolSpan({ startMs: 121, endMs: 130, failed: true });
    const two = toolsNode([toolMessage('charge_card', 'c1'), toolMessage('refund', 'c2')], 100, 140);
    expect(failedToolNames([two, bad], view).size).toBe(0);

    const ok = toolSpan({ output: toolMessage('lookup_order', 'call_1'), startMs: 110, endMs: 120 });
    const swapped = toolsNode([toolMessage('charge_card', 'c2'), toolMessage('lookup_order', 'c1')], 100, 140);
    expect(failedToolNames([swapped, ok, bad], view).size).toBe(0);

    const elsewhere = { ...toolsNode([toolMessage('charge_card', 'c1')], 100, 140), traceId: 'f'.repeat(32) };
    expect(failedToolNames([elsewhere, bad], view).size).toBe(0);
  });

  it('nothing to do: the same array', () => {
    const spans = [toolSpan({ output: toolMessage('a', '1'), startMs: 0, endMs: 1 })];
    expect(nameFailedTools(spans)).toBe(spans);
  });
});

const view = (s: OtlpSpan) => ({ traceId: s.traceId, start: s.startTimeUnixNano, end: s.endTimeUnixNano, attributes: s.attributes });
