import { jsonSpan, otlpJson } from './otlp-json.js';

let seq = 0;
export const newTraceId = () =>
  (Date.now().toString(16) + (++seq).toString(16).padStart(6, '0') + Math.random().toString(16).slice(2)).slice(0, 32).padEnd(32, '0');

/**
 * An agent that calls the same tool `calls` times (TOOL_LOOP at the 3rd of 5), then answers. Child spans only, and
 * the root separately, so callers decide when the run can complete. Times are 100 ms apart: real calls take longer.
 */
export function loopingRun(traceId: string, o: { calls?: number; tool?: string; agentId?: string } = {}) {
  const t0 = Date.now() - 60_000;
  const rootId = traceId.slice(0, 16);
  const calls = o.calls ?? 5;
  const resource = { 'service.name': o.agentId ?? 'looping-agent' };
  const children = [];
  for (let i = 0; i < calls; i++) {
    const id = (i + 1).toString(16).padStart(16, 'a');
    children.push(
      jsonSpan({
        traceId,
        spanId: id,
        parent: rootId,
        name: `execute_tool ${o.tool ?? 'search'}`,
        start: t0 + 100 + i * 200,
        end: t0 + 200 + i * 200,
        attrs: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': o.tool ?? 'search' },
      }),
    );
  }
  const root = jsonSpan({
    traceId,
    spanId: rootId,
    name: 'agent.workflow',
    start: t0,
    end: t0 + 200 + calls * 200,
    attrs: { 'traceloop.span.kind': 'workflow' },
  });
  return { children: otlpJson(children, resource), root: otlpJson([root], resource), all: otlpJson([...children, root], resource) };
}
