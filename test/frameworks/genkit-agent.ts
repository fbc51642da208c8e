import { genkit, z, type Genkit } from 'genkit';
import { mockModel, type MockResponse } from 'genkit/testing';
import { Script, ToolLog, modelLatency, type Observed, type RootRecorder } from './observe.js';
import { runTool, type Scenario } from './scenarios.js';

/**
 * The scenarios as real Genkit 1.x agents: a flow that calls `ai.generate` with tools (Genkit resolves the tool
 * requests and loops, `maxTurns` raised above its default of 5 for the six-call loop), Genkit's own mock model
 * (`genkit/testing`) answering from the scenario's script, tools defined with `ai.defineTool`. A tool that throws
 * fails the whole generate call in Genkit, so the agent retries the turn (up to 4 times): that is how a tool failing
 * three times in a row looks in Genkit. The avoidance agent drafts and then refines its answer (two generate calls).
 */

export interface GenkitAgents {
  ai: Genkit;
  run(s: Scenario): Promise<Observed>;
  /** A retrieval-augmented answer: the knowledge base returns `documents` (k = 3), then the model answers. */
  runRag(question: string, documents: string[], answer: string): Promise<Observed>;
}

const usage = (callIndex: number, answer: boolean) => ({ inputTokens: 120 + 40 * callIndex, outputTokens: answer ? 42 : 18, totalTokens: 0 });

export function genkitAgents(all: Scenario[], canary: string, roots: RootRecorder): GenkitAgents {
  const ai = genkit({});
  let current: { scenario: Scenario | null; script: Script; log: ToolLog } | null = null;
  const active = () => {
    if (current === null) throw new Error('no agent running');
    return current;
  };
  const activeScenario = () => {
    const { scenario, log } = active();
    if (scenario === null) throw new Error('no scenario running');
    return { scenario, log };
  };

  const model = mockModel(ai, {
    name: 'scripted/support-model',
    info: { supports: { tools: true, multiturn: true, systemRole: true } },
    respond: async (): Promise<MockResponse> => {
      await modelLatency();
      const { script } = active();
      const index = script.calls;
      const turn = script.next();
      const u = usage(index, 'answer' in turn);
      u.totalTokens = u.inputTokens + u.outputTokens;
      if ('answer' in turn) return { text: turn.answer, finishReason: 'stop', usage: u };
      return { toolRequests: turn.tools.map((t, i) => ({ name: t.name, input: t.args, ref: `call_${index}_${i}` })), usage: u };
    },
  });

  const names = [...new Set(all.flatMap((s) => s.tools.map((t) => t.name)))];
  const tools = Object.fromEntries(
    names.map((name) => [
      name,
      ai.defineTool(
        {
          name,
          description: all.flatMap((s) => s.tools).find((t) => t.name === name)?.description ?? name,
          inputSchema: z.object({ query: z.string() }),
          outputSchema: z.string(),
        },
        async (args) => {
          const { scenario, log } = activeScenario();
          try {
            const result = runTool(scenario, name, args, canary);
            log.record(name, true);
            return result;
          } catch (err) {
            log.record(name, false);
            throw err;
          }
        },
      ),
    ]),
  );

  const supportAgent = ai.defineFlow({ name: 'supportAgent', inputSchema: z.string(), outputSchema: z.string() }, async (question) => {
    const { scenario } = activeScenario();
    const options = { model, system: scenario.system, prompt: question, tools: scenario.tools.map((t) => tools[t.name]), maxTurns: 10 };
    let lastError: unknown;
    for (let attempt = 0; attempt < 4; attempt++) {
      try {
        return (await ai.generate(options)).text;
      } catch (err) {
        lastError = err; // a tool failed: try the turn again
      }
    }
    throw lastError;
  });

  const draftAndRefine = ai.defineFlow({ name: 'draftAndRefine', inputSchema: z.string(), outputSchema: z.string() }, async (question) => {
    const { scenario } = activeScenario();
    const offered = scenario.tools.map((t) => tools[t.name]);
    const draft = await ai.generate({ model, system: scenario.system, prompt: question, tools: offered });
    const final = await ai.generate({ model, system: scenario.system, prompt: `Refine this answer: ${draft.text}`, tools: offered });
    return final.text;
  });

  let knowledge: string[] = [];
  const knowledgeBase = ai.defineRetriever({ name: 'knowledgeBase' }, async () => ({
    documents: knowledge.slice(0, 3).map((text) => ({ content: [{ text }], metadata: {} })),
  }));
  const answerFromDocs = ai.defineFlow({ name: 'answerFromDocs', inputSchema: z.string(), outputSchema: z.string() }, async (question) => {
    const docs = await ai.retrieve({ retriever: knowledgeBase, query: question, options: { k: 3 } });
    return (await ai.generate({ model, prompt: question, docs })).text;
  });

  return {
    ai,
    async runRag(question, documents, answer) {
      const script = new Script([{ answer }]);
      const log = new ToolLog();
      knowledge = documents;
      current = { scenario: null, script, log };
      try {
        const traceId = await roots.traceOf(() => answerFromDocs(question));
        return { traceId, llmCalls: script.calls, tools: log.calls };
      } finally {
        current = null;
      }
    },
    async run(scenario) {
      const script = new Script(scenario.turns);
      const log = new ToolLog();
      current = { scenario, script, log };
      try {
        const traceId = await roots.traceOf(() => (scenario.id === 'avoidance' ? draftAndRefine : supportAgent)(scenario.prompt));
        return { traceId, llmCalls: script.calls, tools: log.calls };
      } finally {
        current = null;
      }
    },
  };
}
