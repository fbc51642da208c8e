// The API's own JSON shapes (a type-only import: nothing of the receiver is loaded by the CLI at run time).
import type { ApiPage, ApiSignal } from '../receiver/api/serialize.js';
import { ApiClient, CliError, clientOptions, EXIT } from './http.js';
import { colorEnabled, createStyle, formatTime, pad, severityText, table, type Style } from './format.js';
import { CLIENT_OPTIONS, intFlag, parseFlags } from './options.js';

/** `dunetrace alerts`: recent failure signals as a table (or --json), or --follow the live stream. */

export const ALERTS_USAGE = `Usage: dunetrace alerts [--follow] [--agent A] [--severity S] [--since 1h] [--type T] [--include-shadow]
                        [--limit N] [--offset N] [--json] [--endpoint URL] [--api-key KEY]

Failure signals of your agents, newest first.
  --follow, -f      stream new signals as they are detected (with --since: the stored ones since then first)
  --agent A         only agent A
  --severity S      minimum severity: LOW, MEDIUM, HIGH (HIGH and CRITICAL) or CRITICAL
  --since T         an ISO-8601 time or a duration back from now: 30m, 1h, 7d
  --type T          failure type(s), comma-separated: TOOL_LOOP,RETRY_STORM
  --include-shadow  also shadow signals (stored, never alerted)
  --limit N         1–500, default 50; --offset N to page
  --json            one JSON document ({signals, page}); with --follow one signal per line (NDJSON)`;

interface SignalsDoc {
  signals: ApiSignal[];
  page: ApiPage;
}

const OPTIONS = {
  ...CLIENT_OPTIONS,
  follow: { type: 'boolean', short: 'f' },
  agent: { type: 'string' },
  severity: { type: 'string' },
  since: { type: 'string' },
  type: { type: 'string' },
  'include-shadow': { type: 'boolean' },
  limit: { type: 'string' },
  offset: { type: 'string' },
} as const;

const HEAD = ['DETECTED (UTC)', 'SEVERITY', 'TYPE', 'AGENT', 'RUN', 'STEP', 'TITLE'];

function cells(style: Style, s: ApiSignal): string[] {
  return [
    formatTime(s.detected_at),
    severityText(style, s.severity),
    s.shadow ? `${s.failure_type} ${style.dim('(shadow)')}` : s.failure_type,
    s.agent_id,
    style.dim(s.run_id),
    String(s.step_index),
    s.explanation?.title ?? '',
  ];
}

export async function alertsCommand(args: string[]): Promise<number> {
  const { values } = parseFlags(args, OPTIONS, 0);
  if (values.help) {
    console.log(ALERTS_USAGE);
    return EXIT.ok;
  }
  const client = new ApiClient(clientOptions(values));
  const style = createStyle(!values.json && colorEnabled());
  const filters = {
    agent: values.agent,
    min_severity: values.severity,
    since: values.since,
    failure_type: values.type,
    include_shadow: values['include-shadow'] ? true : undefined,
  };

  if (values.follow) {
    if (values.limit !== undefined || values.offset !== undefined) throw new CliError('--limit and --offset do not apply to --follow', EXIT.usage);
    return follow(client, filters, style, values.json === true);
  }

  const doc = await client.get<SignalsDoc>('/v1/signals', { ...filters, limit: intFlag('limit', values.limit), offset: intFlag('offset', values.offset) });
  if (values.json) {
    console.log(JSON.stringify(doc, null, 2));
    return EXIT.ok;
  }
  if (doc.signals.length === 0) {
    console.error(doc.page.total > 0 ? `no alerts at offset ${doc.page.offset} (${doc.page.total} in all)` : 'no alerts');
    return EXIT.ok;
  }
  const lines = table(
    style,
    HEAD,
    doc.signals.map((s) => cells(style, s)),
    ['left', 'left', 'left', 'left', 'left', 'right', 'left'],
  );
  console.log(lines.join('\n'));
  const { offset, total, has_more } = doc.page;
  console.error(
    style.dim(
      `${offset + 1}–${offset + doc.signals.length} of ${total} alerts${has_more ? ` (next page: --offset ${offset + doc.signals.length})` : ''}; details: dunetrace runs show RUN`,
    ),
  );
  return EXIT.ok;
}

/** Streams alerts until Ctrl-C (or SIGTERM): a fixed-width row per alert, or NDJSON. */
async function follow(client: ApiClient, filters: Record<string, string | boolean | undefined>, style: Style, json: boolean): Promise<number> {
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const widths = [19, 8, 23, 16, 32, 4];
  const row = (c: string[]) =>
    c
      .map((cell, i) => (i < widths.length ? pad(cell, widths[i], i === 5 ? 'right' : 'left') : cell))
      .join('  ')
      .trimEnd();
  let headerShown = false;
  try {
    await client.follow(
      '/v1/signals/stream',
      filters,
      {
        onConnected(reconnected) {
          console.error(style.dim(reconnected ? 'reconnected' : `following alerts from ${client.options.endpoint} (Ctrl-C to stop)`));
          if (!json && !headerShown) {
            console.log(row(HEAD.map((h) => style.bold(h))));
            headerShown = true;
          }
        },
        onEvent(data) {
          let s: ApiSignal;
          try {
            s = JSON.parse(data) as ApiSignal;
          } catch {
            return; // not ours
          }
          console.log(json ? JSON.stringify(s) : row(cells(style, s)));
        },
        onDisconnected(reason, retryMs) {
          console.error(style.yellow(`connection lost (${reason}); reconnecting in ${Math.round(retryMs / 1000)} s`));
        },
      },
      ac.signal,
    );
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
  }
  return EXIT.ok;
}
