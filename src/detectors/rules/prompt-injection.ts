/**
 * PROMPT_INJECTION_SIGNAL (CRITICAL, 0.85). The mapping core scans raw user input before hashing and attaches
 * injection_signal facts (pattern labels, counts) to run.started and llm.called. This fires on the first such fact
 * with ≥ `min_patterns` matched patterns. Step: the step of that event (0 for the run input).
 */
import { z } from 'zod';
import { runFacts } from '../facts.js';
import { defineDetector } from '../types.js';
import { nameList } from '../util.js';

const schema = z.strictObject({
  min_patterns: z.number().int().min(1).describe('injection patterns that must match in one input (count)'),
});
type Params = z.infer<typeof schema>;

export const promptInjection = defineDetector<Params>()({
  failure_type: 'PROMPT_INJECTION_SIGNAL',
  key: 'prompt_injection_signal',
  description: 'The input scan matched ≥ `min_patterns` prompt-injection patterns (run input or an LLM input).',
  live: false,
  defaults: { min_patterns: 1 },
  schema,
  severities: ['CRITICAL'],
  reads: ['run.injection_markers', 'llm.injection_markers'],
  detect(run, { params }) {
    const hits = runFacts(run).injections.filter((i) => i.facts.matched_pattern_count >= params.min_patterns);
    if (hits.length === 0) return null;
    const { facts, source, step_index } = hits[0];
    return {
      failure_type: 'PROMPT_INJECTION_SIGNAL',
      severity: 'CRITICAL',
      confidence: 0.85,
      step_index,
      evidence: {
        source,
        matched_pattern_count: facts.matched_pattern_count,
        matched_patterns: nameList(facts.matched_patterns, 5),
        input_length: facts.input_length,
        occurrences: hits.length,
        scan_truncated: facts.scan_truncated === true,
        ...(facts.scanned_chars !== undefined ? { scanned_chars: facts.scanned_chars } : {}),
      },
    };
  },
  explain: (e) => ({
    title: 'Possible prompt injection in the input',
    what: `The ${e.s('source') === 'llm_input' ? 'LLM input' : 'run input'} (${e.n('input_length')} characters) matched ${e.n('matched_pattern_count')} injection patterns: ${e.list('matched_patterns')}.`,
    why_it_matters: 'Injected instructions can make the agent ignore its rules, leak data or misuse its tools.',
    suggested_fixes: [
      { description: 'Keep untrusted input clearly delimited from instructions, and restrict what tools can do with it.' },
      { description: 'Review this run and consider blocking or flagging inputs that match these patterns.' },
    ],
  }),
});
