import { trace } from '@opentelemetry/api';
import * as ai6 from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import * as ai5 from 'ai5';
import { MockLanguageModelV2 } from 'ai5/test';
import { z } from 'zod';
import { Script, ToolLog, modelLatency, type Observed, type RootRecorder } from './observe.js';
import { runTool, type Scenario, type Turn } from './scenarios.js';

/**
 * The scenarios as real Vercel AI SDK agents (ai 6 and ai 5): `generateText` / `streamText` with tools and
 * `stopWhen`, `experimental_telemetry: { isEnabled: true, functionId, metadata }`, and the SDK's own mock language
 * model (`ai/test`) answering from the scenario's script. No change to the agent besides what a user of the SDK
 * writes anyway to get telemetry.
 */

export type Major = 5 | 6;

interface Usage {
  input: number;
  output: number;
}

/** The provider-level reply for one turn, in the model spec of the major (V3 for ai 6, V2 for ai 5). */
function reply(major: Major, turn: Turn, callIndex: number, json: boolean) {
  const usage: Usage = { input: 120 + 40 * callIndex, output: 'tools' in turn ? 18 : 42 };
  const finish = 'tools' in turn ? 'tool-calls' : 'stop';
  const raw = 'tools' in turn ? 'tool_calls' : 'stop';
  const content =
    'tools' in turn
      ? turn.tools.map((t, i) => ({ type: 'tool-call' as const, toolCallId: `call_${callIndex}_${i}`, toolName: t.name, input: JSON.stringify(t.args) }))
      : [{ type: 'text' as const, text: json ? JSON.stringify({ answer: turn.answer }) : turn.answer }];
  if (major === 6) {
    return {
      content,
      finishReason: { unified: finish, raw },
      usage: {
        inputTokens: { total: usage.input, noCache: usage.input, cacheRead: undefined, cacheWrite: undefined },
        outputTokens: { total: usage.output, text: usage.output, reasoning: undefined },
      },
    } as const;
  }
  return { content, finishReason: finish, usage: { inputTokens: usage.input, outputTokens: usage.output, totalTokens: usage.input + usage.output } } as const;
}

/** A mock model of the major that plays the script: doGenerate for generateText/generateObject, doStream for streamText. */
function scriptedModel(major: Major, script: Script) {
  const generate = async (options: { responseFormat?: { type: string } }) => {
    await modelLatency();
    const index = script.calls;
    const r = reply(major, script.next(), index, options.responseFormat?.type === 'json');
    return { content: r.content, finishReason: r.finishReason, usage: r.usage, warnings: [] };
  };
  const stream = async () => {
    await modelLatency();
    const index = script.calls;
    const r = reply(major, script.next(), index, false);
    const parts: unknown[] = [{ type: 'stream-start', warnings: [] }];
    for (const c of r.content) {
      if (c.type === 'text') parts.push({ type: 'text-start', id: 't0' }, { type: 'text-delta', id: 't0', delta: c.text }, { type: 'text-end', id: 't0' });
      else parts.push(c);
    }
    parts.push({ type: 'finish', finishReason: r.finishReason, usage: r.usage });
    const sdk = major === 6 ? ai6 : ai5;
    return { stream: sdk.simulateReadableStream({ chunks: parts, initialDelayInMs: null, chunkDelayInMs: null }) };
  };
  const init = { provider: 'scripted.chat', modelId: 'scripted-model-1', doGenerate: generate as never, doStream: stream as never };
  return major === 6 ? new MockLanguageModelV3(init) : new MockLanguageModelV2(init);
}

export const functionIdOf = (major: Major) => `support-agent-ai${major}`;

/**
 * Runs one scenario as a Vercel AI SDK agent. loop/retry_storm use generateText, clean/varied streamText; avoidance is
 * a two-step answer (generateText, then generateObject to structure it) inside the app's own span, as a request
 * handler would be (without a parent span each call would be a trace of its own).
 */
export async function runVercelScenario(major: Major, s: Scenario, canary: string, roots: RootRecorder): Promise<Observed> {
  const sdk: typeof ai6 = (major === 6 ? ai6 : ai5) as unknown as typeof ai6;
  const script = new Script(s.turns);
  const log = new ToolLog();
  const model = scriptedModel(major, script) as unknown as ai6.LanguageModel;
  const tools = Object.fromEntries(
    s.tools.map((spec) => [
      spec.name,
      sdk.tool({
        description: spec.description,
        inputSchema: z.object({ query: z.string() }),
        execute: async (args: { query: string }) => {
          try {
            const result = runTool(s, spec.name, args, canary);
            log.record(spec.name, true);
            return result;
          } catch (err) {
            log.record(spec.name, false);
            throw err;
          }
        },
      }),
    ]),
  );
  const experimental_telemetry = { isEnabled: true, functionId: functionIdOf(major), metadata: { tenant: 'acme' } };
  const common = { model, system: s.system, prompt: s.prompt, tools, stopWhen: sdk.stepCountIs(10), experimental_telemetry };
  const traceId = await roots.traceOf(async () => {
    if (s.id === 'avoidance') {
      await trace.getTracer('support-app').startActiveSpan('handle-question', async (span) => {
        try {
          const draft = await sdk.generateText(common);
          await sdk.generateObject({
            model,
            schema: z.object({ answer: z.string() }),
            system: s.system,
            prompt: `Structure this answer: ${draft.text}`,
            experimental_telemetry,
          });
        } finally {
          span.end();
        }
      });
    } else if (s.id === 'clean' || s.id === 'varied') {
      const result = sdk.streamText(common);
      await result.consumeStream();
    } else {
      await sdk.generateText(common);
    }
  });
  return { traceId, llmCalls: script.calls, tools: log.calls };
}
