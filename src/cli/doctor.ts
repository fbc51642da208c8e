import type { AgentIngestHealth, AgentIngestSummary, NameCount } from '../model/ingest-health.js';
import type { ApiPage } from '../receiver/api/serialize.js';
import { colorEnabled, createStyle, type Style } from './format.js';
import { ApiClient, CliError, clientOptions, EXIT } from './http.js';
import { CLIENT_OPTIONS, parseFlags } from './options.js';

/**
 * `dunetrace doctor`: what the receiver accepted but did not understand (issue 10, item 3), per agent, and what to
 * change. Reads GET /v1/agents (each agent's summary) and GET /v1/agents/{id}/ingest-health for the agents with gaps.
 */

export const DOCTOR_USAGE = `Usage: dunetrace doctor [--agent A] [--json] [--endpoint URL] [--api-key KEY]

  What the receiver stored but did not understand in each agent's recent completed runs — spans it could not
  classify (by name and instrumentation scope), LLM calls without token counts, tools without names, broken parent
  links, runs that are one LLM or tool call — and what to change. Names and counts only, never content.
  --agent A   only this agent
  --json      the API's documents: { agents: [GET /v1/agents/{id}/ingest-health, …] }

  Exit codes: 0 everything understood (or no runs yet), 5 something is not understood (see the advice),
  1 error, 2 bad usage, 3 receiver unreachable, 4 API key refused.`;

/** Exit code when the report found something to change (distinct from errors, for scripts and CI). */
export const EXIT_NOT_UNDERSTOOD = 5;

const OPTIONS = { ...CLIENT_OPTIONS, agent: { type: 'string' } } as const;

type AgentsDoc = { agents: { agent_id: string; ingest_health: AgentIngestSummary }[]; page: ApiPage };

export async function doctorCommand(args: string[]): Promise<number> {
  const { values } = parseFlags(args, OPTIONS, 0);
  if (values.help) {
    console.log(DOCTOR_USAGE);
    return EXIT.ok;
  }
  const client = new ApiClient(clientOptions(values));
  const path = (agent: string) => `/v1/agents/${encodeURIComponent(agent)}/ingest-health`;

  let reports: AgentIngestHealth[];
  let clean: { agent_id: string; runs_checked: number }[] = [];
  if (values.agent !== undefined) {
    const one = await client.get<AgentIngestHealth>(path(values.agent)).catch((err: unknown) => {
      if (err instanceof CliError && err.status === 404) throw new CliError(`no runs of agent ${JSON.stringify(values.agent)} yet`, EXIT.error, 404);
      throw err;
    });
    reports = [one];
  } else {
    const doc = await client.get<AgentsDoc>('/v1/agents', { limit: 500 });
    const withGaps = doc.agents.filter((a) => a.ingest_health.runs_with_gaps > 0);
    clean = doc.agents.filter((a) => a.ingest_health.runs_with_gaps === 0).map((a) => ({ agent_id: a.agent_id, runs_checked: a.ingest_health.runs_checked }));
    reports = [];
    for (const a of withGaps) reports.push(await client.get<AgentIngestHealth>(path(a.agent_id)));
  }
  const findings = reports.filter((r) => r.runs_with_gaps > 0);

  if (values.json) {
    console.log(JSON.stringify({ agents: reports }, null, 2));
    return findings.length > 0 ? EXIT_NOT_UNDERSTOOD : EXIT.ok;
  }
  const style = createStyle(colorEnabled());
  for (const r of reports) console.log(formatReport(r, style));
  for (const c of clean) console.log(`${style.green('✓')} ${style.bold(c.agent_id)}: ${understood(c.runs_checked)}`);
  if (reports.length === 0 && clean.length === 0) console.error('no agents yet: nothing has been received');
  else if (findings.length === 0) console.error('everything received was understood');
  else
    console.error(
      `${findings.length} agent(s) send telemetry that is not fully understood: see the advice above (${reports[0].advice[0]?.docs ?? 'docs/support-matrix.md'})`,
    );
  return findings.length > 0 ? EXIT_NOT_UNDERSTOOD : EXIT.ok;
}

const understood = (runs: number) => (runs === 0 ? 'no completed run yet' : `all ${runs} recent completed run(s) understood`);

/** One agent: a header, one plain sentence per finding, then what to change. */
export function formatReport(r: AgentIngestHealth, style: Style): string {
  if (r.runs_with_gaps === 0) return `${style.green('✓')} ${style.bold(r.agent_id)}: ${understood(r.runs_checked)}`;
  const lines = [
    `${style.yellow('!')} ${style.bold(r.agent_id)}: ${r.runs_with_gaps} of its last ${r.runs_checked} completed run(s) were not fully understood`,
  ];
  for (const s of findingSentences(r)) lines.push(`  ${s}`);
  if (r.advice.length > 0) {
    lines.push('  what to change:');
    for (const a of r.advice) lines.push(`  ${style.cyan('→')} ${a.message}`);
  }
  return lines.join('\n');
}

/** The findings as sentences ("42 spans from vercel-ai-agent were not recognised: ai.foo (40), ai.bar (2)"). */
export function findingSentences(r: AgentIngestHealth): string[] {
  const out: string[] = [];
  if (r.unclassified_spans > 0) out.push(`${plural(r.unclassified_spans, 'span')} from ${r.agent_id} were not recognised: ${names(r.unclassified)}`);
  if (r.runs_without_steps > 0) out.push(`${plural(r.runs_without_steps, 'run')} had no recognised LLM or tool call`);
  if (r.runs_llm_without_tokens > 0) out.push(`${plural(r.runs_llm_without_tokens, 'run')} made LLM calls without token counts`);
  if (r.unnamed_tool_calls > 0) out.push(`${plural(r.unnamed_tool_calls, 'tool call')} had no tool name: ${names(r.unnamed_tools)}`);
  if (r.broken_parents > 0) out.push(`${plural(r.broken_parents, 'span')} named a parent span that never arrived`);
  if (r.step_root_runs > 0)
    out.push(`${plural(r.step_root_runs, 'run')} were a single LLM or tool call (${r.step_root_scopes.map((s) => s.scope || '(no scope)').join(', ')})`);
  return out;
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
/** `ai.foo (40), ai.bar (2) — scope ai`: the names, then the instrumentation scope(s) they came from. */
function names(list: NameCount[]): string {
  const scopes = [...new Set(list.map((n) => n.scope || '(none)'))];
  return `${list.map((n) => `${n.name} (${n.count})`).join(', ')} — scope${scopes.length === 1 ? '' : 's'} ${scopes.join(', ')}`;
}
