import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentSignalsQuery, agentsQuery, allRunsQuery, runsQuery, signalsQuery, streamQuery, detectorsQuery } from '../../src/receiver/api/params.js';
import type { StoredSignal } from '../../src/storage/types.js';
import type { ReceiverDeps } from '../../src/receiver/app.js';
import { loopingRun, newTraceId } from '../helpers/scenarios.js';
import { inProcessReceiver, waitForClosedRun, type InProcess } from '../helpers/receiver.js';
import { createKey } from '../../src/receiver/admin.js';
import {
  emptyResponseRun,
  getJson,
  healthyRun,
  hoursAgo,
  postTrace,
  randomRunId,
  signal,
  UNKNOWN_SPAN_CANARY,
  unknownSpansRun,
  unwrappedLangchainCall,
} from './helpers.js';

/**
 * The REST API against a real receiver (its routes through inject(), real detectors) on a given storage backend (api.test.ts:
 * embedded PGlite; postgres.test.ts: a Postgres server). Signals come from detector runs (TOOL_LOOP, EMPTY_LLM_RESPONSE…) and,
 * for the filter matrix, from storage.saveSignals with chosen severities, times and shadow flags.
 */

const SIGNAL_KEYS = [
  'id',
  'run_id',
  'agent_id',
  'agent_version',
  'failure_type',
  'severity',
  'confidence',
  'step_index',
  'evidence',
  'shadow',
  'detected_live',
  'detected_at',
  'explanation',
].sort();
const RUN_KEYS = [
  'run_id',
  'agent_id',
  'agent_version',
  'status',
  'exit_reason',
  'started_at',
  'ended_at',
  'step_count',
  'span_count',
  'signal_count',
  'has_signals',
].sort();
const AGENT_KEYS = ['agent_id', 'last_seen', 'run_count', 'signal_count', 'critical_count', 'high_count', 'failure_types', 'sparkline', 'ingest_health'].sort();

