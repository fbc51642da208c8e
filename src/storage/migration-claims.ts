import type { Migration } from './migrations.js';

/**
 * Completion claims move from runs to open_runs: a claim is written once per run just before it closes, and on the
 * wide runs row every write is a whole new row version (~200 bytes a run until vacuum); on open_runs it is a few
 * bytes, and the close deletes that row anyway.
 */
export function claimsOnOpenRunsMigration(version: number): Migration {
  return {
    version,
    name: 'completion claims on open_runs',
    sql: `
ALTER TABLE open_runs ADD COLUMN claimed_by TEXT;
ALTER TABLE open_runs ADD COLUMN claimed_until BIGINT;
UPDATE open_runs o SET claimed_by = r.claimed_by, claimed_until = r.claimed_until
FROM runs r WHERE r.run_key = o.run_key AND r.claimed_by IS NOT NULL;
ALTER TABLE runs DROP COLUMN claimed_by;
ALTER TABLE runs DROP COLUMN claimed_until;
`,
  };
}
