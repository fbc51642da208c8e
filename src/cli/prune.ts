import { parseArgs } from 'node:util';
import type { PruneReport } from '../storage/types.js';
import { colorEnabled, createStyle, formatCount, formatTime, table } from './format.js';
import type { AdminCall } from './main.js';

type WireReport = Omit<PruneReport, 'at' | 'partitions'> & {
  at: string;
  partitions: (Omit<PruneReport['partitions'][number], 'expires_from' | 'expires_to'> & { expires_from: string; expires_to: string })[];
};

/**
 * `dunetrace prune [--dry-run] [--json]`: asks the local receiver (its admin route) to drop the time partitions whose
 * data is past retention, and prints what went (or, with --dry-run, what would go).
 */
export async function pruneCommand(args: string[], adminClient: () => Promise<AdminCall>): Promise<number> {
  const { values } = parseArgs({ args, options: { 'dry-run': { type: 'boolean' }, json: { type: 'boolean' } }, strict: true });
  const dryRun = values['dry-run'] === true;
  const admin = await adminClient();
  const report = (await admin('POST', '/admin/prune', { dry_run: dryRun })) as WireReport;
  if (values.json) {
    console.log(JSON.stringify(report, null, 2));
    return 0;
  }
  for (const line of formatPruneReport(report, colorEnabled())) console.log(line);
  return 0;
}

export function formatPruneReport(report: WireReport, color = false): string[] {
  const style = createStyle(color);
  const sum = (k: 'runs' | 'spans' | 'signals' | 'open_runs_kept') => report.partitions.reduce((n, p) => n + p[k], 0);
  const verb = report.dry_run ? 'would remove' : 'removed';
  const out: string[] = [];
  if (report.partitions.length === 0) {
    out.push(`nothing to prune at ${formatTime(report.at)} UTC: no partition has expired (${report.kept} kept).`);
    return out;
  }
  out.push(
    ...table(
      style,
      ['EXPIRED PARTITION (UTC)', 'RUNS', 'SPANS', 'SIGNALS', 'OPEN RUNS KEPT'],
      report.partitions.map((p) => [
        `${formatTime(p.expires_from)} – ${formatTime(p.expires_to)}`,
        formatCount(p.runs),
        formatCount(p.spans),
        formatCount(p.signals),
        formatCount(p.open_runs_kept),
      ]),
      ['left', 'right', 'right', 'right', 'right'],
    ),
  );
  out.push(
    '',
    `${report.dry_run ? 'dry run: ' : ''}${verb} ${report.partitions.length} partition(s): ${formatCount(sum('runs'))} runs, ${formatCount(sum('spans'))} spans (events included), ${formatCount(sum('signals'))} signals; ${formatCount(sum('open_runs_kept'))} open run(s) kept; ${report.kept} partition(s) not expired.`,
  );
  if (report.dry_run) out.push('nothing was removed: run `dunetrace prune` to remove it.');
  return out;
}
