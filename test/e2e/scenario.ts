/**
 * A dialect-neutral agent run: what happened, not how an SDK spelled it. `dialects.ts` renders one scenario as the
 * spans OpenLLMetry JS, legacy Traceloop or plain GenAI semconv instrumentation would have exported for it.
 *
 * Timing: every step gets an explicit start and duration (ms, relative to the root's start). Steps without `at`
 * follow the previous one after GAP_MS, so no two steps ever start in the same millisecond (the OTel JS SDK rounds
 * start times to the millisecond: spans started within one ms carry no order).
 */

export const GAP_MS = 100;

const DEFAULT_MS = { llm: 300, tool: 120, retrieval: 80, agent: 0, http429: 30 } as const;

export interface Timing {
  /** Start, ms after the root's start. Default: GAP_MS after the previous step (or the parent's start) ended. */
  at?: number;
  /** Duration, ms. */
  ms?: number;
}

export type Finish = 'stop' | 'length' | 'tool_calls';

export interface LlmStep extends Timing {
  kind: 'llm';
  model: string;
  /** The model that served the call (default: `model`). */
  response_model?: string;
  /** Default: tool_calls when `tool_calls` is non-empty, else stop. Ignored when `error` is set. */
  finish?: Finish;
  input_tokens: number;
  output_tokens: number;
  max_tokens?: number;
  /** Names of the tools the model asked for. */
  tool_calls?: string[];
  /** Reply text (the canary is appended); '' = a known-empty reply; null = content not captured. */
  output_text?: string | null;
  /** The user message of this call (the canary is appended). */
  input_text?: string;
  /** Error class: the call failed (no reply, no usage). */
  error?: string;
}

export interface ToolStep extends Timing {
  kind: 'tool';
  name: string;
  /** Error class: the call failed. */
  error?: string;
  /** Argument text (the canary is appended); same text → same argument digest. */
  args?: string;
  /** Result text (the canary is appended). */
  result?: string;
  /** The tool returned an empty string. */
  output_empty?: boolean;
}

export interface RetrievalStep extends Timing {
  kind: 'retrieval';
  index: string;
  /** Vector store vendor (dialects that name one). */
  vendor?: string;
  result_count: number;
  /** Best relevance score (default 0.82); the other results score lower. */
  top_score?: number;
  query?: string;
}

export interface AgentStep extends Timing {
  kind: 'agent';
  name: string;
  /** Error class: the nested agent failed. */
  error?: string;
  children?: Step[];
}

/** An HTTP call to the model provider answered 429 (rate limited). */
export interface Http429Step extends Timing {
  kind: 'http429';
}

export type Step = LlmStep | ToolStep | RetrievalStep | AgentStep | Http429Step;

export interface Root {
  kind: 'agent' | 'workflow';
  name: string;
  /** Error class: the run failed. */
  error?: string;
  /** The user's input (the canary is appended). */
  input?: string;
  /** Tools the agent declares (tool definitions on its LLM calls, and on the root where the dialect allows). */
  tools?: string[];
  /** Minimum root duration, ms (the root always covers all steps). */
  ms?: number;
}

export interface Scenario {
  root: Root;
  steps: Step[];
  /** The root span never arrives (the process died mid-run): the run closes as stalled after the idle timeout. */
  stalled?: boolean;
}

// ---------------------------------------------------------------------------------------------------------
// Layout

export interface Placed<S extends Step = Step> {
  step: S;
  /** ms after the root's start */
  start: number;
  end: number;
  children: Placed[];
}

export interface Layout {
  rootEnd: number;
  steps: Placed[];
}

function place(steps: Step[], from: number): { placed: Placed[]; end: number } {
  const placed: Placed[] = [];
  let cursor = from;
  let end = from;
  for (const step of steps) {
    const start = step.at ?? cursor + GAP_MS;
    let stepEnd: number;
    let children: Placed[] = [];
    if (step.kind === 'agent') {
      const inner = place(step.children ?? [], start);
      children = inner.placed;
      stepEnd = Math.max(inner.end + 20, start + (step.ms ?? 50));
    } else {
      stepEnd = start + (step.ms ?? DEFAULT_MS[step.kind]);
    }
    placed.push({ step, start, end: stepEnd, children });
    cursor = stepEnd;
    end = Math.max(end, stepEnd);
  }
  return { placed, end };
}

/** Absolute offsets for every step, depth first; the root ends 50 ms after its last step (or at `root.ms`). */
export function layout(s: Scenario): Layout {
  const { placed, end } = place(s.steps, 0);
  return { steps: placed, rootEnd: Math.max(end + 50, s.root.ms ?? 0) };
}

// ---------------------------------------------------------------------------------------------------------
// Builders: short, readable scenarios

export const llm = (model: string, o: Partial<Omit<LlmStep, 'kind' | 'model'>> = {}): LlmStep => ({
  kind: 'llm',
  model,
  input_tokens: 400,
  output_tokens: 60,
  ...o,
});
export const tool = (name: string, o: Partial<Omit<ToolStep, 'kind' | 'name'>> = {}): ToolStep => ({ kind: 'tool', name, ...o });
export const retrieval = (index: string, result_count: number, o: Partial<Omit<RetrievalStep, 'kind' | 'index' | 'result_count'>> = {}): RetrievalStep => ({
  kind: 'retrieval',
  index,
  result_count,
  ...o,
});
export const agent = (name: string, children: Step[], o: Partial<Omit<AgentStep, 'kind' | 'name' | 'children'>> = {}): AgentStep => ({
  kind: 'agent',
  name,
  children,
  ...o,
});
export const http429 = (o: Timing = {}): Http429Step => ({ kind: 'http429', ...o });
