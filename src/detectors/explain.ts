/**
 * Deterministic explanations of signals (title, what happened, why it matters, evidence summary, suggested fixes),
 * filled from the content-free evidence only. Missing or odd evidence renders as "unknown", never "undefined"/"NaN".
 */
import type { Evidence, EvidenceValue, FailureType, Signal } from './types.js';

export interface SuggestedFix {
  description: string;
  language?: string;
  code?: string;
}

export interface Explanation {
  title: string;
  what: string;
  why_it_matters: string;
  evidence_summary: string;
  suggested_fixes: SuggestedFix[];
}

type Input = Pick<Signal, 'failure_type' | 'evidence' | 'step_index'>;

/** Formatting helpers bound to one evidence object. */
class Ev {
  constructor(private readonly e: Evidence) {}
  n(key: string, unit = ''): string {
    const v = this.e[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) return 'unknown';
    return `${Number.isInteger(v) ? v.toLocaleString('en-US') : String(v)}${unit}`;
  }
  ms(key: string): string {
    const v = this.e[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) return 'unknown';
    return v >= 1000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`;
  }
  s(key: string, fallback = 'unknown'): string {
    const v = this.e[key];
    return typeof v === 'string' && v.length > 0 ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : fallback;
  }
  list(key: string, fallback = 'none'): string {
    const v = this.e[key];
    if (!Array.isArray(v) || v.length === 0) return fallback;
    return v.map((x) => (typeof x === 'string' || typeof x === 'number' ? String(x) : '?')).join(', ');
  }
  /** True when the field holds a finite number or a non-empty string. */
  has(key: string): boolean {
    const v = this.e[key];
    return (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v.length > 0);
  }
  is(key: string): boolean {
    return this.e[key] === true;
  }
}

function render(v: EvidenceValue): string {
  if (v === null) return 'unknown';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'unknown';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'string') return /^[0-9a-f]{32,}$/i.test(v) ? `${v.slice(0, 12)}…` : v;
  if (Array.isArray(v)) return v.length === 0 ? 'none' : v.map(render).join(', ');
  return Object.entries(v)
    .map(([k, x]) => `${k}=${render(x)}`)
    .join(' ');
}

/** One "key: value" line per evidence field. */
export function summarizeEvidence(evidence: Evidence): string {
  const entries = Object.entries(evidence ?? {});
  if (entries.length === 0) return 'no evidence recorded';
  return entries
    .map(([k, v]) => {
      if (Array.isArray(v) && v.some((x) => typeof x === 'object' && x !== null)) {
        return `${k}: ${v.length === 0 ? 'none' : v.map((x) => `[${render(x)}]`).join(' ')}`;
      }
      return `${k}: ${render(v)}`;
    })
    .join('\n');
}

type Template = (e: Ev, step: string) => Omit<Explanation, 'evidence_summary'>;

const MAX_ITERATIONS_GUARD = `const MAX_SAME_TOOL = 3;
const seen = new Map<string, number>();
function guardToolCall(name: string, argsKey: string) {
  const key = name + ':' + argsKey;
  const n = (seen.get(key) ?? 0) + 1;
  seen.set(key, n);
  if (n > MAX_SAME_TOOL) throw new Error('tool ' + name + ' repeated ' + n + ' times: stop and answer');
}`;

const RETRY_WITH_BACKOFF = `async function withRetry<T>(fn: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 0; ; i++) {
    try { return await fn(); }
    catch (err) {
      if (i + 1 >= attempts || !isRetryable(err)) throw err; // surface it to the model / user
      await new Promise((r) => setTimeout(r, 500 * 2 ** i));
    }
  }
}`;

const STEP_BUDGET = `const MAX_STEPS = 25;
const MAX_TOKENS_PER_RUN = 100_000;
let steps = 0, tokens = 0;
function checkBudget(usage: { total_tokens?: number }) {
  steps += 1;
  tokens += usage.total_tokens ?? 0;
  if (steps > MAX_STEPS || tokens > MAX_TOKENS_PER_RUN) throw new Error('run budget exceeded');
}`;

const FINISH_REASON_CHECK = `const choice = res.choices[0];
if (choice.finish_reason === 'length') {
  // do not use a cut-off answer: retry with a larger budget or ask the model to continue
  return retry({ ...req, max_tokens: Math.min(req.max_tokens * 2, MODEL_LIMIT) });
}`;

const TRIM_HISTORY = `function trimHistory(messages: Message[], keepLast = 10): Message[] {
  const [system, ...rest] = messages;
  return rest.length <= keepLast ? messages : [system, summarize(rest.slice(0, -keepLast)), ...rest.slice(-keepLast)];
}`;

const HOP_LIMIT = `const MAX_HANDOFFS = 5;
function handoff(ctx: { hops: number }, to: string) {
  if (++ctx.hops > MAX_HANDOFFS) throw new Error('handoff limit reached before ' + to);
}`;

const TIMEOUT = `function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<T>((_, rej) => setTimeout(() => rej(new Error('timeout')), ms))]);
}`;

const TEMPLATES: Record<FailureType, Template> = {
  TOOL_LOOP: (e, step) => ({
    title: `Tool loop: ${e.s('tool')} called ${e.n('count')} times in ${e.n('window')} calls`,
    what: `The agent called ${e.s('tool')} ${e.n('count')} times within ${e.n('window')} consecutive tool calls (steps ${e.n('first_step')}–${e.n('last_step')}, ${e.n('distinct_args')} distinct argument sets), first flagged at step ${step}.`,
    why_it_matters: 'A looping agent burns tokens and latency without progress and often never reaches an answer.',
    suggested_fixes: [
      {
        description: 'Cap repeated calls of the same tool with the same arguments and make the agent answer or ask instead.',
        language: 'typescript',
        code: MAX_ITERATIONS_GUARD,
      },
      { description: 'Return tool results that tell the model what changed, so it does not repeat a call that already returned.' },
    ],
  }),
  TOOL_THRASHING: (e) => ({
    title: `Tool thrashing between ${e.s('tool_a')} and ${e.s('tool_b')}`,
    what: `The agent alternated between ${e.s('tool_a')} and ${e.s('tool_b')} for ${e.n('count')} consecutive tool calls (steps ${e.n('first_step')}–${e.n('last_step')}, pattern ${e.s('pattern')}).`,
    why_it_matters: 'Strict alternation means each tool undoes or re-checks the other: the agent is stuck, not converging.',
    suggested_fixes: [
      { description: 'Give the agent a way to carry state between the two tools (or merge them) so it does not re-check.' },
      { description: 'Stop after N alternations and ask for clarification.', language: 'typescript', code: MAX_ITERATIONS_GUARD },
    ],
  }),
  TOOL_AVOIDANCE: (e) => ({
    title: 'Answered without using any tool',
    what: `The agent had ${e.n('available_tool_count')} tools (${e.list('available_tools')}) and made ${e.n('llm_calls')} LLM calls, but called no tool before its final answer (${e.n('tool_calls_requested')} tool calls were requested by the model).`,
    why_it_matters: 'An answer given without the tools the task needs is often made up (hallucinated) rather than looked up.',
    suggested_fixes: [
      { description: 'Tell the model in the system prompt when a tool must be used, or force one with tool_choice: "required" for the first turn.' },
      { description: 'Check that tool descriptions match the questions users ask.' },
    ],
  }),
  GOAL_ABANDONMENT: (e) => ({
    title: 'Run stalled after the agent stopped using tools',
    what: `After its last tool call at step ${e.n('last_tool_step')}, the agent produced ${e.n('trailing_llm_events')} LLM events (${e.n('trailing_llm_calls')} calls) and then stopped without a final answer (step ${e.n('current_step')}).`,
    why_it_matters: 'The user got no answer: the agent gave up on its goal mid-task.',
    suggested_fixes: [
      { description: 'Always end the agent loop with an explicit answer or error, and put a timeout around the whole run.' },
      { description: 'Log and handle the case where the model returns neither a tool call nor a final answer.' },
    ],
  }),
  RAG_EMPTY_RETRIEVAL: (e) => ({
    title: `Answered after an empty retrieval from ${e.s('index_name')}`,
    what: `A retrieval from ${e.s('index_name')} returned ${e.has('result_count') ? `${e.n('result_count')} results` : 'results'}${e.has('top_score') ? ` (top score ${e.s('top_score')})` : ''}; ${e.n('bad_retrievals')} of ${e.n('total_retrievals')} retrievals were empty or weak, yet the agent still gave a final answer.`,
    why_it_matters: 'Without grounding documents the answer is likely made up, while looking sourced.',
    suggested_fixes: [
      { description: 'When retrieval returns nothing relevant, have the agent say so or retry with a rewritten query instead of answering.' },
      { description: 'Check the index (freshness, embedding model, filters) for the queries that come back empty.' },
    ],
  }),
  LLM_TRUNCATION_LOOP: (e) => ({
    title: `${e.n('truncation_count')} LLM responses cut off by the token limit`,
    what: `${e.n('truncation_count')} of ${e.n('total_llm_calls')} LLM responses stopped at the output token limit (steps ${e.n('first_truncation_step')}–${e.n('last_truncation_step')}).`,
    why_it_matters: 'Truncated outputs are incomplete (cut JSON, half tool arguments); retrying with the same budget repeats the failure.',
    suggested_fixes: [
      {
        description: 'Raise max_tokens for this call, or ask for shorter output; check finish_reason before using a response.',
        language: 'typescript',
        code: FINISH_REASON_CHECK,
      },
    ],
  }),
  CONTEXT_BLOAT: (e) => ({
    title: `Prompt grew ${e.n('growth_factor')}× during the run`,
    what: `Prompt tokens went from ${e.n('first_tokens')} to ${e.n('last_tokens')} over ${e.n('llm_call_count')} LLM calls (steps ${e.n('first_call_step')}–${e.n('last_call_step')}; ${e.s('mode')} threshold ${e.n('threshold')}).`,
    why_it_matters: "Growing context raises cost and latency on every call and pushes instructions out of the model's attention.",
    suggested_fixes: [{ description: 'Trim or summarise old turns and large tool outputs before each call.', language: 'typescript', code: TRIM_HISTORY }],
  }),
  SLOW_STEP: (e) => ({
    title: `Slow ${e.s('step_label')} at step ${e.n('step_index')}`,
    what: `The ${e.s('step_label')} ${e.s('name')} at step ${e.n('step_index')} took ${e.ms('duration_ms')}, ${e.n('ratio')}× its ${e.s('mode')} threshold of ${e.ms('threshold_ms')} (${e.n('slow_step_count')} slow steps in the run).`,
    why_it_matters: "One slow step dominates the run's latency and often signals a timeout, rate limit or overloaded dependency.",
    suggested_fixes: [
      { description: 'Put a timeout on the call and fail fast or fall back.', language: 'typescript', code: TIMEOUT },
      { description: "Check the coincident signals (rate limits) and the dependency's own latency." },
    ],
  }),
  RETRY_STORM: (e) => ({
    title: `Retry storm: ${e.s('tool')} failed ${e.n('consecutive_fails')} times in a row`,
    what: `${e.s('tool')} failed ${e.n('consecutive_fails')} consecutive times (steps ${e.n('first_fail_step')}–${e.n('last_fail_step')}); arguments identical: ${e.is('args_identical') ? 'yes' : 'no'}, same error: ${e.is('reason_identical') ? 'yes' : 'no'}, recovered later: ${e.is('recovered') ? 'yes' : 'no'}.`,
    why_it_matters: 'Retrying the same failing call wastes time and quota and can hammer a struggling dependency.',
    suggested_fixes: [
      {
        description: 'Retry only retryable errors, with backoff and a small cap; then report the failure to the model.',
        language: 'typescript',
        code: RETRY_WITH_BACKOFF,
      },
    ],
  }),
  EMPTY_LLM_RESPONSE: (e) => ({
    title: 'The LLM returned an empty answer',
    what: `${e.n('occurrences')} LLM responses finished normally (${e.s('finish_reason')}) with zero-length output, first at step ${e.n('first_step')}.`,
    why_it_matters: 'An empty answer reaches the user as a blank reply or breaks the next step that expects text.',
    suggested_fixes: [
      { description: 'Treat an empty "stop" response as an error: retry once, then fail visibly.' },
      { description: 'Check content filters and stop sequences that can cut the output to nothing.' },
    ],
  }),
  STEP_COUNT_INFLATION: (e) => ({
    title: `Run took ${e.n('inflation_ratio')}× the usual number of steps`,
    what: `This run took ${e.n('current_steps')} steps against a P75 of ${e.n('baseline_p75')} over ${e.n('baseline_runs')} recent runs (threshold ${e.n('threshold_factor')}×).`,
    why_it_matters: 'Far more steps than usual means the agent wandered: higher cost and latency, often a worse answer.',
    suggested_fixes: [{ description: 'Look at the run for repeated or unnecessary calls; add a step budget.', language: 'typescript', code: STEP_BUDGET }],
  }),
  CASCADING_TOOL_FAILURE: (e) => ({
    title: `${e.n('consecutive_failures')} tool failures in a row across ${e.n('distinct_tool_count')} tools`,
    what: `${e.n('consecutive_failures')} consecutive tool calls failed (steps ${e.n('first_fail_step')}–${e.n('last_fail_step')}) across ${e.list('distinct_tools')}.`,
    why_it_matters: 'Failures spreading across tools usually share a cause (auth, network, bad state) that retries cannot fix.',
    suggested_fixes: [
      { description: 'Stop the run after N consecutive tool failures and report the shared cause.' },
      { description: 'Check the dependency the failing tools share (credentials, network, upstream service).' },
    ],
  }),
  FIRST_STEP_FAILURE: (e) => ({
    title: `Run failed at step ${e.n('failed_step')}`,
    what: `The run failed right at the start (step ${e.n('failed_step')}, within the first ${e.n('max_step')} steps): ${e.s('trigger').replace(/_/g, ' ')}${e.s('tool', '') ? ` in ${e.s('tool')}` : ''}${e.s('error_type', '') ? ` (${e.s('error_type')})` : ''}.`,
    why_it_matters: 'Failing immediately usually means a configuration or deployment problem that hits every run.',
    suggested_fixes: [
      { description: 'Check credentials, model names and tool endpoints of this agent version.' },
      { description: 'Add a start-up health check for the tools and model the agent needs.' },
    ],
  }),
  REASONING_STALL: (e) => ({
    title: `${e.n('llm_calls')} LLM calls for ${e.n('tool_calls')} tool calls`,
    what: `The agent made ${e.n('llm_calls')} LLM calls and ${e.n('tool_calls')} tool calls (ratio ${e.n('ratio')}, ${e.s('mode')} threshold ${e.n('threshold')}); the run ${e.s('outcome') === 'stalled' ? 'stalled' : 'finished'}.`,
    why_it_matters: 'Many LLM calls without action means the agent is deliberating in circles: cost and latency without progress.',
    suggested_fixes: [{ description: 'Limit consecutive LLM calls without a tool call or answer, and make the plan explicit in the prompt.' }],
  }),
  PROMPT_INJECTION_SIGNAL: (e) => ({
    title: 'Possible prompt injection in the input',
    what: `The ${e.s('source') === 'llm_input' ? 'LLM input' : 'run input'} (${e.n('input_length')} characters) matched ${e.n('matched_pattern_count')} injection patterns: ${e.list('matched_patterns')}.`,
    why_it_matters: 'Injected instructions can make the agent ignore its rules, leak data or misuse its tools.',
    suggested_fixes: [
      { description: 'Keep untrusted input clearly delimited from instructions, and restrict what tools can do with it.' },
      { description: 'Review this run and consider blocking or flagging inputs that match these patterns.' },
    ],
  }),
  SILENT_TRUNCATION: (e) => ({
    title: 'A cut-off LLM response was used without retry',
    what: `The LLM response at step ${e.n('truncated_step')} hit its token limit (${e.s('detected_by').replace(/_/g, ' ')}${e.has('completion_tokens') && e.has('max_tokens') ? `: ${e.n('completion_tokens')} of max ${e.n('max_tokens')} tokens` : ''}) and was used as is${e.is('final_output') ? ' as the final answer' : ''}.`,
    why_it_matters: 'A truncated answer or cut tool arguments silently degrade the result without any error.',
    suggested_fixes: [{ description: 'Check finish_reason and retry or continue when it is "length".', language: 'typescript', code: FINISH_REASON_CHECK }],
  }),
  MODEL_FALLBACK_DRIFT: (e) => ({
    title: `Model fell back from ${e.s('from_model')} to ${e.s('to_model')}`,
    what: `At step ${e.n('switch_step')} the run moved from ${e.s('from_model')} to the less capable ${e.s('to_model')} (${e.s('trigger').replace(/_/g, ' ')}).`,
    why_it_matters: 'A smaller model gives lower-quality answers, silently, while the run still looks successful.',
    suggested_fixes: [
      { description: 'Pin the model, or log and alert when a gateway or fallback serves a different model than requested.' },
      { description: 'If the fallback follows rate limits, raise the quota or queue requests instead of downgrading.' },
    ],
  }),
  COST_SPIKE: (e) => ({
    title: `Run used ${e.n('total_tokens')} tokens`,
    what: `The run used ${e.n('total_tokens')} tokens over ${e.n('llm_calls')} LLM calls, above the ${e.s('mode')} threshold of ${e.n('threshold_tokens')}.`,
    why_it_matters: 'Token spend is cost; one run far above normal usually hides a loop or oversized context.',
    suggested_fixes: [
      { description: 'Add a per-run token budget and look for loops or bloated context in this run.', language: 'typescript', code: STEP_BUDGET },
    ],
  }),
  SESSION_LATENCY: (e) => ({
    title: `Run took ${e.ms('wall_clock_ms')}`,
    what: `The run took ${e.ms('wall_clock_ms')} end to end, above the ${e.s('mode')} threshold of ${e.ms('threshold_ms')} (${e.n('steps')} steps).`,
    why_it_matters: 'Users wait or give up; slow runs also hold resources and often hit upstream timeouts.',
    suggested_fixes: [
      { description: 'Find the slow steps (see SLOW_STEP) and add timeouts; run independent tool calls in parallel.', language: 'typescript', code: TIMEOUT },
    ],
  }),
  EXCESSIVE_RETRIEVAL: (e) => ({
    title: `${e.n('retrieval_count')} retrievals in one run`,
    what: `The agent ran ${e.n('retrieval_count')} retrievals (${e.n('distinct_queries')} distinct queries, ${e.n('repeated_queries')} repeated, ${e.n('empty_results')} empty) over ${e.n('distinct_indexes')} indexes.`,
    why_it_matters: 'Retrieving again and again means the agent is not finding what it needs: cost, latency and context bloat.',
    suggested_fixes: [{ description: 'Cap retrievals per run, cache repeated queries, and improve query rewriting or the index.' }],
  }),
  RUNAWAY_ITERATION: (e) => ({
    title: `Runaway run: ${e.s('ceiling') === 'tokens' ? 'token' : 'step'} ceiling crossed`,
    what: `The run reached ${e.n('steps')} steps (ceiling ${e.n('max_steps')}) and ${e.n('total_tokens')} tokens (ceiling ${e.n('max_total_tokens')}) without completing (status ${e.s('status')}).`,
    why_it_matters: 'A run that keeps going without finishing costs money every step and will likely never answer.',
    suggested_fixes: [{ description: 'Enforce a hard step and token budget in the agent loop.', language: 'typescript', code: STEP_BUDGET }],
  }),
  AGENT_HANDOFF_FAILURE: (e) => ({
    title: `Handoff ${e.s('name')} failed`,
    what: `The handoff ${e.s('name')} (${e.s('handoff_kind') === 'tool' ? 'handoff tool' : 'nested agent'}) ${e.s('failure') === 'empty' ? 'returned nothing' : 'failed'}${e.s('error_type', '') ? ` (${e.s('error_type')})` : ''}; ${e.n('failed_handoffs')} of ${e.n('total_handoffs')} handoffs failed${e.is('recovered') ? ', a later handoff to the same agent succeeded' : ''}.`,
    why_it_matters: 'When a handoff fails the receiving agent never gets the task, and the user is left with a partial answer.',
    suggested_fixes: [{ description: 'Check that the target agent exists and accepts the handoff input; surface handoff errors to the calling agent.' }],
  }),
  DELEGATION_LOOP: (e) => ({
    title: `Delegation loop between ${e.list('agents')}`,
    what: `Work went around between ${e.list('agents')} ${e.n('cycles')} times (${e.n('delegations')} delegations among ${e.n('distinct_agents')} agents, via ${e.s('via').replace(/_/g, ' ')}).`,
    why_it_matters: 'Agents handing work back and forth never finish it, and every hop costs tokens and time.',
    suggested_fixes: [
      { description: 'Limit the number of handoffs per run and give each agent a clear "done" condition.', language: 'typescript', code: HOP_LIMIT },
    ],
  }),
};

const UNKNOWN: Template = () => ({
  title: 'Agent failure detected',
  what: 'A detector flagged this run.',
  why_it_matters: 'The run may not have done what the user asked.',
  suggested_fixes: [],
});

export function explainSignal(signal: Input): Explanation {
  const evidence: Evidence = signal?.evidence && typeof signal.evidence === 'object' ? signal.evidence : {};
  const step = typeof signal?.step_index === 'number' && Number.isFinite(signal.step_index) ? String(signal.step_index) : 'unknown';
  const template = TEMPLATES[signal?.failure_type] ?? UNKNOWN;
  return { ...template(new Ev(evidence), step), evidence_summary: summarizeEvidence(evidence) };
}
