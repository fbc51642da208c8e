import type { Migration } from './migrations.js';

/**
 * The string dictionary (strings.ts): names that recur across span bodies, stored once. Ids come from a sequence
 * and never change; values are unique. Outside the time partitions (bodies of every partition refer to it) and
 * bounded by MAX_STRINGS instead of by retention. Kept in its own module so its version number is one line to change.
 */
export function stringDictionaryMigration(version: number): Migration {
  return {
    version,
    name: 'string dictionary for span bodies',
    sql: `
CREATE SEQUENCE string_id_seq;
CREATE TABLE strings (
  id     INTEGER PRIMARY KEY,
  value  TEXT NOT NULL UNIQUE CHECK (length(value) BETWEEN 1 AND 128)
);
`,
  };
}
