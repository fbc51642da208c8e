import type { ApiPage, ApiRun, ApiRunDetail, ApiSignal } from '../receiver/api/serialize.js';
import { ApiClient, CliError, clientOptions, EXIT } from './http.js';
import { colorEnabled, createStyle, formatCount, formatDuration, formatTime, indent, severityText, statusText, table, type Style } from './format.js';
import { CLIENT_OPTIONS, intFlag, parseFlags } from './options.js';

/** `dunetrace runs list` and `dunetrace runs show RUN_ID`. */

export const RUNS_USAGE = `Usage: dunetrace runs list [--agent A] [--status S] [--has-signals | --no-signals] [--include-shadow]
                          [--limit N] [--offset N] [--json] [--endpoint URL] [--api-key KEY]
       dunetrace runs show RUN_ID [--json] [--endpoint URL] [--api-key KEY]

  runs list         runs, newest first (--agent: of one agent; --status open|completed|errored|stalled)
  runs show RUN_ID  the run's header, its step timeline (type, name/model, latency, tokens, ✓/✗) and each signal
                    with its explanation and suggested fixes
  --json            the API's JSON document instead of tables`;

type RunsDoc = { runs: ApiRun[]; page: ApiPage };
type RunDetail = ApiRunDetail;

const LIST_OPTIONS = {
  ...CLIENT_OPTIONS,
  agent: { type: 'string' },
  status: { type: 'string' },
  'has-signals': { type: 'boolean' },
  'no-signals': { type: 'boolean' },
  'include-shadow': { type: 'boolean' },
  limit: { type: 'string' },
  offset: { type: 'string' },
} as const;

export async function runsCommand(sub: string | undefined, args: string[]): Promise<number> {
  switch (sub) {
    case 'list':
      return list(args);
    case 'show':
      return show(args);
    case '--help':
    case '-h':
    case 'help':
      console.log(RUNS_USAGE);
      return EXIT.ok;
    default:
      throw new CliError(`runs needs a subcommand: list or show\n\n${RUNS_USAGE}`, EXIT.usage);
  }
}

async function list(args: string[]): Promise<number> {
  const { values } = parseFlags(args, LIST_OPTIONS, 0);
  if (values.help) {
    console.log(RUNS_USAGE);
    return EXIT.ok;
  }
  if (values['has-signals'] && values['no-signals']) throw new CliError('--has-signals and --no-signals exclude each other', EXIT.usage);
  const client = new ApiClient(clientOptions(values));
  const style = createStyle(!values.json && colorEnabled());
  const path = values.agent !== undefined ? `/v1/agents/${encodeURIComponent(values.agent)}/runs` : '/v1/runs';
  const doc = await client.get<RunsDoc>(path, {
    status: values.status,
    has_signals: values['has-signals'] ? true : values['no-signals'] ? false : undefined,
    include_shadow: values['include-shadow'] ? true : undefined,
    limit: intFlag('limit', values.limit),
    offset: intFlag('offset', values.offset),
  });
  if (values.json) {
    console.log(JSON.stringify(doc, null, 2));
    return EXIT.ok;
  }
  if (doc.runs.length === 0) {
    console.error(doc.page.total > 0 ? `no runs at offset ${doc.page.offset} (${doc.page.total} in all)` : 'no runs');
    return EXIT.ok;
  }
  const rows = doc.runs.map((r) => [
    r.run_id,
    r.agent_id,
    r.agent_version ?? '-',
    statusText(style, r.status),
    r.exit_reason ?? '-',
    formatTime(r.started_at),
    r.started_at !== null && r.ended_at !== null ? formatDuration((r.ended_at - r.started_at) * 1000) : '-',
    String(r.step_count),
    String(r.span_count),
    r.signal_count > 0 ? style.bold(style.red(String(r.signal_count))) : style.dim('0'),
  ]);
  const head = ['RUN', 'AGENT', 'VERSION', 'STATUS', 'EXIT', 'STARTED (UTC)', 'DURATION', 'STEPS', 'SPANS', 'SIGNALS'];
  console.log(table(style, head, rows, ['left', 'left', 'left', 'left', 'left', 'left', 'right', 'right', 'right', 'right']).join('\n'));
  const { offset, total, has_more } = doc.page;
  console.error(style.dim(`${offset + 1}–${offset + doc.runs.length} of ${total} runs${has_more ? ` (next page: --offset ${offset + doc.runs.length})` : ''}`));
  return EXIT.ok;
}

