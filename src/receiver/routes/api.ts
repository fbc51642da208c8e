import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PermanentError, RetryableError } from '../../errors/index.js';
import { severitiesAtLeast, type Severity } from '../../model/index.js';
import { agentIngestHealth } from '../../runs/ingest-health.js';
import type { SignalQuery } from '../../storage/types.js';
import { openApiDocument } from '../api/openapi.js';
import {
  agentIdPath,
  agentSignalsQuery,
  agentsQuery,
  allRunsQuery,
  BadParams,
  noQuery,
  parseParams,
  runsQuery,
  signalsQuery,
  streamQuery,
  type ParamIssue,
} from '../api/params.js';
import { pageInfo, toApiAgent, toApiRun, toApiSignal } from '../api/serialize.js';
import { SignalStreams, sseSettings, type StreamFilter } from '../api/sse.js';
import { keyFromHeaders, MISSING_KEY } from '../auth.js';
import type { ReceiverContext } from '../context.js';
import { parseRunId } from './runs.js';

type Handler = (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/**
 * The customer REST API: agents, runs, signals, the SSE signal stream and /openapi.json. Every read is scoped to the
 * customer of the caller's key. Envelopes: `{ agents, page }`, `{ runs, page }`, `{ signals, page }` with
 * page = {total, offset, limit, has_more}; errors `{ error, message }` (400s add `parameter` and `issues`).
 */
export function apiRoutes(app: FastifyInstance, ctx: ReceiverContext): void {
  const streams = new SignalStreams(ctx.signals, app.log);
  // Open streams would keep app.close() waiting forever (it waits for in-flight responses): end them first.
  app.addHook('preClose', (done) => {
    streams.closeAll();
    done();
  });

  app.get('/openapi.json', async () => openApiDocument);

  app.get<{ Querystring: Record<string, unknown> }>(
    '/v1/agents',
    guarded(ctx, async (req, customerId) => {
      const q = parseParams(agentsQuery, req.query, apiKeyHint);
      const page = await ctx.storage.get().listAgents(customerId, q);
      return { agents: page.items.map(toApiAgent), page: pageInfo(page, q) };
    }),
  );

  app.get<{ Params: { agent_id: string } }>(
    '/v1/agents/:agent_id/runs',
    guarded(ctx, async (req, customerId) => {
      const { agentId, q } = withAgent(req, runsQuery);
      const page = await ctx.storage.get().listRuns(customerId, { ...q, agentId, hasSignals: q.has_signals, includeShadow: q.include_shadow });
      return { runs: page.items.map(toApiRun), page: pageInfo(page, q) };
    }),
  );

  app.get(
    '/v1/runs',
    guarded(ctx, async (req, customerId) => {
      const q = parseParams(allRunsQuery, req.query, apiKeyHint);
      const page = await ctx.storage.get().listRuns(customerId, { ...q, agentId: q.agent, hasSignals: q.has_signals, includeShadow: q.include_shadow });
      return { runs: page.items.map(toApiRun), page: pageInfo(page, q) };
    }),
  );

  // "Accepted but not understood": what the agent's newest completed runs carried that the mapping could not read,
  // with the names, the scopes and what to change (runs/ingest-health.ts). Names and counts only, never values.
  app.get<{ Params: { agent_id: string } }>(
    '/v1/agents/:agent_id/ingest-health',
    guarded(ctx, async (req, customerId) => {
      const { agentId } = withAgent(req, noQuery);
      const found = await ctx.storage.get().loadAgentIngestHealth(customerId, agentId);
      // Someone else's agent and no agent look the same: 404.
      if (!found) throw new PermanentError('not_found', 'NOT_FOUND', `no runs of agent ${agentId}`);
      return agentIngestHealth(agentId, found.runs_checked, found.rows);
    }),
  );

  app.get<{ Params: { agent_id: string } }>(
    '/v1/agents/:agent_id/signals',
    guarded(ctx, async (req, customerId) => {
      const { agentId, q } = withAgent(req, agentSignalsQuery);
      const query: SignalQuery = { ...signalFilter(q), agentId, limit: q.limit, offset: q.offset };
      const page = await ctx.storage.get().listSignals(customerId, query);
      return { signals: page.items.map(toApiSignal), page: pageInfo(page, q) };
    }),
  );

  app.get(
    '/v1/signals',
    guarded(ctx, async (req, customerId) => {
      const q = parseParams(signalsQuery, req.query, apiKeyHint);
      let runId: string | undefined;
      if (q.run_id !== undefined) {
        runId = parseRunId(q.run_id) ?? undefined;
        if (!runId)
          throw new BadParams([
            { parameter: 'run_id', message: 'must be a run id: the 32-hex trace id, its UUID form, or the id the SDK gave the run (1–512 characters)' },
          ]);
      }
      const query: SignalQuery = { ...signalFilter(q), agentId: q.agent, runId, limit: q.limit, offset: q.offset };
      const page = await ctx.storage.get().listSignals(customerId, query);
      return { signals: page.items.map(toApiSignal), page: pageInfo(page, q) };
    }),
  );

  // EventSource cannot send headers: this route alone also takes the key from ?api_key=.
  app.get<{ Querystring: Record<string, unknown> }>('/v1/signals/stream', { exposeHeadRoute: false }, async (req, reply) => {
    {
      const raw = req.query ?? {};
      const queryKey = typeof raw.api_key === 'string' ? raw.api_key : null;
      const principal = await ctx.auth.require(keyFromHeaders(req.headers) ?? queryKey, `${MISSING_KEY}, or ?api_key=<key> on this route`);
      const q = parseParams(streamQuery, raw);
      const refusal = streams.refusal(principal.customerId);
      if (refusal) throw new RetryableError('throttled', 'TOO_MANY_STREAMS', refusal, 5_000);
      const filter: StreamFilter = { customerId: principal.customerId, agentId: q.agent, ...signalFilter(q) };
      const lastId = lastEventId(req);
      const replay =
        q.since !== undefined || lastId !== undefined
          ? async () =>
              (
                await ctx.storage.get().listSignals(principal.customerId, {
                  agentId: filter.agentId,
                  severities: filter.severities,
                  failureTypes: filter.failureTypes,
                  includeShadow: filter.includeShadow,
                  since: q.since,
                  afterId: lastId,
                  limit: sseSettings.replayLimit,
                  offset: 0,
                })
              ).items.reverse()
          : null;
      await streams.start(reply, filter, replay);
      return reply;
    }
  });
}

/** Authenticates, then runs the handler with the caller's customer; errors are answered by the app's error handler. */
function guarded<R extends FastifyRequest>(ctx: ReceiverContext, handler: (req: R, customerId: string, reply: FastifyReply) => Promise<unknown>): Handler {
  return async (req, reply) => {
    const principal = await ctx.auth.require(keyFromHeaders(req.headers));
    return handler(req as R, principal.customerId, reply);
  };
}

const apiKeyHint = (i: ParamIssue): ParamIssue =>
  i.parameter === 'api_key' && i.message === 'unknown parameter'
    ? { parameter: 'api_key', message: 'accepted on /v1/signals/stream only; send the key as Authorization: Bearer <key>' }
    : i;

/** The agent path parameter and the query, validated together so one 400 names every bad parameter. */
function withAgent<S extends Parameters<typeof parseParams>[0]>(req: FastifyRequest, schema: S) {
  const issues: ParamIssue[] = [];
  const agent = agentIdPath.safeParse((req.params as { agent_id?: unknown }).agent_id);
  if (!agent.success) issues.push({ parameter: 'agent_id', message: agent.error.issues[0]?.message ?? 'invalid' });
  let q: ReturnType<typeof parseParams<S>> | undefined;
  try {
    q = parseParams(schema, req.query, apiKeyHint);
  } catch (err) {
    if (!(err instanceof BadParams)) throw err;
    issues.push(...err.issues);
  }
  if (issues.length > 0 || !agent.success || q === undefined) throw new BadParams(issues);
  return { agentId: agent.data, q };
}

/** severity= is exact (the original's meaning), min_severity= a minimum; given both, a severity must pass both. */
function signalFilter(q: { severity?: Severity; min_severity?: Severity; failure_type?: string[]; since?: Date; include_shadow: boolean }) {
  const atLeast = q.min_severity ? severitiesAtLeast(q.min_severity) : null;
  const exact = q.severity ? [q.severity] : null;
  return {
    severities: exact && atLeast ? exact.filter((s) => atLeast.includes(s)) : (exact ?? atLeast ?? undefined),
    failureTypes: q.failure_type,
    since: q.since,
    includeShadow: q.include_shadow,
  };
}

function lastEventId(req: FastifyRequest): number | undefined {
  const v = req.headers['last-event-id'];
  const s = Array.isArray(v) ? v[0] : v;
  return s && /^\d{1,15}$/.test(s.trim()) ? Number(s.trim()) : undefined;
}
