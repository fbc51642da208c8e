/**
 * The string dictionary (src/storage/strings.ts) on each backend: recurring names are interned and bodies shrink by
 * them, a receiver that never saw a name reads it back through the table, one-off names stay literal, and the table
 * stops growing at its cap.
 */
import { describe, expect, it } from 'vitest';
import type { Executor, Queryable } from '../../src/storage/driver.js';
import { SqlStorage } from '../../src/storage/sql-storage.js';
import { encodeSpanBody } from '../../src/storage/span-rows.js';
import { StringDictionary } from '../../src/storage/strings.js';
import { batchOf, bySpanId, hex, llmSpan, newCustomer, newRunId, rootSpan, toolSpan } from './fixtures.js';
import { migratedDatabase } from './migrated-db.js';

export function stringDictionarySuite(name: string, open: () => Promise<Queryable>): void {
  describe(`String dictionary: ${name}`, () => {
    const db = migratedDatabase(open);

    const interned = async (values: string[]) =>
      (await db().query<{ value: string }>('SELECT value FROM strings WHERE value = ANY($1::text[])', [values])).rows.map((r) => r.value).sort();

    it('interns names that recur, keeps one-off names literal, and a receiver that never saw them reads them back', async () => {
      const writer = new SqlStorage(db());
      const customer = newCustomer();
      const runId = newRunId();
      const tag = hex(4);
      const [model, tool, service, oneOff] = [`model-${tag}`, `tool_${tag}`, `svc-${tag}`, `one-off ${tag}`];
      const root = rootSpan(runId, { service_name: service, name: oneOff });
      const spans = [root];
      for (let i = 0; i < 3; i++) {
        const llm = llmSpan(runId, root.span_id, i, { service_name: service });
        for (const e of llm.events) (e.payload as { model: string }).model = model;
        const t = toolSpan(runId, root.span_id, { service_name: service, name: `execute_tool ${tool}` });
        for (const e of t.events) if ('tool_name' in e.payload) (e.payload as { tool_name: string }).tool_name = tool;
        spans.push(llm, t);
      }
      await writer.writeSpans(batchOf(customer, spans));
      expect(await interned([model, tool, service, `execute_tool ${tool}`, oneOff])).toEqual([model, service, `execute_tool ${tool}`, tool].sort());

      // Stored bodies hold numbers for those names: smaller than the same spans encoded without the dictionary.
      const stored = await db().query<{ n: number | string }>(
        'SELECT sum(octet_length(s.body)) AS n FROM spans s JOIN runs r ON r.run_key = s.run_key WHERE r.customer_id = $1',
        [customer],
      );
      const literal = spans.reduce((n, s) => n + encodeSpanBody('support-bot', Date.now(), s).length, 0);
      const saved = literal - Number(stored.rows[0].n);
      // Each span carries the service name (≥ 11 bytes literal); each LLM span its model twice (once after a back-reference) …
      expect(saved).toBeGreaterThan(spans.length * 8);

      const reader = new SqlStorage(db()); // another receiver: its cache is empty
      const back = (await reader.loadRunSpans(customer, runId)).map((s) => s.span).sort((a, b) => bySpanId({ span: a }, { span: b }));
      expect(back).toEqual(JSON.parse(JSON.stringify([...spans].sort((a, b) => bySpanId({ span: a }, { span: b })))));
    });

    it('a name first seen in one batch is interned when a later batch repeats it', async () => {
      const storage = new SqlStorage(db());
      const customer = newCustomer();
      const name = `rare span ${hex(4)}`;
      const first = newRunId();
      await storage.writeSpans(batchOf(customer, [rootSpan(first, { name })]));
      expect(await interned([name])).toEqual([]);
      const second = newRunId();
      await storage.writeSpans(batchOf(customer, [rootSpan(second, { name })]));
      expect(await interned([name])).toEqual([name]);
      expect((await storage.loadRunSpans(customer, first))[0].span.name).toBe(name);
      expect((await new SqlStorage(db()).loadRunSpans(customer, second))[0].span.name).toBe(name);
    });

    it('names a TEXT column cannot hold (empty, NUL, a lone surrogate) recur without failing the write, and read back', async () => {
      const storage = new SqlStorage(db());
      const customer = newCustomer();
      for (const name of ['', `nul\u0000${hex(4)}`, `lone \ud800 ${hex(4)}`]) {
        const runs = [newRunId(), newRunId()];
        // The second batch repeats the name: the one that would intern it.
        for (const runId of runs) await storage.writeSpans(batchOf(customer, [rootSpan(runId, { name })]));
        // As UTF-8 stores it: a lone surrogate reads back as U+FFFD, as everywhere in a body.
        const stored = Buffer.from(name, 'utf8').toString('utf8');
        for (const runId of runs) expect((await new SqlStorage(db()).loadRunSpans(customer, runId))[0].span.name, JSON.stringify(name)).toBe(stored);
      }
    });

    it('stops interning at its cap, without asking the database again', async () => {
      const top = await db().query<{ top: number | null }>('SELECT max(id) AS top FROM strings');
      const cap = Number(top.rows[0].top ?? 0) + 2;
      const dict = new StringDictionary(cap);
      let queries = 0;
      const counting: Executor = { query: (sql, params) => (queries++, db().query(sql, params)), exec: (sql) => db().exec(sql) };
      const names = Array.from({ length: 4 }, () => `capped-${hex(4)}`);
      expect(await dict.intern(counting, [...names, ...names])).toBe(true);
      expect(names.filter((n) => dict.id(n) !== undefined)).toHaveLength(2);
      expect(await interned(names)).toHaveLength(2);
      const before = queries;
      const more = [`capped-${hex(4)}`, `capped-${hex(4)}`];
      expect(await dict.intern(counting, [...more, ...more])).toBe(false);
      expect(queries).toBe(before);
      expect(await interned(more)).toEqual([]);
    });
  });
}
