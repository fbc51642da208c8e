/**
 * The span row on each backend: `late` is TRUE for a late span and NULL otherwise (schema 10), through COPY and through
 * INSERT; a row written before (FALSE) still reads as not late.
 */
import { describe, expect, it } from 'vitest';
import type { Queryable } from '../../src/storage/driver.js';
import { SqlStorage } from '../../src/storage/sql-storage.js';
import { batchOf, closeOf, llmSpan, newCustomer, smallRun, withoutCopy } from './fixtures.js';
import { migratedDatabase } from './migrated-db.js';

export function spanRowSuite(name: string, open: () => Promise<Queryable>): void {
  describe(`Span rows: ${name}`, () => {
    const db = migratedDatabase(open);

    const flags = async (customer: string) =>
      (
        await db().query<{ span_key: string; late: boolean | null }>(
          `SELECT lpad(to_hex(s.span_key), 16, '0') AS span_key, s.late FROM spans s JOIN runs r ON r.run_key = s.run_key WHERE r.customer_id = $1`,
          [customer],
        )
      ).rows;

    it.each([
      ['COPY', (q: Queryable) => q],
      ['INSERT', withoutCopy],
    ])('stores late as TRUE or NULL, never FALSE (%s)', async (_, driver) => {
      const storage = new SqlStorage(driver(db()));
      const customer = newCustomer();
      const { runId, spans } = smallRun();
      await storage.writeSpans(batchOf(customer, spans));
      await storage.closeRun(closeOf(customer, runId));
      const lateSpan = llmSpan(runId, spans[0].span_id, 9);
      await storage.writeSpans(batchOf(customer, [lateSpan]));

      const rows = await flags(customer);
      expect(rows).toHaveLength(4);
      expect(
        rows
          .filter((r) => r.late === null)
          .map((r) => r.span_key)
          .sort(),
      ).toEqual(spans.map((s) => s.span_id).sort());
      expect(rows.filter((r) => r.late === true).map((r) => r.span_key)).toEqual([lateSpan.span_id]);
      const back = await storage.loadRunSpans(customer, runId);
      expect(back.filter((s) => s.late).map((s) => s.span.span_id)).toEqual([lateSpan.span_id]);
    });

    it('reads a row written before schema 10 (late = FALSE) as not late', async () => {
      const storage = new SqlStorage(db());
      const customer = newCustomer();
      const { runId, spans } = smallRun();
      await storage.writeSpans(batchOf(customer, spans));
      await db().query(`UPDATE spans SET late = FALSE WHERE run_key = (SELECT run_key FROM runs WHERE customer_id = $1)`, [customer]);
      expect((await flags(customer)).every((r) => r.late === false)).toBe(true);
      const back = await storage.loadRunSpans(customer, runId);
      expect(back.map((s) => s.late)).toEqual([false, false, false]);
    });
  });
}
