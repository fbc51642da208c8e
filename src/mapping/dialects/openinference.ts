import type { Attributes } from '../../otlp/model.js';
import { str } from '../attributes.js';
import type { Dialect } from './types.js';

/**
 * OpenInference (`@arizeai/openinference-*`, Python `openinference-instrumentation-*`). Mostly read by the core
 * (`openinference.span.kind`, `llm.*`, `tool.name`, `llm.finish_reason` in map-span's finish-reason aliases). One gap
 * filled here: an AGENT span names its agent only by its span name when the app gave no `agent.name`
 * (`traceAgent(fn, { name })` in JS; the OpenAI Agents SDK's trace root "Agent workflow"), so that name is the agent.
 */
export const openinferenceAgent: Dialect = {
  name: 'openinference-agent',
  matches: (a) =>
    typeof a['openinference.span.kind'] === 'string' &&
    a['openinference.span.kind'].toUpperCase() === 'AGENT' &&
    str(a, 'agent.name') === null &&
    str(a, 'gen_ai.agent.name') === null,
  category: () => 'agent',
  read(name) {
    const structural: Attributes = {};
    if (name.length > 0) structural['gen_ai.agent.name'] = name;
    return { structural, content: {} };
  },
};
