import type { Executor } from './driver.js';

/**
 * Time partitions (native declarative partitioning, the same on PGlite and a server). runs, spans and signals are
 * partitioned by RANGE (run_key), and a run_key carries the EXPIRY of its run: the high 32 bits are the expiry minute
 * (minutes since 2020-01-01 UTC: the run's creation + its customer's retention), the low 32 bits come from a
 * sequence. So a run and everything under it (spans with their events, signals) land in the partition of the minute
 * they expire, whatever each customer's retention, and retention is "drop every partition whose range has passed":
 * never a DELETE over a hot table. Partitions are created ahead of need, `partition_minutes` wide (storage_settings);
 * a partition whose width changed later is clamped to the gap left by its neighbours, so ranges never overlap.
 */

/** 2020-01-01T00:00:00Z, in seconds: minute 0 of run keys. */
export const KEY_EPOCH_S = 1_577_836_800;
/** Partitioned tables, all split on the same run_key ranges. */
export const PARTITIONED_TABLES = ['runs', 'spans', 'signals'] as const;

const SHIFT = 32n;

/** The expiry minute of a time (ms since epoch). */
export function minuteAt(ms: number): number {
  return Math.floor((ms / 1000 - KEY_EPOCH_S) / 60);
}

/** Time (ms since epoch) at which a minute starts. */
export function minuteStart(minute: number): number {
  return (minute * 60 + KEY_EPOCH_S) * 1000;
}

/** First run_key of a minute. */
export function firstKey(minute: number): bigint {
  return BigInt(minute) << SHIFT;
}

/** The expiry minute a run_key encodes. */
export function minuteOfKey(key: bigint | string | number): number {
  return Number(BigInt(key) >> SHIFT);
}

/** A partition: run keys of expiry minutes [start, end). */
export interface PartitionRange {
  start: number;
  end: number;
}

const NAME_RE = /^spans_p(\d+)_(\d+)$/;

export function partitionName(table: (typeof PARTITIONED_TABLES)[number], r: PartitionRange): string {
  return `${table}_p${r.start}_${r.end}`;
}

/** The partitions that exist (read from the spans partitions' names), oldest first. */
export async function listPartitions(ex: Executor): Promise<PartitionRange[]> {
  const r = await ex.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'spans'::regclass`,
  );
  const out: PartitionRange[] = [];
  for (const { name } of r.rows) {
    const m = NAME_RE.exec(name);
    if (m) out.push({ start: Number(m[1]), end: Number(m[2]) });
  }
  return out.sort((a, b) => a.start - b.start);
}

/** The partition covering a minute, if any. */
export function covering(parts: readonly PartitionRange[], minute: number): PartitionRange | undefined {
  return parts.find((p) => p.start <= minute && minute < p.end);
}

/**
 * Creates the partitions (of every partitioned table) covering `minute` when missing: the `width`-aligned range
 * around it, clamped to the gap between existing neighbours. Call under the partition lock (see SqlStorage).
 */
export async function ensurePartition(ex: Executor, minute: number, width: number, parts: PartitionRange[]): Promise<PartitionRange> {
  const have = covering(parts, minute);
  if (have) return have;
  let start = Math.floor(minute / width) * width;
  let end = start + width;
  for (const p of parts) {
    if (p.end <= minute && p.end > start) start = p.end;
    if (p.start > minute && p.start < end) end = p.start;
  }
  const range = { start, end };
  for (const table of PARTITIONED_TABLES) {
    await ex.exec(`CREATE TABLE IF NOT EXISTS ${partitionName(table, range)} PARTITION OF ${table} FOR VALUES FROM (${firstKey(start)}) TO (${firstKey(end)})`);
  }
  // Every run row is updated once at its close (more when its spans come in several exports). Half of each page left
  // free lets that new version land on the same page — a HOT update, no new entry in the four indexes (at 80, only a
  // quarter of the closes were HOT under the benchmark). The heap does not grow: the dead version fills the space.
  await ex.exec(`ALTER TABLE ${partitionName('runs', range)} SET (fillfactor = 50)`);
  // Span keys mostly arrive in ascending order (run keys come from a sequence, a batch is written in key order): the
  // primary key's pages that fill up at the right end are left full, not 90 % (~3 bytes a span).
  const pk = await ex.query<{ name: string }>(
    `SELECT indexrelid::regclass::text AS name FROM pg_index WHERE indrelid = '${partitionName('spans', range)}'::regclass AND indisprimary`,
  );
  for (const { name } of pk.rows) await ex.exec(`ALTER INDEX ${name} SET (fillfactor = 100)`);
  parts.push(range);
  parts.sort((a, b) => a.start - b.start);
  return range;
}

/** Drops one partition of every partitioned table (the data in it goes with it). */
export async function dropPartition(ex: Executor, range: PartitionRange): Promise<void> {
  for (const table of PARTITIONED_TABLES) await ex.exec(`DROP TABLE IF EXISTS ${partitionName(table, range)}`);
}
