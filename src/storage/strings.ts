import { unfitForPostgres } from '../model/index.js';
import { INTERN_MAX_CHARS, type StringIds, type StringValues } from './codec.js';
import type { Executor } from './driver.js';

/**
 * The database's string dictionary (table `strings`, migration-strings.ts): names that recur across spans (span,
 * service, model, tool, provider names, agent versions) are stored once and referred to by number from span bodies,
 * 2–3 bytes instead of 5–30 per occurrence (codec.ts, T_INTERNED).
 *
 * Ids are append only and never change, so a body decodes the same forever; an id is committed (its own autocommit
 * statement) before any body using it is written. Each process caches what it has seen; readers load unknown ids.
 * The table is bounded: once the highest id reaches MAX_STRINGS nothing more is interned (strings stay literal in
 * their bodies), so names of unbounded cardinality cannot grow it without end. A string is only interned once it
 * recurs (twice in a batch, or in a later batch than the one it was first seen in): one-off names stay literal.
 * Retention never drops entries (bodies in every partition may refer to them); the cap bounds that.
 */
export const MAX_STRINGS = 65_536;
/** Strings seen once, remembered to be interned when they come back; forgotten wholesale past this many. */
const SEEN_ONCE_KEPT = 10_000;

/**
 * $1 text[] strings, $2 the cap. Inserts those not there yet while ids stay ≤ the cap (ids only grow, so max(id) ≥
 * the row count), then returns the id of each one the table has.
 */
const INTERN_SQL = `
WITH ins AS (
  INSERT INTO strings (id, value)
  SELECT nextval('string_id_seq'), v FROM (SELECT DISTINCT v FROM unnest($1::text[]) AS v ORDER BY v) x
  WHERE NOT EXISTS (SELECT 1 FROM strings s WHERE s.value = x.v)
  LIMIT GREATEST($2::int - (SELECT COALESCE(max(id), 0) FROM strings), 0)
  ON CONFLICT (value) DO NOTHING
  RETURNING id, value
)
SELECT id, value FROM ins
UNION ALL
SELECT id, value FROM strings WHERE value = ANY($1::text[])`;

const LOAD_SQL = 'SELECT id, value FROM strings WHERE id = ANY($1::int4[])';

/**
 * A name the strings table can hold: 1–INTERN_MAX_CHARS characters of well-formed text without NUL (a TEXT column
 * refuses NUL and lone surrogates). Any other name stays literal in the bodies, where every string is valid.
 */
function internable(v: string): boolean {
  return v.length > 0 && v.length <= INTERN_MAX_CHARS && !unfitForPostgres(v);
}

export class StringDictionary implements StringIds, StringValues {
  constructor(private readonly maxStrings = MAX_STRINGS) {}
  private readonly ids = new Map<string, number>();
  private readonly values = new Map<number, string>();
  private readonly seenOnce = new Set<string>();
  /** Set when an intern call found the table at its cap: stop asking. */
  private full = false;

  id(value: string): number | undefined {
    return this.ids.get(value);
  }

  value(id: number): string | undefined {
    return this.values.get(id);
  }

  get size(): number {
    return this.ids.size;
  }

  private learn(id: number, value: string): void {
    this.ids.set(value, id);
    this.values.set(id, value);
  }

  /**
   * Of the strings a batch missed (every occurrence, repeats included), interns those that recur and returns true
   * when some got an id (the batch is then worth encoding again). Runs its own statement outside any transaction.
   */
  async intern(db: Executor, missed: readonly string[]): Promise<boolean> {
    if (this.full || missed.length === 0) return false;
    const once = new Set<string>();
    const wanted = new Set<string>();
    for (const v of missed) {
      if (this.ids.has(v) || !internable(v)) continue;
      if (once.has(v) || this.seenOnce.has(v)) wanted.add(v);
      else once.add(v);
    }
    if (this.seenOnce.size + once.size > SEEN_ONCE_KEPT) this.seenOnce.clear();
    for (const v of once) if (!wanted.has(v)) this.seenOnce.add(v);
    if (wanted.size === 0) return false;
    const list = [...wanted];
    const r = await db.query<{ id: number | string; value: string }>(INTERN_SQL, [list, this.maxStrings]);
    for (const row of r.rows) {
      this.learn(Number(row.id), row.value);
      this.seenOnce.delete(row.value);
    }
    // Some wanted strings got no id and were not there already: the table is at its cap (or another receiver is
    // interning them right now, in which case a later batch learns them; stopping early costs only bytes).
    if (r.rows.length < list.length) this.full = await this.atCap(db);
    return r.rows.length > 0;
  }

  private async atCap(db: Executor): Promise<boolean> {
    const r = await db.query<{ top: number | string | null }>('SELECT max(id) AS top FROM strings');
    return Number(r.rows[0]?.top ?? 0) >= this.maxStrings;
  }

  /** Loads the given ids (those a read found unknown); returns the ones the table does not have. */
  async load(db: Executor, ids: Iterable<number>): Promise<number[]> {
    const want = [...new Set(ids)].filter((id) => !this.values.has(id));
    if (want.length === 0) return [];
    const r = await db.query<{ id: number | string; value: string }>(LOAD_SQL, [want]);
    for (const row of r.rows) this.learn(Number(row.id), row.value);
    return want.filter((id) => !this.values.has(id));
  }
}
