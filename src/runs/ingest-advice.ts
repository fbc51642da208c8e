import type { AgentIngestHealth, IngestAdvice, NameCount } from '../model/ingest-health.js';
import { SPLITTING_SCOPES } from './split-traces.js';

/**
 * What to change, from an agent's ingest-health report: one piece of advice per finding, most specific first. Pure,
 * and built from names and counts only. Every sentence says what is wrong and the exact change that fixes it.
 */

const MATRIX = 'docs/support-matrix.md';

/** Generic instrumentations whose spans are infrastructure, not agent steps: kept as structure, harmless. */
const INFRASTRUCTURE_SCOPE =
  /^@opentelemetry\/instrumentation-(?:http|undici|fetch|net|dns|fs|express|fastify|koa|hapi|connect|router|nestjs-core|pg|mysql2?|mongodb|mongoose|redis|ioredis|grpc|aws-sdk|generic-pool|knex|tedious|cassandra-driver|memcached|graphql|kafkajs|amqplib|pino|winston|bunyan|runtime-node)$/;

export function ingestAdvice(r: Omit<AgentIngestHealth, 'advice'>): IngestAdvice[] {
  const out: IngestAdvice[] = [];
  for (const [scope, names] of byScope(r.unclassified)) out.push(unclassifiedAdvice(scope, names));

  for (const root of r.step_root_scopes) {
    const split = SPLITTING_SCOPES.get(root.scope);
    out.push({
      code: 'step_root',
      scope: root.scope,
      message:
        split !== undefined
          ? `${root.count} run(s) are a single LLM or tool call each. ${split}.`
          : `${root.count} run(s) from ${scopeLabel(root.scope)} are a single LLM or tool call each. If one agent invocation makes ` +
            'several calls, wrap it in one span (tracer.startActiveSpan, the SDK’s dt.run(), or your framework’s workflow wrapper) so that it is one run.',
      docs: MATRIX,
    });
  }

  if (r.runs_without_steps > 0)
    out.push({
      code: 'no_steps',
      scope: null,
      message:
        `${r.runs_without_steps} run(s) had spans but no recognised LLM or tool call, so no detector can judge them. Vercel AI SDK: pass ` +
        'experimental_telemetry: { isEnabled: true } to every generateText / streamText call. Plain provider clients (openai, ' +
        '@anthropic-ai/sdk): register their OpenTelemetry instrumentation before the client is imported.',
      docs: MATRIX,
    });

  if (r.runs_llm_without_tokens > 0)
    out.push({
      code: 'llm_without_tokens',
      scope: null,
      message:
        `${r.runs_llm_without_tokens} run(s) made LLM calls without token counts, so cost and context-bloat detectors cannot judge them. ` +
        'Streaming OpenAI calls report usage only with stream_options: { include_usage: true }; otherwise make sure the ' +
        'instrumentation records gen_ai.usage.input_tokens / output_tokens.',
      docs: MATRIX,
    });

  for (const [scope, names] of byScope(r.unnamed_tools)) {
    const count = names.reduce((n, x) => n + x.count, 0);
    out.push({
      code: 'unnamed_tool',
      scope,
      message:
        scope === '@traceloop/instrumentation-langchain'
          ? `${count} tool call(s) were named after their class (${list(names)}), not the tool: OpenLLMetry's LangChain ` +
            'instrumentation does not record the tool name. Dunetrace tells them apart by their arguments; for the real names use ' +
            'OpenInference’s LangChain instrumentation or the dunetrace-otel/langchain callback handler.'
          : `${count} tool call(s) from ${scopeLabel(scope)} carry no tool name (${list(names)}): set gen_ai.tool.name on tool spans ` +
            '(or name them `execute_tool <tool>`), otherwise different tools look alike and TOOL_LOOP cannot be trusted.',
      docs: MATRIX,
    });
  }

  if (r.broken_parents > 0)
    out.push({
      code: 'broken_parents',
      scope: null,
      message:
        `${r.broken_parents} span(s) name a parent span that never arrived: the parent was exported elsewhere (another service ` +
        'or exporter), dropped by a sampler (use a parent-based sampler), or never ended (OpenLLMetry’s withTool does not end its ' +
        'span when the tool throws). Send the whole trace to this receiver.',
      docs: MATRIX,
    });
  return out;
}

function unclassifiedAdvice(scope: string, names: NameCount[]): IngestAdvice {
  const count = names.reduce((n, x) => n + x.count, 0);
  const what = `${count} span(s) from ${scopeLabel(scope)} were not recognised (${list(names)})`;
  let message: string;
  if (scope === 'ai' || names.every((n) => n.name.startsWith('ai.')))
    message =
      `${what}: Vercel AI SDK operations this version does not read (image, speech, transcription, or a newer SDK). ` +
      `They are stored but not judged; ${MATRIX} lists the SDK versions and operations understood.`;
  else if (INFRASTRUCTURE_SCOPE.test(scope))
    message = `${what}: infrastructure spans (HTTP, database, …), kept as structure and harmless. To save space, drop them before export.`;
  else
    message =
      `${what}: they are stored but no detector sees them. If this instrumentation covers your LLM or tool calls, check ${MATRIX} ` +
      'for the frameworks understood and the setup each needs; otherwise report the span names (names only, never content).';
  return { code: 'unclassified', scope: scope === '' ? null : scope, message, docs: MATRIX };
}

function byScope(names: readonly NameCount[]): Map<string, NameCount[]> {
  const m = new Map<string, NameCount[]>();
  for (const n of names) {
    let l = m.get(n.scope);
    if (!l) m.set(n.scope, (l = []));
    l.push(n);
  }
  return m;
}

const scopeLabel = (scope: string): string => (scope === '' ? 'an unnamed instrumentation scope' : scope);

/** `ai.foo (40), ai.bar (2)` — the first five. */
export function list(names: readonly NameCount[], max = 5): string {
  const shown = names.slice(0, max).map((n) => `${n.name} (${n.count})`);
  return names.length > max ? `${shown.join(', ')}, …` : shown.join(', ');
}
