/**
 * INSTRUMENTATION_DEGRADED (MEDIUM; shadow by default, as the original ships it). The run's telemetry is too
 * degraded to judge fairly, so it is flagged as such instead of being judged wrongly. Fires on the first of:
 *  (a) all_calls_structurally_blank (0.8), the original's rule: at least `min_calls` LLM calls responded and every
 *      one is blank (no output, no completion tokens, finish reason missing or "stop", no tool call, a real
 *      duration). The output-reading detectors (EMPTY_LLM_RESPONSE, FIRST_STEP_FAILURE's empty branch,
 *      RUNAWAY_ITERATION, …: `suppressed_detectors`) stay quiet on such a run.
 *  (b) unidentified_calls (0.7), ours (issue 10): at least `min_calls` LLM or tool calls, and a share of at least
 *      `min_unidentified_share` of them, cannot be told apart: LLM calls with no model and no token count, tool
 *      spans with no tool name.
 * Content capture off is NOT degraded: output_length is then unknown but usage tokens still arrive (a call with
 * completion tokens is never blank). The original's `unreadable_response_shape` marker has no equivalent in
 * OTLP (no emitter sends one), and broken parent links are not counted: spans we do not classify (chains,
 * workflows) are legitimately absent from the run's events, so a missing parent proves nothing here.
 * Step: the first affected call.
 */
import { z } from 'zod';
import { isAnonymousLlmCall, isStructurallyBlank, isUnnamedTool, SUPPRESSED_ON_BLANK } from '../degraded.js';
import { isFinished, runFacts } from '../facts.js';
import { defineDetector } from '../types.js';
import { nameList } from '../util.js';

const schema = z.strictObject({
  min_calls: z.number().int().min(1).describe('affected calls needed to judge (count)'),
  min_unidentified_share: z.number().gt(0).max(1).describe('unidentified calls: share of all LLM and tool calls (ratio 0–1)'),
});
type Params = z.infer<typeof schema>;

export const instrumentationDegraded = defineDetector<Params>()({
  failure_type: 'INSTRUMENTATION_DEGRADED',
  key: 'instrumentation_degraded',
  description: 'The telemetry is too degraded to judge: every LLM response is blank, or most calls name no model or tool.',
  live: false,
  shadowByDefault: true,
  defaults: { min_calls: 2, min_unidentified_share: 0.5 },
  schema,
  severities: ['MEDIUM'],
  reads: ['llm.output_length'],
  detect(run, { params }) {
    if (!isFinished(run)) return null;
    const f = runFacts(run);
    const responded = f.llm.filter((c) => c.responded);
    const common = {
      total_llm_calls: f.llm.length,
      total_tool_calls: f.tools.length,
      providers: nameList(f.llm.map((c) => c.provider).filter((p) => p !== null)),
      models: nameList(f.llm.map((c) => c.response_model ?? c.model).filter((m) => m !== null)),
    };
    if (responded.length >= params.min_calls && responded.every(isStructurallyBlank)) {
      return {
        failure_type: 'INSTRUMENTATION_DEGRADED',
        severity: 'MEDIUM',
        confidence: 0.8,
        step_index: responded[0].step_index,
        evidence: {
          reason: 'all_calls_structurally_blank',
          affected_calls: responded.length,
          ...common,
          anonymous_llm_calls: 0,
          unnamed_tools: 0,
          first_step: responded[0].step_index,
          suppressed_detectors: [...SUPPRESSED_ON_BLANK],
          unmeasurable: ['llm.responded.output', 'llm.responded.finish_reason'],
        },
      };
    }
    const anonymous = f.llm.filter(isAnonymousLlmCall);
    const unnamed = f.tools.filter(isUnnamedTool);
    const affected = anonymous.length + unnamed.length;
    const total = f.llm.length + f.tools.length;
    if (affected < params.min_calls || affected / total < params.min_unidentified_share) return null;
    const first = Math.min(...[...anonymous, ...unnamed].map((c) => c.step_index));
    return {
      failure_type: 'INSTRUMENTATION_DEGRADED',
      severity: 'MEDIUM',
      confidence: 0.7,
      step_index: first,
      evidence: {
        reason: 'unidentified_calls',
        affected_calls: affected,
        ...common,
        anonymous_llm_calls: anonymous.length,
        unnamed_tools: unnamed.length,
        first_step: first,
        suppressed_detectors: [],
        unmeasurable: [...(anonymous.length > 0 ? ['llm.model', 'llm.usage'] : []), ...(unnamed.length > 0 ? ['tool.name'] : [])],
      },
    };
  },
  explain: (e) => ({
    title: 'Instrumentation too degraded to judge this run',
    what:
      e.s('reason') === 'all_calls_structurally_blank'
        ? `All ${e.n('affected_calls')} LLM responses arrived blank (no output, no completion tokens, no usable finish reason), first at step ${e.n('first_step')}; output-based detectors were not applied.`
        : `${e.n('affected_calls')} of the run's ${e.n('total_llm_calls')} LLM and ${e.n('total_tool_calls')} tool calls cannot be told apart (${e.n('anonymous_llm_calls')} LLM calls without model or token counts, ${e.n('unnamed_tools')} tools without a name), first at step ${e.n('first_step')}.`,
    why_it_matters: 'Detectors judging blind either miss real failures or report false ones; fix the telemetry before trusting verdicts on this agent.',
    suggested_fixes: [
      {
        description: 'Let the instrumentation record the response: usage, finish reason, model and tool names (content can stay off).',
        language: 'typescript',
        code: `// Vercel AI SDK: telemetry is off unless asked for
await generateText({ model, tools, prompt, experimental_telemetry: { isEnabled: true, functionId: 'my-agent' } });
// Manual spans: name the tool and record usage
span.setAttributes({ 'gen_ai.tool.name': name, 'gen_ai.usage.output_tokens': usage.outputTokens });`,
      },
    ],
  }),
});
