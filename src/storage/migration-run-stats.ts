import type { Migration } from './migrations.js';

/**
 * Closed-run stats packed with the span body codec (codec.ts) instead of jsonb: every close writes a version of a
 * baseline ring row, so its size is paid per run (as dead versions until vacuum), and the jsonb repeated every key.
 * Rows written before keep their jsonb (read as before) until their slot is written again.
 */
export function packedRunStatsMigration(version: number): Migration {
  return {
    version,
    name: 'packed run stats',
    sql: `
ALTER TABLE run_stats ADD COLUMN packed BYTEA;
ALTER TABLE run_stats ALTER COLUMN stats DROP NOT NULL;
ALTER TABLE run_stats ADD CONSTRAINT run_stats_one_form CHECK ((stats IS NULL) <> (packed IS NULL));
`,
  };
}
