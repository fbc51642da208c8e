import { randomBytes } from 'node:crypto';

/**
 * The five agents every framework test runs (issue 10, "Tests"), as data: what the scripted model answers turn by
 * turn, which tools exist and which of them fail. Each framework test turns a scenario into its own agent (its
 * mock model, or a local stub of the provider API driven by `nextTurn`), runs it with the real instrumentation,
 * exports to a real receiver and checks the run against `expect`.
 *
 * Every prompt, tool argument, tool result, tool description and error message carries the file's canary, which
 * must never reach the database, the logs or the API.
 */

export type ScenarioId = 'loop' | 'clean' | 'failing' | 'varied' | 'avoidance';

export interface ToolCallSpec {
  name: string;
  args: Record<string, string>;
}

/** One model turn: ask for tools, or answer. */
export type Turn = { tools: ToolCallSpec[] } | { answer: string };

export interface Scenario {
  id: ScenarioId;
  /** The user's request. Starts with the marker provider stubs pick the script by. */
  prompt: string;
  system: string;
  /** The model's responses in order; the last one is the answer. */
  turns: Turn[];
  /** Tools offered to the model. */
  tools: ToolSpec[];
  expect: {
    llmCalls: number;
    /** Tool names in call order. */
    toolCalls: string[];
    failedTools: number;
    /** Failure types that must be signalled. */
    signals: string[];
    /** Failure types that must not be (['*'] = no signal at all). */
    absent: string[];
  };
}

export interface ToolSpec {
  name: string;
  description: string;
  /** The tool throws (its error message carries the canary). */
  fails: boolean;
}

const TOOL_NAMES = ['search_docs', 'lookup_order', 'charge_card', 'get_weather', 'send_email', 'translate_text'] as const;

export const MARKER = (id: ScenarioId) => `[scenario:${id}]`;

/** A canary unique to a test file: long and random, so it cannot be in any file by chance. */
export function newCanary(): string {
  return `CANARY${randomBytes(8).toString('hex')}`;
}

export function scenarios(canary: string): Scenario[] {
  const tools = (failing: string[] = []): ToolSpec[] =>
    TOOL_NAMES.map((name) => ({ name, description: `${name.replace('_', ' ')} (${canary})`, fails: failing.includes(name) }));
  const call = (name: string, i: number): Turn => ({ tools: [{ name, args: { query: `${canary} ${name} #${i}` } }] });
  // The same arguments every time: a model stuck on one query.
  const same = (name: string): Turn => ({ tools: [{ name, args: { query: `${canary} where is my invoice` } }] });
  const answer = (what: string): Turn => ({ answer: `${what} ${canary}` });
  const base = (id: ScenarioId) => ({ id, prompt: `${MARKER(id)} help me please ${canary}`, system: `You are a support agent. ${canary}` });

  return [
    {
      ...base('loop'),
      tools: tools(),
      turns: [...Array.from({ length: 6 }, () => same('search_docs')), answer('I found nothing.')],
      expect: { llmCalls: 7, toolCalls: Array(6).fill('search_docs'), failedTools: 0, signals: ['TOOL_LOOP'], absent: ['REASONING_STALL'] },
    },
    {
      ...base('clean'),
      tools: tools(),
      turns: [call('lookup_order', 1), answer('Your order ships today.')],
      expect: { llmCalls: 2, toolCalls: ['lookup_order'], failedTools: 0, signals: [], absent: ['*'] },
    },
    {
      ...base('failing'),
      tools: tools(['charge_card']),
      turns: [call('charge_card', 1), call('charge_card', 2), call('charge_card', 3), answer('The card could not be charged.')],
      expect: { llmCalls: 4, toolCalls: Array(3).fill('charge_card'), failedTools: 3, signals: ['RETRY_STORM'], absent: [] },
    },
    {
      ...base('varied'),
      tools: tools(),
      turns: [...['search_docs', 'lookup_order', 'get_weather', 'send_email', 'translate_text'].map(call), answer('All done.')],
      expect: {
        llmCalls: 6,
        toolCalls: ['search_docs', 'lookup_order', 'get_weather', 'send_email', 'translate_text'],
        failedTools: 0,
        signals: [],
        absent: ['TOOL_LOOP', 'REASONING_STALL'],
      },
    },
    {
      ...base('avoidance'),
      tools: tools(),
      // Two LLM calls (a draft, then the answer), tools offered on both, none used.
      turns: [answer('Draft: probably fine.'), answer('It is probably fine.')],
      expect: { llmCalls: 2, toolCalls: [], failedTools: 0, signals: ['TOOL_AVOIDANCE'], absent: ['TOOL_LOOP'] },
    },
  ];
}

/** Runs a tool of a scenario: its result, or the error it throws (both carry the canary). */
export function runTool(scenario: Scenario, name: string, args: unknown, canary: string): string {
  const spec = scenario.tools.find((t) => t.name === name);
  if (spec === undefined) throw new Error(`unknown tool ${name} ${canary}`);
  if (spec.fails) throw new Error(`${name} failed: card declined ${canary}`);
  return `result of ${name} for ${JSON.stringify(args)}: ${canary}`;
}

/** The scenario a conversation belongs to, from the marker in its first user message. */
export function scenarioOf(all: Scenario[], firstUserText: string): Scenario | null {
  return all.find((s) => firstUserText.includes(MARKER(s.id))) ?? null;
}

/**
 * The model's next turn: by the number of assistant turns already in the conversation (each earlier turn is one
 * assistant message, whatever it asked for). Past the script, the answer again.
 */
export function nextTurn(scenario: Scenario, assistantTurns: number): Turn {
  return scenario.turns[Math.min(assistantTurns, scenario.turns.length - 1)];
}
