/**
 * EXPLAIN of every query the API and the run lifecycle send, on the Postgres server, over a schema holding a realistic
 * amount of data (ANALYZEd): shows each is served by an index. `tsx bench/plans.ts` prints Markdown; run.ts includes
 * it in the storage section.
 */
import { openPgQueryable, openPgStorage } from '../src/storage/pg.js';
import * as sql from '../src/storage/statements.js';
import { createHasher, mapSpan } from '../src/mapping/index.js';
import { decodeExport } from '../src/otlp/index.js';
import type { BatchSpan, RunSignal } from '../src/storage/types.js';
import { mixedTemplate, stamp } from './payloads.js';
import { createBenchSchema } from './pgserver.js';

export interface Plan {
  query: string;
  plan: string;
  /** Index names the plan uses. */
  indexes: string[];
  seq_scan: boolean;
}

export async function runPlans(opts: { quick?: boolean; log?: (m: string) => void } = {}): Promise<Plan[]> {
  const log = opts.log ?? (() => {});
  const schema = await createBenchSchema('_plans');
  const storage = openPgStorage({ databaseUrl: schema.url, max: 2 });
  const db = openPgQueryable({ databaseUrl: schema.url, max: 1 });
  try {
    await storage.migrate();
    const hasher = createHasher({});
    const t = mixedTemplate(1000, 'protobuf');
    const batches = opts.quick ? 20 : 100;
    log(`  plans: ${batches} × 1,000 spans for 20 customers, a signal per run, half the runs closed; ANALYZE`);
    let runId = '';
    for (let i = 1; i <= batches; i++) {
      const customer = `cust_${i % 20}`;
      const spans: BatchSpan[] = decodeExport(stamp(t, i, 0x91a7), 'protobuf').spans.map((s) => {
        const m = mapSpan(s, { hasher });
        return { run_id: m.trace_id, agent_id: `agent-${i % 7}`, span: m };
      });
      await storage.writeSpans({ customer_id: customer, spans });
      const runs = [...new Set(spans.map((s) => s.run_id))];
      runId = runs[0];
      for (const r of runs.slice(0, 50)) {
        await storage.closeRun({
          customer_id: customer,
          run_id: r,
          status: 'completed',
          exit_reason: 'completed',
          agent_id: `agent-${i % 7}`,
          agent_version: 'v1',
          started_at: 1,
          ended_at: 2,
          step_count: 10,
          stats: { steps: 10 },
        });
      }
      const signals: RunSignal[] = runs.map((r, k) => ({
        customer_id: customer,
        run_id: r,
        agent_id: `agent-${i % 7}`,
        agent_version: 'v1',
        failure_type: k % 2 ? 'TOOL_LOOP' : 'RETRY_STORM',
        severity: k % 3 ? 'HIGH' : 'CRITICAL',
        confidence: 0.9,
        step_index: 3,
        evidence: {},
        shadow: false,
        detected_live: false,
      }));
      await storage.saveSignals(signals);
    }
    await db.exec('ANALYZE');
    const c = 'cust_1';
    const runs = sql.listRunsStatements(c, { agentId: 'agent-1', hasSignals: true });
    const allRuns = sql.listRunsStatements(c, { status: 'completed' });
    const sigs = sql.listSignalsStatements(c, { severities: ['HIGH', 'CRITICAL'], since: new Date(Date.now() - 3_600_000) });
    const sigsAgent = sql.listSignalsStatements(c, { agentId: 'agent-1' });
    const sigsRun = sql.listSignalsStatements(c, { runId });
    const queries: [string, string, unknown[]][] = [
      ['GET /v1/agents (listAgents)', sql.LIST_AGENTS_SQL, [c, 50, 0, null]],
      ['GET /v1/runs?agent=…&has_signals (count)', runs.countSql, runs.params],
      ['GET /v1/runs?agent=…&has_signals (page)', runs.page(50, 0).sql, runs.page(50, 0).params],
      ['GET /v1/runs?status=completed (page)', allRuns.page(50, 0).sql, allRuns.page(50, 0).params],
      ['GET /v1/signals?severity=HIGH&since=1h (page)', sigs.page(50, 0).sql, sigs.page(50, 0).params],
      ['GET /v1/agents/{id}/signals (page)', sigsAgent.page(50, 0).sql, sigsAgent.page(50, 0).params],
      ['GET /v1/signals?run_id=… (page)', sigsRun.page(50, 0).sql, sigsRun.page(50, 0).params],
      ['GET /v1/runs/{id} (getRun)', sql.GET_RUN_SQL, [c, runId]],
      ['GET /v1/runs/{id} (loadRunSpans)', sql.LOAD_RUN_SPANS_SQL, [c, runId]],
      ['GET /v1/runs/{id} (listRunSignals)', sql.LIST_RUN_SIGNALS_SQL, [c, runId]],
      ['alert delivery (getSignalForDelivery)', sql.GET_SIGNAL_SQL, [1]],
      ['baseline (listRecentRunStats)', sql.RECENT_RUN_STATS_SQL, [c, 'agent-1', 'v1', 50]],
      ['restart recovery (listOpenRuns)', sql.LIST_OPEN_RUNS_SQL, []],
    ];
    const out: Plan[] = [];
    for (const [query, text, params] of queries) {
      // A generic plan would hide partition pruning; EXPLAIN with the values, as the server plans them.
      const r = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (COSTS OFF) ${inline(text, params)}`);
      const plan = r.rows.map((x) => x['QUERY PLAN']).join('\n');
      out.push({
        query,
        plan,
        indexes: [...new Set([...plan.matchAll(/(?:Index Scan|Index Only Scan) (?:Backward )?(?:using|on) (\w+)/g)].map((m) => m[1]))],
        seq_scan: /Seq Scan/.test(plan),
      });
    }
    return out;
  } finally {
    await db.close();
    await storage.close();
    await schema.drop();
  }
}

/** Parameters written into the SQL as literals (EXPLAIN of a parameterised statement needs PREPARE otherwise). */
function inline(text: string, params: unknown[]): string {
  return text.replace(/\$(\d+)/g, (_, n: string) => {
    const v = params[Number(n) - 1];
    if (v === null || v === undefined) return 'NULL';
    if (typeof v === 'number') return String(v);
    if (Array.isArray(v)) return `ARRAY[${v.map((x) => `'${String(x).replace(/'/g, "''")}'`).join(',')}]`;
    const text = v instanceof Date ? v.toISOString() : typeof v === 'string' ? v : JSON.stringify(v);
    return `'${text.replace(/'/g, "''")}'`;
  });
}

export function plansMarkdown(plans: Plan[]): string[] {
  const s: string[] = [];
  for (const p of plans) {
    s.push(
      `**${p.query}** — ${p.indexes.length ? `indexes: ${p.indexes.join(', ')}` : 'no index'}${p.seq_scan ? ' (has a Seq Scan)' : ''}`,
      '',
      '```',
      p.plan,
      '```',
      '',
    );
  }
  return s;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const plans = await runPlans({ quick: process.argv.includes('--quick'), log: (m) => process.stderr.write(`${m}\n`) });
  console.log(plansMarkdown(plans).join('\n'));
}
