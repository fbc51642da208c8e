import type OpenAI from 'openai';
import { ToolLog } from './observe.js';
import { runTool, type Scenario } from './scenarios.js';

/**
 * A plain tool-calling agent on the `openai` client (chat.completions), as people write it without a framework:
 * ask the model, run the tools it asks for, feed the results back, until it answers. `review` adds one self-review
 * call after the first answer (the avoidance scenario: two LLM calls, tools offered on both, none used).
 * The instrumentation under test decides what spans exist; the hooks let a test wrap the run and each tool call
 * the way its instrumentation's users do (OpenInference traceAgent/traceTool, GenAI semconv spans).
 */
export interface AgentHooks {
  agent<T>(fn: () => Promise<T>): Promise<T>;
  tool(name: string, callId: string, args: string, fn: () => Promise<string>): Promise<string>;
}

export const noHooks: AgentHooks = { agent: (fn) => fn(), tool: (_n, _id, _a, fn) => fn() };

type Message = OpenAI.Chat.Completions.ChatCompletionMessageParam;

/** Runs the agent; returns its answer and the tools it ran (in order, ok = returned). */
export async function runOpenAIAgent(
  client: OpenAI,
  scenario: Scenario,
  canary: string,
  hooks: AgentHooks,
  model = 'gpt-4o-mini',
): Promise<{ answer: string; tools: ToolLog['calls'] }> {
  const log = new ToolLog();
  const tools = openAITools(scenario);
  const answer = await hooks.agent(async () => {
    const messages: Message[] = [
      { role: 'system', content: scenario.system },
      { role: 'user', content: scenario.prompt },
    ];
    let reviewed = scenario.id !== 'avoidance';
    for (let i = 0; i < 20; i++) {
      const res = await client.chat.completions.create({ model, messages, tools });
      const msg = res.choices[0].message;
      messages.push(msg);
      const calls = msg.tool_calls ?? [];
      if (calls.length === 0) {
        if (reviewed) return msg.content ?? '';
        reviewed = true;
        messages.push({ role: 'user', content: `Review your answer once more. ${canary}` });
        continue;
      }
      for (const call of calls) {
        if (call.type !== 'function') continue;
        const { name, arguments: args } = call.function;
        let result: string;
        try {
          result = await hooks.tool(name, call.id, args, async () => runTool(scenario, name, JSON.parse(args), canary));
          log.record(name, true);
        } catch (err) {
          log.record(name, false);
          result = `error: ${err instanceof Error ? err.message : String(err)}`;
        }
        messages.push({ role: 'tool', tool_call_id: call.id, content: result });
      }
    }
    throw new Error('agent did not finish');
  });
  return { answer, tools: log.calls };
}

/** The tools of a scenario as OpenAI function definitions. */
export function openAITools(scenario: Scenario) {
  return scenario.tools.map((t) => ({
    type: 'function' as const,
    function: { name: t.name, description: t.description, parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] } },
  }));
}