async function show(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, CLIENT_OPTIONS, 1);
  if (values.help) {
    console.log(RUNS_USAGE);
    return EXIT.ok;
  }
  const runId = positionals[0];
  if (!runId) throw new CliError('runs show needs a run id: dunetrace runs show RUN_ID (see dunetrace runs list)', EXIT.usage);
  const client = new ApiClient(clientOptions(values));
  let run: RunDetail;
  try {
    run = await client.get<RunDetail>(`/v1/runs/${encodeURIComponent(runId)}`);
  } catch (err) {
    if (err instanceof CliError && err.status === 404) throw new CliError(`no run ${runId} (for this API key)`);
    throw err;
  }
  if (values.json) {
    console.log(JSON.stringify(run, null, 2));
    return EXIT.ok;
  }
  console.log(renderRun(createStyle(colorEnabled()), run).join('\n'));
  return EXIT.ok;
}

/** The run for people: header, timeline, signals. */
export function renderRun(style: Style, run: RunDetail): string[] {
  const out: string[] = [];
  const duration = run.started_at !== null && run.ended_at !== null ? formatDuration((run.ended_at - run.started_at) * 1000) : '-';
  const label = (s: string) => style.dim(s.padEnd(9));
  out.push(`${style.bold('Run')} ${run.run_id}`);
  out.push(`  ${label('agent')}${run.agent_id}${run.agent_version ? ` ${style.dim(`(version ${run.agent_version})`)}` : ''}`);
  out.push(`  ${label('status')}${statusText(style, run.status)}${run.exit_reason ? ` (exit: ${run.exit_reason})` : ''}`);
  out.push(`  ${label('started')}${formatTime(run.started_at)} UTC   ${style.dim('duration')} ${duration}`);
  out.push(`  ${label('steps')}${run.step_count}   ${style.dim('spans')} ${run.span_count}   ${style.dim('signals')} ${run.signals.length}`);

  out.push('', style.bold('Timeline'));
  const rows = timeline(style, run);
  if (rows.length === 0) out.push(style.dim('  (no events)'));
  else {
    const head = ['STEP', 'TYPE', 'NAME', 'LATENCY', 'TOKENS (in/out)', 'OK', 'NOTE'];
    out.push(...table(style, head, rows, ['right', 'left', 'left', 'right', 'right', 'left', 'left']).map((l) => `  ${l}`));
  }

  out.push('', style.bold('Signals'));
  if (run.signals.length === 0) out.push(style.dim('  none'));
  for (const s of run.signals) {
    const flags = [`confidence ${s.confidence}`, s.detected_live ? 'found live' : 'found at completion', ...(s.shadow ? ['shadow: not alerted'] : [])];
    out.push(`  ${severityText(style, s.severity)} ${style.bold(s.failure_type)} at step ${s.step_index} ${style.dim(`(${flags.join(', ')})`)}`);
    out.push(`    ${s.explanation.title}`);
    out.push(indent(s.explanation.what, '    '));
    for (const fix of s.explanation.suggested_fixes) out.push(`    ${style.green('fix:')} ${fix.description}`);
    out.push('');
  }
  if (out[out.length - 1] === '') out.pop();
  return out;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);

