import type { Migration } from './migrations.js';

/**
 * A span's `late` flag as TRUE or NULL: a NULL takes no room in the row (the null bitmap fits in the tuple header's
 * padding) where a FALSE took a byte plus three of alignment before the body — ~4 bytes of every span row, for a flag
 * almost every row has clear. Rows written before keep their FALSE; readers take anything but TRUE as not late.
 * Metadata only: no table is rewritten. (An upgrade from schema 3 applies it early: migration-v4.ts writes current rows.)
 */
export const LATE_TRUE_OR_NULL_SQL = 'ALTER TABLE spans ALTER COLUMN late DROP NOT NULL, ALTER COLUMN late DROP DEFAULT';

export function lateOnlyWhenTrueMigration(version: number): Migration {
  return {
    version,
    name: 'spans.late is TRUE or NULL',
    sql: LATE_TRUE_OR_NULL_SQL,
  };
}
