import type { ClaimedPair } from './claims.js';
import type { ChannelTarget } from './config.js';
import { floodKey } from './flood-guard.js';
import type { Delivery } from './outbox.js';
import type { StoredSignal } from './types.js';

/**
 * A unit of sending: one message to one channel, for one signal or for a flood-guard digest of several. `rows` are
 * the outbox rows its outcome is recorded on (none when the outbox could not record them); `attempts` were made before.
 */
export type Job =
  | { kind: 'single'; channel: ChannelTarget; rows: Delivery[]; signal: StoredSignal; attempts: number }
  | { kind: 'digest'; channel: ChannelTarget; rows: Delivery[]; signals: StoredSignal[]; attempts: number };

/** The (signal, channel) pairs a job holds claims on. */
export function jobPairs(job: Job): ClaimedPair[] {
  return job.kind === 'single' ? [{ signal_id: job.signal.id, channel: job.channel.name }] : job.rows;
}

export function rowIds(rows: readonly Delivery[]): number[] {
  return rows.map((r) => r.id);
}

/**
 * Jobs for outbox rows taken from the outbox with their signals: a row not folded into a digest is sent alone; digest
 * rows are sent as one digest per flood key, counted as many attempts as its most-tried row. Singles come first.
 */
export function jobsFromRows(loaded: readonly { row: Delivery; signal: StoredSignal; channel: ChannelTarget }[]): Job[] {
  const singles: Job[] = [];
  const digests = new Map<string, Extract<Job, { kind: 'digest' }>>();
  for (const { row, signal, channel } of loaded) {
    if (!row.digest) {
      singles.push({ kind: 'single', channel, rows: [row], signal, attempts: row.attempts });
      continue;
    }
    const key = floodKey(row.channel, signal);
    let d = digests.get(key);
    if (!d) digests.set(key, (d = { kind: 'digest', channel, rows: [], signals: [], attempts: 0 }));
    d.rows.push(row);
    d.signals.push(signal);
    d.attempts = Math.max(d.attempts, row.attempts);
  }
  return [...singles, ...digests.values()];
}