/** One row per step: a called/responded pair of one span is one row; run start and end are rows too. */
function timeline(style: Style, run: RunDetail): string[][] {
  const ok = (v: boolean | null) => (v === null ? style.dim('…') : v ? style.green('✓') : style.red('✗'));
  const signalsAt = new Map<number, ApiSignal[]>();
  for (const s of run.signals) signalsAt.set(s.step_index, [...(signalsAt.get(s.step_index) ?? []), s]);
  const marked = new Set<number>();

  interface Row {
    step: number;
    type: string;
    name: string;
    latency: number | null;
    tokensIn: number | null;
    tokensOut: number | null;
    ok: boolean | null;
    notes: string[];
    late: boolean;
  }
  const rows: Row[] = [];
  const pairs = new Map<string, Row>();
  for (const e of run.events) {
    // Read field by field, each checked (str/num): the timeline shows what any event type carries.
    const p: Readonly<Record<string, unknown>> = Object.fromEntries(Object.entries(e.payload ?? {}));
    const [kind, phase] = e.event_type.split('.') as [string, string];
    if (kind === 'llm' || kind === 'tool' || kind === 'retrieval') {
      const key = `${e.span_id}/${e.step_index}/${kind}`;
      let row = pairs.get(key);
      if (!row) {
        row = { step: e.step_index, type: kind, name: '', latency: null, tokensIn: null, tokensOut: null, ok: null, notes: [], late: !!e.late };
        pairs.set(key, row);
        rows.push(row);
      }
      if (kind === 'llm') {
        row.name ||= str(p.model) ?? '';
        if (phase === 'called') row.tokensIn = num(p.prompt_tokens);
        else {
          row.latency = num(p.latency_ms);
          row.tokensOut = num(p.completion_tokens);
          row.ok = p.success !== false;
          const calls = Array.isArray(p.tool_calls) ? (p.tool_calls as { name?: string }[]).map((c) => c.name).filter(Boolean) : [];
          if (str(p.finish_reason)) row.notes.push(`finish ${str(p.finish_reason)}${calls.length ? ` → ${calls.join(', ')}` : ''}`);
          if (str(p.error_type)) row.notes.push(String(p.error_type));
        }
      } else if (kind === 'tool') {
        row.name ||= str(p.tool_name) ?? '';
        if (phase === 'responded') {
          row.latency = num(p.latency_ms);
          row.ok = p.success !== false;
          if (str(p.error_type)) row.notes.push(String(p.error_type));
        }
      } else {
        row.name ||= str(p.index_name) ?? '';
        if (phase === 'responded') {
          row.latency = num(p.latency_ms);
          row.ok = p.success !== false;
          if (num(p.result_count) !== null) row.notes.push(`${num(p.result_count)} results`);
        }
      }
    } else if (e.event_type === 'run.started') {
      rows.push({
        step: e.step_index,
        type: 'start',
        name: str(p.root_span_name) ?? str(p.agent_name) ?? '',
        latency: null,
        tokensIn: null,
        tokensOut: null,
        ok: null,
        notes: str(p.model) ? [`model ${str(p.model)}`] : [],
        late: false,
      });
    } else if (e.event_type === 'run.completed' || e.event_type === 'run.errored') {
      const errored = e.event_type === 'run.errored';
      rows.push({
        step: e.step_index,
        type: 'end',
        name: str(p.exit_reason) ?? '',
        latency: num(p.latency_ms),
        tokensIn: null,
        tokensOut: null,
        ok: !errored,
        notes: str(p.error_type) ? [String(p.error_type)] : [],
        late: false,
      });
    } else if (e.event_type === 'external.signal') {
      rows.push({
        step: e.step_index,
        type: 'signal',
        name: str(p.signal_name) ?? '',
        latency: null,
        tokensIn: null,
        tokensOut: null,
        ok: null,
        notes: str(p.source) ? [`from ${str(p.source)}`] : [],
        late: !!e.late,
      });
    }
  }
  return rows.map((r) => {
    const notes = [...r.notes];
    if (r.late) notes.push(style.dim('late'));
    // Each signal is marked once, on the first row of its step.
    if (!marked.has(r.step) && signalsAt.has(r.step)) {
      marked.add(r.step);
      for (const s of signalsAt.get(r.step)!) notes.push(severityText(style, s.severity, `⚠ ${s.failure_type}`));
    }
    const tokens = r.tokensIn === null && r.tokensOut === null ? '-' : `${formatCount(r.tokensIn)}/${formatCount(r.tokensOut)}`;
    return [
      String(r.step),
      r.type,
      r.name || '-',
      r.latency === null ? '-' : formatDuration(r.latency),
      tokens,
      r.type === 'start' || r.type === 'signal' ? ' ' : ok(r.ok),
      notes.join('; '),
    ];
  });
}
