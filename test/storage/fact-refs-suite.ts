/**
 * Digest sets stored by reference (src/storage/fact-refs.ts) on each backend: a conversation's sets shrink to
 * references and read back whole from another receiver; an exporter retry holding stored spans (another process's
 * version of them) next to new spans is written without in-batch references and reads back exactly.
 */
import { describe, expect, it } from 'vitest';
import type { MappedSpan } from '../../src/mapping/events.js';
import type { Queryable } from '../../src/storage/driver.js';
import { decodeBody } from '../../src/storage/codec.js';
import { SqlStorage } from '../../src/storage/sql-storage.js';
import { encodeSpanBody } from '../../src/storage/span-rows.js';
import { batchOf, bySpanId, conversation, digestSet, newCustomer, newRunId, withoutCopy } from './fixtures.js';
import { migratedDatabase } from './migrated-db.js';

const viaJson = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
const sorted = (spans: MappedSpan[]) => [...spans].sort((a, b) => bySpanId({ span: a }, { span: b }));

export function factRefsSuite(name: string, open: () => Promise<Queryable>): void {
  describe(`Digest sets by reference: ${name}`, () => {
    const db = migratedDatabase(open);

    const storedBodies = async (customer: string) =>
      (await db().query<{ body: Uint8Array }>('SELECT s.body FROM spans s JOIN runs r ON r.run_key = s.run_key WHERE r.customer_id = $1', [customer])).rows.map(
        (r) => r.body,
      );

    it('stores a conversation’s repeated sets as references, across batches, and another receiver reads them back whole', async () => {
      const writer = new SqlStorage(db());
      const customer = newCustomer();
      const runId = newRunId();
      const spans = conversation(runId, 8);
      await writer.writeSpans(batchOf(customer, spans.slice(0, 4)));
      await writer.writeSpans(batchOf(customer, spans.slice(4)));
      const bodies = await storedBodies(customer);
      const refs = bodies.filter((b) => JSON.stringify(decodeBody(b, { unknown: () => {} })).includes('"from"')).length;
      // Every call refers to its predecessor (the first to the run's input, the second batch's first to the first
      // batch's last); the root has nothing before it.
      expect(refs).toBe(spans.length - 1);
      const literal = spans.reduce((n, s) => n + encodeSpanBody('support-bot', Date.now(), s).length, 0);
      expect(bodies.reduce((n, b) => n + b.length, 0)).toBeLessThan(literal - 2_000);
      const back = (await new SqlStorage(db()).loadRunSpans(customer, runId)).map((s) => s.span);
      expect(sorted(back)).toEqual(viaJson(sorted(spans)));
    });

    it.each([
      ['COPY', (q: Queryable) => q],
      ['INSERT', withoutCopy],
    ])('writes an exporter retry that holds stored spans without references to them, and reads every span as stored (%s)', async (_, driver) => {
      const db2 = driver(db());
      const customer = newCustomer();
      const runId = newRunId();
      const spans = conversation(runId, 6);
      await new SqlStorage(db2).writeSpans(batchOf(customer, spans.slice(0, 4)));
      // Another receiver maps the same spans under its own run key (other digests), then gets a retry of spans 2–3
      // together with the new spans 4–6: its versions of 2–3 are not the stored ones, so nothing may refer to them.
      const remapped = spans.map((s) => {
        const copy = viaJson(s);
        for (const e of copy.events) {
          const p = e.payload as unknown as Record<string, { digests: string[] } | undefined>;
          for (const f of ['grounding', 'warrant'])
            if (p[f])
              p[f] = digestSet(
                p[f].digests.map((d) => d.split('').reverse().join('')),
                '0f0f0f0f',
              );
        }
        return copy;
      });
      const result = await new SqlStorage(db2).writeSpans(batchOf(customer, remapped.slice(2)));
      expect({ inserted: result.inserted, duplicates: result.duplicates }).toEqual({ inserted: 3, duplicates: 2 });
      const back = sorted((await new SqlStorage(db()).loadRunSpans(customer, runId)).map((s) => s.span));
      expect(back).toEqual(viaJson(sorted([...spans.slice(0, 4), ...remapped.slice(4)])));
      for (const s of back) for (const e of s.events) expect(JSON.stringify(e.payload)).not.toContain('"truncated":true');
    });
  });
}
