// "Accepted but not understood" on the agent view: what its recent runs' telemetry carried that was not read
// (GET /v1/agents/<id>/ingest-health), in plain sentences, then what to change. Names and counts only.
import { h } from '../lib/dom.js';

const plural = (n, what) => `${n} ${what}${n === 1 ? '' : 's'}`;
const names = (list) => (Array.isArray(list) ? list.map((n) => `${n.name} (${n.count})`).join(', ') : '');

/** The findings as sentences, e.g. "42 spans from vercel-ai-agent were not recognised: ai.foo (40), ai.bar (2)". */
export function ingestSentences(r) {
  const out = [];
  if (r.unclassified_spans > 0) out.push(`${plural(r.unclassified_spans, 'span')} from ${r.agent_id} were not recognised: ${names(r.unclassified)}`);
  if (r.runs_without_steps > 0) out.push(`${plural(r.runs_without_steps, 'run')} had no recognised LLM or tool call`);
  if (r.runs_llm_without_tokens > 0) out.push(`${plural(r.runs_llm_without_tokens, 'run')} made LLM calls without token counts`);
  if (r.unnamed_tool_calls > 0) out.push(`${plural(r.unnamed_tool_calls, 'tool call')} had no tool name: ${names(r.unnamed_tools)}`);
  if (r.broken_parents > 0) out.push(`${plural(r.broken_parents, 'span')} named a parent span that never arrived`);
  if (r.step_root_runs > 0) out.push(`${plural(r.step_root_runs, 'run')} were a single LLM or tool call`);
  return out;
}

/** The panel, or null when everything was understood. */
export function ingestHealthPanel(r) {
  if (!r || !(r.runs_with_gaps > 0)) return null;
  const advice = Array.isArray(r.advice) ? r.advice : [];
  return h(
    'div',
    { class: 'panel ingest-health', role: 'status' },
    h('h2', { class: 'panel-title' }, 'Not understood'),
    h('p', { class: 'muted small' }, `${r.runs_with_gaps} of the last ${r.runs_checked} completed runs carried telemetry Dunetrace could not read.`),
    h(
      'ul',
      { class: 'ingest-findings' },
      ingestSentences(r).map((s) => h('li', { class: 'warn' }, s)),
    ),
    advice.length ? h('p', { class: 'small' }, h('strong', null, 'What to change')) : null,
    advice.length
      ? h(
          'ul',
          { class: 'ingest-advice' },
          advice.map((a) => h('li', null, a.message)),
        )
      : null,
  );
}