/** Every endpoint, filter and edge, against one receiver whose storage `deps` provides. */
export function apiSuite(backend: string, deps: () => Promise<ReceiverDeps> = async () => ({})): void {
  describe(`REST API (${backend})`, () => {
    let r: InProcess;
    const loopRun = newTraceId();
    const emptyRun = randomRunId();
    const healthy = [randomRunId(), randomRunId(), randomRunId()];
    let inserted: StoredSignal[];
    const get = (path: string) => getJson(r.fetch, path);

    beforeAll(async () => {
      r = await inProcessReceiver({}, await deps());
      await postTrace(r.fetch, loopingRun(loopRun).all);
      await postTrace(r.fetch, emptyResponseRun(emptyRun));
      for (const id of healthy) await postTrace(r.fetch, healthyRun(id));
      for (const id of [loopRun, emptyRun, ...healthy]) await waitForClosedRun(r.fetch, id);
      const storage = r.receiver.ctx.storage.get();
      inserted = await storage.saveSignals([
        signal({ agent_id: 'filter-agent', failure_type: 'TOOL_LOOP', severity: 'CRITICAL', detected_at: hoursAgo(0.5) }),
        signal({ agent_id: 'filter-agent', failure_type: 'RETRY_STORM', severity: 'HIGH', detected_at: hoursAgo(5.5) }),
        signal({ agent_id: 'filter-agent', failure_type: 'TOOL_LOOP', severity: 'MEDIUM', detected_at: hoursAgo(30) }),
        signal({ agent_id: 'filter-agent', failure_type: 'CONTEXT_BLOAT', severity: 'LOW', detected_at: hoursAgo(2.5) }),
        signal({ agent_id: 'filter-agent', failure_type: 'SLOW_STEP', severity: 'CRITICAL', detected_at: hoursAgo(1.5), shadow: true }),
        // A shadow signal on a healthy run: invisible to counts unless include_shadow=true.
        signal({ agent_id: 'healthy-agent', run_id: healthy[0], failure_type: 'SLOW_STEP', severity: 'LOW', shadow: true }),
      ]);
      expect(inserted).toHaveLength(6);
    });
    afterAll(async () => r?.close());

    describe('GET /v1/agents', () => {
      it('aggregates runs and non-shadow signals per agent, with a 24-hour sparkline (oldest hour first)', async () => {
        const { status, body } = await get('/v1/agents');
        expect(status).toBe(200);
        expect(Object.keys(body).sort()).toEqual(['agents', 'page']);
        expect(body.page).toEqual({ total: 4, offset: 0, limit: 50, has_more: false });
        for (const a of body.agents) {
          expect(Object.keys(a).sort()).toEqual(AGENT_KEYS);
          expect(a.sparkline).toHaveLength(24);
        }
        const byId = Object.fromEntries(body.agents.map((a: any) => [a.agent_id, a]));
        expect(byId['looping-agent']).toMatchObject({ run_count: 1, signal_count: 1, critical_count: 0, high_count: 1, failure_types: { TOOL_LOOP: 1 } });
        expect(byId['looping-agent'].sparkline.slice(0, 23).every((n: number) => n === 0)).toBe(true);
        expect(byId['looping-agent'].sparkline[23]).toBe(1);
        expect(byId['empty-agent']).toMatchObject({ run_count: 1, failure_types: expect.objectContaining({ EMPTY_LLM_RESPONSE: 1 }) });
        // The shadow signal on a healthy run is not counted.
        expect(byId['healthy-agent']).toMatchObject({ run_count: 3, signal_count: 0, critical_count: 0, high_count: 0, failure_types: {} });
        expect(byId['healthy-agent'].sparkline).toEqual(new Array(24).fill(0));
        // Signals without runs still make an agent; the CRITICAL shadow SLOW_STEP 1.5 h ago is excluded everywhere.
        const f = byId['filter-agent'];
        expect(f).toMatchObject({
          run_count: 0,
          signal_count: 4,
          critical_count: 1,
          high_count: 1,
          failure_types: { TOOL_LOOP: 2, RETRY_STORM: 1, CONTEXT_BLOAT: 1 },
        });
        const expected = new Array(24).fill(0);
        expected[23] = 1; // 0.5 h ago: the last hour
        expected[21] = 1; // 2.5 h ago
        expected[18] = 1; // 5.5 h ago; 30 h ago is outside the window
        expect(f.sparkline).toEqual(expected);
        expect(new Date(f.last_seen).getTime()).toBe(new Date(inserted[0].detected_at).getTime());
      });

      it('most recently seen first, paged with limit/offset', async () => {
        const all = (await get('/v1/agents')).body.agents as any[];
        const seen = all.map((a) => new Date(a.last_seen).getTime());
        expect([...seen].sort((a, b) => b - a)).toEqual(seen);
        expect(all[all.length - 1].agent_id).toBe('filter-agent');

        const p1 = (await get('/v1/agents?limit=3')).body;
        expect(p1.agents.map((a: any) => a.agent_id)).toEqual(all.slice(0, 3).map((a) => a.agent_id));
        expect(p1.page).toEqual({ total: 4, offset: 0, limit: 3, has_more: true });
        const p2 = (await get('/v1/agents?limit=3&offset=3')).body;
        expect(p2.agents.map((a: any) => a.agent_id)).toEqual(['filter-agent']);
        expect(p2.page).toEqual({ total: 4, offset: 3, limit: 3, has_more: false });
        const past = (await get('/v1/agents?offset=10')).body;
        expect(past).toEqual({ agents: [], page: { total: 4, offset: 10, limit: 50, has_more: false } });
      });
    });

    describe('GET /v1/agents/{agent_id}/runs and GET /v1/runs', () => {
      it("lists an agent's runs newest first, with exactly the documented fields", async () => {
        const { status, body } = await get('/v1/agents/healthy-agent/runs');
        expect(status).toBe(200);
        expect(body.page).toEqual({ total: 3, offset: 0, limit: 50, has_more: false });
        expect(body.runs.map((x: any) => x.run_id)).toEqual([...healthy].reverse());
        for (const run of body.runs) expect(Object.keys(run).sort()).toEqual(RUN_KEYS);
        expect(body.runs[0]).toMatchObject({
          agent_id: 'healthy-agent',
          status: 'completed',
          exit_reason: 'final_answer',
          step_count: 1,
          span_count: 2,
          signal_count: 0,
          has_signals: false,
        });
        expect(typeof body.runs[0].agent_version).toBe('string');
        expect(body.runs[0].ended_at - body.runs[0].started_at).toBeCloseTo(0.4, 3);

        const loop = (await get('/v1/agents/looping-agent/runs')).body.runs;
        expect(loop).toEqual([expect.objectContaining({ run_id: loopRun, signal_count: 1, has_signals: true, step_count: 5, span_count: 6 })]);
      });

      it('filters by has_signals (shadow signals count only with include_shadow) and status', async () => {
        const ids = async (q: string) => ((await get(`/v1/runs?${q}`)).body.runs as any[]).map((x) => x.run_id).sort();
        expect(await ids('has_signals=true')).toEqual([loopRun, emptyRun].sort());
        expect(await ids('has_signals=false')).toEqual([...healthy].sort());
        expect(await ids('has_signals=true&include_shadow=true')).toEqual([loopRun, emptyRun, healthy[0]].sort());
        const shadowed = (await get('/v1/agents/healthy-agent/runs?include_shadow=true')).body.runs.find((x: any) => x.run_id === healthy[0]);
        expect(shadowed).toMatchObject({ signal_count: 1, has_signals: true });
        expect(await ids('status=completed')).toHaveLength(5);
        expect(await ids('status=OPEN')).toEqual([]);
        expect(await ids('status=stalled&has_signals=true')).toEqual([]);
        expect((await get('/v1/agents/healthy-agent/runs?has_signals=1')).body.runs).toEqual([]);
        expect((await get('/v1/agents/healthy-agent/runs?has_signals=false')).body.page.total).toBe(3);
      });

      it('GET /v1/runs lists runs across agents, or of one with agent=', async () => {
        const all = (await get('/v1/runs')).body;
        expect(all.page.total).toBe(5);
        expect(all.runs[0].run_id).toBe(healthy[2]); // the newest
        expect(all.runs[all.runs.length - 1].run_id).toBe(loopRun); // the oldest
        const one = (await get('/v1/runs?agent=empty-agent')).body;
        expect(one.runs.map((x: any) => x.run_id)).toEqual([emptyRun]);
        expect(one.runs[0]).toMatchObject({ signal_count: 2, has_signals: true });
      });

      it('pages: limit, offset, has_more, total; past the end is an empty page', async () => {
        const p1 = (await get('/v1/agents/healthy-agent/runs?limit=2')).body;
        expect(p1.runs.map((x: any) => x.run_id)).toEqual([healthy[2], healthy[1]]);
        expect(p1.page).toEqual({ total: 3, offset: 0, limit: 2, has_more: true });
        const p2 = (await get('/v1/agents/healthy-agent/runs?limit=2&offset=2')).body;
        expect(p2.runs.map((x: any) => x.run_id)).toEqual([healthy[0]]);
        expect(p2.page).toEqual({ total: 3, offset: 2, limit: 2, has_more: false });
        for (const offset of [3, 1000]) {
          const past = (await get(`/v1/agents/healthy-agent/runs?offset=${offset}`)).body;
          expect(past).toEqual({ runs: [], page: { total: 3, offset, limit: 50, has_more: false } });
        }
        expect((await get('/v1/runs?limit=500')).body.page).toEqual({ total: 5, offset: 0, limit: 500, has_more: false });
        expect((await get('/v1/runs?limit=1')).body.page).toEqual({ total: 5, offset: 0, limit: 1, has_more: true });
      });

      it('an unknown agent has no runs (200, empty)', async () => {
        expect((await get('/v1/agents/nobody/runs')).body).toEqual({ runs: [], page: { total: 0, offset: 0, limit: 50, has_more: false } });
      });
    });

    describe('GET /v1/runs/{run_id}', () => {
      it('keeps its shape: events, and signals with explanations', async () => {
        const { status, body } = await get(`/v1/runs/${loopRun}`);
        expect(status).toBe(200);
        expect(body).toMatchObject({ run_id: loopRun, agent_id: 'looping-agent', status: 'completed', step_count: 5, span_count: 6 });
        expect(body.events.filter((e: any) => e.event_type === 'tool.called')).toHaveLength(5);
        expect(body.signals).toEqual([
          expect.objectContaining({
            failure_type: 'TOOL_LOOP',
            severity: 'HIGH',
            explanation: expect.objectContaining({ title: expect.stringMatching(/^Tool loop: search/) }),
          }),
        ]);
        expect((await get(`/v1/runs/${randomRunId()}`)).status).toBe(404);
        expect((await get('/v1/runs/not-a-run')).status).toBe(404); // any string is an SDK run id
        expect((await get(`/v1/runs/${'x'.repeat(513)}`)).status).toBe(400);
      });
    });

    describe('signals: GET /v1/agents/{agent_id}/signals and GET /v1/signals', () => {
      const count = async (path: string) => {
        const { status, body } = await get(path);
        expect(status, JSON.stringify(body)).toBe(200);
        expect(body.signals).toHaveLength(Math.min(body.page.total, body.page.limit));
        return body.page.total as number;
      };

      it('a detector-found TOOL_LOOP, with every documented field and its explanation', async () => {
        const { body } = await get('/v1/agents/looping-agent/signals');
        expect(body.page).toEqual({ total: 1, offset: 0, limit: 50, has_more: false });
        const s = body.signals[0];
        expect(Object.keys(s).sort()).toEqual(SIGNAL_KEYS);
        expect(s).toMatchObject({
          run_id: loopRun,
          agent_id: 'looping-agent',
          failure_type: 'TOOL_LOOP',
          severity: 'HIGH',
          shadow: false,
          evidence: expect.objectContaining({ tool: 'search' }),
        });
        expect(typeof s.id).toBe('number');
        expect(typeof s.detected_live).toBe('boolean');
        expect(new Date(s.detected_at).toISOString()).toBe(s.detected_at);
        expect(Object.keys(s.explanation).sort()).toEqual(['evidence_summary', 'suggested_fixes', 'title', 'what', 'why_it_matters']);
        expect(s.explanation.suggested_fixes.length).toBeGreaterThan(0);
      });

      it('newest first; shadow signals only with include_shadow=true', async () => {
        const { body } = await get('/v1/agents/filter-agent/signals');
        expect(body.signals.map((s: any) => s.id)).toEqual([inserted[0], inserted[3], inserted[1], inserted[2]].map((s) => s.id));
        const withShadow = (await get('/v1/agents/filter-agent/signals?include_shadow=true')).body;
        expect(withShadow.signals.map((s: any) => s.id)).toEqual([inserted[0], inserted[4], inserted[3], inserted[1], inserted[2]].map((s) => s.id));
        expect(withShadow.signals[1]).toMatchObject({ shadow: true, failure_type: 'SLOW_STEP' });
      });

      it('min_severity is a minimum: HIGH means HIGH and CRITICAL', async () => {
        expect(await count('/v1/agents/filter-agent/signals?min_severity=CRITICAL')).toBe(1);
        const high = (await get('/v1/agents/filter-agent/signals?min_severity=HIGH')).body.signals;
        expect(high.map((s: any) => s.severity)).toEqual(['CRITICAL', 'HIGH']);
        expect(await count('/v1/agents/filter-agent/signals?min_severity=medium')).toBe(3);
        expect(await count('/v1/agents/filter-agent/signals?min_severity=LOW')).toBe(4);
        expect(await count('/v1/agents/filter-agent/signals?min_severity=CRITICAL&include_shadow=true')).toBe(2);
      });

      it('severity is exact, as the original Dunetrace API filters; with min_severity both must hold', async () => {
        const high = (await get('/v1/agents/filter-agent/signals?severity=HIGH')).body.signals;
        expect(high.map((s: any) => s.severity)).toEqual(['HIGH']);
        expect(await count('/v1/agents/filter-agent/signals?severity=medium')).toBe(1);
        expect(await count('/v1/agents/filter-agent/signals?severity=LOW')).toBe(1);
        expect(await count('/v1/agents/filter-agent/signals?severity=CRITICAL')).toBe(1);
        expect(await count('/v1/agents/filter-agent/signals?severity=HIGH&min_severity=HIGH')).toBe(1);
        expect(await count('/v1/agents/filter-agent/signals?severity=LOW&min_severity=HIGH')).toBe(0);
      });

      it('failure_type: one, or several comma-separated', async () => {
        expect(await count('/v1/agents/filter-agent/signals?failure_type=TOOL_LOOP')).toBe(2);
        expect(await count('/v1/agents/filter-agent/signals?failure_type=tool_loop,RETRY_STORM')).toBe(3);
        expect(await count('/v1/agents/filter-agent/signals?failure_type=EMPTY_LLM_RESPONSE')).toBe(0);
      });

      it('since: a duration back from now or an ISO-8601 time', async () => {
        expect(await count('/v1/agents/filter-agent/signals?since=1h')).toBe(1);
        expect(await count('/v1/agents/filter-agent/signals?since=90m')).toBe(1);
        expect(await count('/v1/agents/filter-agent/signals?since=3h')).toBe(2);
        expect(await count(`/v1/agents/filter-agent/signals?since=${encodeURIComponent(hoursAgo(6).toISOString())}`)).toBe(3);
        expect(await count('/v1/agents/filter-agent/signals?since=7d')).toBe(4);
        expect(await count('/v1/agents/filter-agent/signals?since=2d&min_severity=HIGH&failure_type=RETRY_STORM')).toBe(1);
        expect(await count('/v1/agents/filter-agent/signals?since=2999-01-01')).toBe(0);
      });

      it('GET /v1/signals: across agents, or by agent / run', async () => {
        expect(await count('/v1/signals')).toBe(7); // TOOL_LOOP + 2 on the empty run + 4 inserted
        expect(await count('/v1/signals?include_shadow=true')).toBe(9);
        expect(await count('/v1/signals?agent=filter-agent')).toBe(4);
        expect(await count(`/v1/signals?run_id=${emptyRun}`)).toBe(2);
        expect(await count('/v1/signals?failure_type=EMPTY_LLM_RESPONSE')).toBe(1);
        expect(await count('/v1/signals?min_severity=HIGH&since=1h')).toBe(3); // TOOL_LOOP, EMPTY_LLM_RESPONSE (HIGH), the CRITICAL 0.5 h ago
        const all = (await get('/v1/signals?limit=500')).body.signals as any[];
        const times = all.map((s) => new Date(s.detected_at).getTime());
        expect([...times].sort((a, b) => b - a)).toEqual(times);
      });

      it('pages signals', async () => {
        const p1 = (await get('/v1/signals?limit=3')).body;
        expect(p1.signals).toHaveLength(3);
        expect(p1.page).toEqual({ total: 7, offset: 0, limit: 3, has_more: true });
        const p3 = (await get('/v1/signals?limit=3&offset=6')).body;
        expect(p3.signals).toHaveLength(1);
        expect(p3.page).toEqual({ total: 7, offset: 6, limit: 3, has_more: false });
        const all = (await get('/v1/signals')).body.signals.map((s: any) => s.id);
        const paged = [...p1.signals, ...(await get('/v1/signals?limit=3&offset=3')).body.signals, ...p3.signals].map((s: any) => s.id);
        expect(paged).toEqual(all);
        expect((await get('/v1/signals?offset=7')).body).toEqual({ signals: [], page: { total: 7, offset: 7, limit: 50, has_more: false } });
      });
    });

    describe('bad parameters', () => {
      const cases: [string, string][] = [
        ['/v1/agents?limit=0', 'limit'],
        ['/v1/agents?limit=501', 'limit'],
        ['/v1/runs?limit=abc', 'limit'],
        ['/v1/runs?limit=-5', 'limit'],
        ['/v1/runs?offset=-1', 'offset'],
        ['/v1/runs?offset=1.5', 'offset'],
        ['/v1/agents/x/runs?has_signals=maybe', 'has_signals'],
        ['/v1/agents/x/runs?status=done', 'status'],
        ['/v1/agents/x/signals?include_shadow=perhaps', 'include_shadow'],
        ['/v1/signals?severity=SEVERE', 'severity'],
        ['/v1/signals?min_severity=SEVERE', 'min_severity'],
        ['/v1/signals?failure_type=NOT_A_TYPE', 'failure_type'],
        ['/v1/signals?failure_type=TOOL_LOOP,NOPE', 'failure_type'],
        ['/v1/signals?since=yesterday', 'since'],
        ['/v1/signals?since=2025-13-45', 'since'],
        ['/v1/signals?since=-1h', 'since'],
        [`/v1/signals?run_id=${'x'.repeat(513)}`, 'run_id'],
        ['/v1/signals?severty=HIGH', 'severty'],
        ['/v1/signals?limit=1&limit=2', 'limit'],
        ['/v1/agents?api_key=dt_dev_x', 'api_key'],
        ['/v1/signals/stream?severity=urgent', 'severity'],
        ['/v1/signals/stream?limit=5', 'limit'],
        [`/v1/signals?agent=${'a'.repeat(300)}`, 'agent'],
        ['/v1/runs?agent=', 'agent'],
      ];
      it.each(cases)('%s → 400 naming %s', async (path, parameter) => {
        const { status, body } = await get(path);
        expect(status).toBe(400);
        expect(body).toMatchObject({ error: 'bad_request', parameter });
        expect(body.message).toContain(`${parameter}: `);
      });

      it('long agent ids work in the path as in ?agent= (up to 256 characters; beyond, a 400 naming agent_id)', async () => {
        expect((await get(`/v1/agents/${'a'.repeat(256)}/runs`)).body.runs).toEqual([]);
        expect((await get(`/v1/runs?agent=${'a'.repeat(256)}`)).body.runs).toEqual([]);
        const tooLong = await get(`/v1/agents/${'a'.repeat(257)}/runs`);
        expect(tooLong.status).toBe(400);
        expect(tooLong.body.parameter).toBe('agent_id');
      });

      it('names every bad parameter at once, with what is expected', async () => {
        const { body } = await get('/v1/agents/x/signals?limit=0&severity=bad&since=soon');
        expect(body.issues.map((i: any) => i.parameter)).toEqual(['limit', 'severity', 'since']);
        expect(body.message).toContain('limit: must be an integer from 1 to 500');
        expect(body.message).toContain('severity: must be one of LOW, MEDIUM, HIGH, CRITICAL');
        expect(body.message).toMatch(/since: must be an ISO-8601 time .* or a duration/);
        expect((await get('/v1/agents?api_key=x')).body.message).toContain('/v1/signals/stream only');
      });

      it('every endpoint needs a key (401), before looking at parameters', async () => {
        for (const path of ['/v1/agents', '/v1/agents/x/runs', '/v1/agents/x/signals', '/v1/runs', '/v1/signals', '/v1/signals/stream', '/v1/agents?limit=0']) {
          expect((await getJson(r.fetch, path, null)).status, path).toBe(401);
        }
      });
    });

    describe('ingest health: accepted but not understood', () => {
      // Its own customer, so the counts of the other tests stay as they are.
      let key: string;
      const unknownRun = newTraceId();
      const cleanRun = newTraceId();
      const unwrapped = [newTraceId(), newTraceId()];
      beforeAll(async () => {
        key = (await createKey(r.receiver.ctx, 'ingest-health-customer', null)).key;
        await postTrace(r.fetch, unknownSpansRun(unknownRun), key);
        await postTrace(r.fetch, healthyRun(cleanRun, 'vercel-ai-agent'), key);
        for (const id of unwrapped) await postTrace(r.fetch, unwrappedLangchainCall(id), key);
        for (const id of [unknownRun, cleanRun, ...unwrapped]) await waitForClosedRun(r.fetch, id, key);
      });
      const as = (path: string) => getJson(r.fetch, path, key);

      it('GET /v1/agents carries the summary: the unknown spans, the broken parent, the runs looked at', async () => {
        const { status, body } = await as('/v1/agents');
        expect(status).toBe(200);
        expect(body.agents.map((a: { agent_id: string }) => a.agent_id).sort()).toEqual(['langchain-agent', 'vercel-ai-agent']);
        const vercel = body.agents.find((a: { agent_id: string }) => a.agent_id === 'vercel-ai-agent');
        expect(vercel.ingest_health).toEqual({
          runs_checked: 2,
          runs_with_gaps: 1,
          unclassified_spans: 3,
          runs_llm_without_tokens: 0,
          runs_without_steps: 0,
          unnamed_tool_calls: 0,
          broken_parents: 1,
          step_root_runs: 0,
        });
        // An agent whose runs are all understood reports nothing (the default customer's healthy agent).
        const healthyAgent = (await get('/v1/agents')).body.agents.find((a: { agent_id: string }) => a.agent_id === 'healthy-agent');
        expect(healthyAgent.ingest_health).toMatchObject({ runs_checked: 3, runs_with_gaps: 0, unclassified_spans: 0, broken_parents: 0 });
      });

      it('GET /v1/agents/{id}/ingest-health names the unknown spans with their scope, and says what to change', async () => {
        const { status, body } = await as('/v1/agents/vercel-ai-agent/ingest-health');
        expect(status).toBe(200);
        expect(body.unclassified).toEqual([
          { name: 'ai.foo', scope: 'ai', count: 2 },
          { name: 'ai.bar', scope: 'ai', count: 1 },
        ]);
        expect(body.step_root_scopes).toEqual([]);
        const summary = (await as('/v1/agents')).body.agents.find((a: { agent_id: string }) => a.agent_id === 'vercel-ai-agent').ingest_health;
        // The list's SQL summary and the report's (computed from the stored rows) agree.
        for (const k of Object.keys(summary)) expect(body[k], k).toBe(summary[k]);
        expect(body.advice.map((a: { code: string }) => a.code)).toEqual(['unclassified', 'broken_parents']);
        expect(body.advice[0]).toMatchObject({ scope: 'ai', docs: 'docs/support-matrix.md' });
        expect(body.advice[0].message).toContain('3 span(s) from ai were not recognised (ai.foo (2), ai.bar (1))');
        expect(body.advice[0].message).toContain('Vercel AI SDK');
        // Names are metadata; attribute values never leave.
        expect(JSON.stringify(body)).not.toContain(UNKNOWN_SPAN_CANARY);
      });

      it('OpenLLMetry LangChain without a workflow wrapper: every call is a run of its own, and the advice names the wrapper', async () => {
        const { status, body } = await as('/v1/agents/langchain-agent/ingest-health');
        expect(status).toBe(200);
        expect(body).toMatchObject({ runs_checked: 2, runs_with_gaps: 2, step_root_runs: 2, unclassified_spans: 0 });
        expect(body.step_root_scopes).toEqual([{ name: '@traceloop/instrumentation-langchain', scope: '@traceloop/instrumentation-langchain', count: 2 }]);
        expect(body.advice).toHaveLength(1);
        expect(body.advice[0]).toMatchObject({ code: 'step_root', scope: '@traceloop/instrumentation-langchain' });
        expect(body.advice[0].message).toContain("traceloop.withWorkflow({ name: '<agent>' }");
      });

      it("GET /v1/runs/{id} carries the run's own health; a clean run has none", async () => {
        const run = (await as(`/v1/runs/${unknownRun}`)).body;
        expect(run.ingest_health).toMatchObject({
          spans: 6,
          unclassified_spans: 3,
          llm_calls: 2,
          llm_calls_without_tokens: 0,
          broken_parents: 1,
          step_root_scope: null,
        });
        expect(JSON.stringify(run)).not.toContain(UNKNOWN_SPAN_CANARY);
        const clean = (await as(`/v1/runs/${cleanRun}`)).body;
        expect(clean.ingest_health).toMatchObject({ unclassified_spans: 0, unclassified: [], broken_parents: 0, llm_calls: 1, llm_calls_without_tokens: 0 });
      });

      it("an unknown agent (or another customer's) is a 404; a query parameter is a 400", async () => {
        expect((await as('/v1/agents/nobody/ingest-health')).status).toBe(404);
        expect((await get('/v1/agents/vercel-ai-agent/ingest-health')).status).toBe(404);
        const bad = await as('/v1/agents/vercel-ai-agent/ingest-health?limit=5');
        expect(bad.status).toBe(400);
        expect(bad.body.parameter).toBe('limit');
      });
    });

    describe('GET /openapi.json', () => {
      it('is OpenAPI 3.1 describing every route, each of which exists', async () => {
        const { status, body } = await getJson(r.fetch, '/openapi.json', null);
        expect(status).toBe(200);
        expect(body.openapi).toBe('3.1.0');
        const paths = Object.keys(body.paths).sort();
        expect(paths).toEqual(
          [
            '/health',
            '/openapi.json',
            '/v1/agents',
            '/v1/agents/{agent_id}/ingest-health',
            '/v1/agents/{agent_id}/runs',
            '/v1/agents/{agent_id}/signals',
            '/v1/detectors',
            '/v1/otlp/traces',
            '/v1/runs',
            '/v1/runs/{run_id}',
            '/v1/signals',
            '/v1/signals/stream',
            '/v1/traces',
          ].sort(),
        );
        for (const [path, ops] of Object.entries(body.paths as Record<string, Record<string, any>>)) {
          for (const method of Object.keys(ops)) {
            const url = path.replace(/\{(\w+)\}/g, ':$1');
            expect(r.receiver.app.hasRoute({ method: method.toUpperCase(), url }), `${method} ${path}`).toBe(true);
            // OpenAPI requires a description on every response.
            expect(ops[method].responses['200']?.description, `${method} ${path}`).toMatch(/\S/);
          }
        }
        expect(body.paths['/v1/agents'].get.description).toMatch(/[Ss]hadow signals are excluded/);
        expect(body.paths['/v1/signals/stream'].get.description).toContain('api_key');
        expect(body.components.schemas.Signal.required.sort()).toEqual(SIGNAL_KEYS);
        expect(body.components.schemas.RunSummary.required.sort()).toEqual(RUN_KEYS);
        expect(body.components.schemas.Agent.required.sort()).toEqual(AGENT_KEYS);
      });

      it('documents exactly the query parameters each endpoint accepts', async () => {
        const { body } = await getJson(r.fetch, '/openapi.json', null);
        const documented = (path: string) =>
          (body.paths[path].get.parameters as any[])
            .filter((p) => p.in === 'query')
            .map((p) => p.name)
            .sort();
        const accepted = (schema: { shape: object }) => Object.keys(schema.shape).sort();
        expect(documented('/v1/agents')).toEqual(accepted(agentsQuery));
        expect(documented('/v1/agents/{agent_id}/runs')).toEqual(accepted(runsQuery));
        expect(documented('/v1/runs')).toEqual(accepted(allRunsQuery));
        expect(documented('/v1/agents/{agent_id}/signals')).toEqual(accepted(agentSignalsQuery));
        expect(documented('/v1/signals')).toEqual(accepted(signalsQuery));
        expect(documented('/v1/signals/stream')).toEqual(accepted(streamQuery));
        expect(documented('/v1/detectors')).toEqual(accepted(detectorsQuery));
      });
    });
  });
}
