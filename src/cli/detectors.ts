import type { Catalogue } from '../detectors/catalogue.js';
import { ApiClient, clientOptions, EXIT } from './http.js';
import { colorEnabled, createStyle, table, type Style } from './format.js';
import { CLIENT_OPTIONS, parseFlags } from './options.js';

/** `dunetrace detectors`: what GET /v1/detectors says, as a table. */

export const DETECTORS_USAGE = `Usage: dunetrace detectors [--agent A] [--json] [--endpoint URL] [--api-key KEY]

  every detector the receiver runs: live (alerts), shadow (stored, never alerted) or disabled as its
  detectors.yml sets it now, severities, whether it is also checked in flight, and the content facts it reads
  --agent A   the settings agent A gets (its detectors.yml sections applied)
  --json      the API's JSON document instead of a table`;

const OPTIONS = { ...CLIENT_OPTIONS, agent: { type: 'string' } } as const;

function modeText(style: Style, mode: string): string {
  if (mode === 'live') return style.green(mode);
  if (mode === 'shadow') return style.dim(mode);
  return style.red(mode);
}

export async function detectorsCommand(args: string[]): Promise<number> {
  const { values } = parseFlags(args, OPTIONS, 0);
  if (values.help) {
    console.log(DETECTORS_USAGE);
    return EXIT.ok;
  }
  const client = new ApiClient(clientOptions(values));
  const doc = await client.get<Catalogue>('/v1/detectors', { agent: values.agent });
  if (values.json) {
    console.log(JSON.stringify(doc, null, 2));
    return EXIT.ok;
  }
  const style = createStyle(colorEnabled());
  const rows = doc.detectors.map((d) => [
    d.failure_type,
    modeText(style, d.mode),
    d.severities.join('/'),
    d.in_flight ? 'yes' : '-',
    d.reads.length > 0 ? d.reads.join(', ') : style.dim('structure only'),
  ]);
  console.log(table(style, ['DETECTOR', 'MODE', 'SEVERITY', 'IN FLIGHT', 'READS'], rows).join('\n'));
  const { total, live, shadow, disabled } = doc.counts;
  const whose = doc.agent === null ? 'default settings' : `settings of ${doc.agent}${doc.sections.length ? ` (${doc.sections.join(', ')})` : ''}`;
  console.error(
    style.dim(`${total} detectors: ${live} live, ${shadow} shadow, ${disabled} disabled; ${whose}${doc.source === 'defaults' ? ', no detectors.yml' : ''}`),
  );
  return EXIT.ok;
}
