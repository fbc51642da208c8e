import { SpanStatusCode, trace } from '@opentelemetry/api';
import type Anthropic from 'anthropic-sdk-v0';
import * as traceloop from '@traceloop/node-server-sdk';
import { toolDefinitions } from './langchain-agent.js';
import { ToolLog } from './observe.js';
import { runTool, type Scenario } from './scenarios.js';

/**
 * A tool-calling agent on `@anthropic-ai/sdk` (messages.create with tools), traced with OpenLLMetry's wrappers:
 * `withAgent` around the run, `withTool` around each tool. `review` (the avoidance scenario) adds one self-review
 * call after the first answer.
 *
 * `withTool` never ends its span when the wrapped function throws (node-server-sdk 0.27 ends it only on the
 * fulfilled path), so a failing tool is never exported. `safeTools` is the workaround we document: catch inside the
 * wrapper, mark the span failed, return, and throw outside it.
 */
export async function runAnthropicAgent(
  client: Anthropic,
  s: Scenario,
  canary: string,
  opts: { safeTools: boolean },
): Promise<{ traceId: string; tools: ToolLog['calls'] }> {
  const log = new ToolLog();
  const tools = s.tools.map((t) => ({
    name: t.name,
    description: t.description,
    input_schema: { type: 'object' as const, properties: { query: { type: 'string' } } },
  }));
  let traceId = '';
  await traceloop.withAgent({ name: 'support-agent' }, async () => {
    const span = trace.getActiveSpan();
    traceId = span?.spanContext().traceId ?? '';
    // OpenLLMetry records no tool definitions: say which tools the agent has (TOOL_AVOIDANCE needs them).
    span?.setAttribute('gen_ai.tool.definitions', toolDefinitions(tools));
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: s.prompt }];
    let reviewed = s.id !== 'avoidance';
    for (let i = 0; i < 20; i++) {
      const res = await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 512, system: s.system, messages, tools });
      messages.push({ role: 'assistant', content: res.content });
      const uses = res.content.filter((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');
      if (uses.length === 0) {
        if (reviewed) return;
        reviewed = true;
        messages.push({ role: 'user', content: `Review your answer once more. ${canary}` });
        continue;
      }
      const results: Anthropic.ToolResultBlockParam[] = [];
      for (const u of uses) {
        try {
          const run = async (input: unknown) => runTool(s, u.name, input, canary);
          // The tool's input goes to withTool as its argument, so OpenLLMetry records it (traceloop.entity.input).
          const out = await (opts.safeTools ? safeTool(u.name, run, u.input) : traceloop.withTool({ name: u.name }, run, u.input));
          log.record(u.name, true);
          results.push({ type: 'tool_result', tool_use_id: u.id, content: out });
        } catch (err) {
          log.record(u.name, false);
          results.push({ type: 'tool_result', tool_use_id: u.id, content: `error: ${(err as Error).message}`, is_error: true });
        }
      }
      messages.push({ role: 'user', content: results });
    }
    throw new Error('agent did not finish');
  });
  return { traceId, tools: log.calls };
}

/**
 * withTool that exports failed calls: the error is caught inside the wrapper (so the wrapper's span ends), recorded on
 * that span (status ERROR, exception event), and thrown again outside it.
 */
export async function safeTool<A, T>(name: string, fn: (input: A) => T | Promise<T>, input: A): Promise<T> {
  const out = await traceloop.withTool(
    { name },
    async (arg: A) => {
      try {
        return { ok: true as const, value: await fn(arg) };
      } catch (err) {
        const span = trace.getActiveSpan();
        span?.recordException(err as Error);
        span?.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
        return { ok: false as const, err };
      }
    },
    input,
  );
  if (!out.ok) throw out.err;
  return out.value;
}
