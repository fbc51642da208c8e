import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { explainSignal } from '../../detectors/index.js';
import { assembleRun } from '../../runs/assemble.js';
import { keyFromHeaders, type Principal } from '../auth.js';
import type { ReceiverContext } from '../context.js';

/** A run id is the 32-hex trace id; its UUID form (8-4-4-4-12) is accepted too. */
export function parseRunId(raw: string): string | null {
  const hex = raw.replace(/-/g, '').toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) return null;
  if (raw.includes('-') && !/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(raw)) return null;
  return hex;
}

/** Resolves the caller's customer from its key, or answers 401. */
export async function requirePrincipal(ctx: ReceiverContext, req: FastifyRequest, reply: FastifyReply): Promise<Principal | null> {
  const principal = await ctx.auth.authenticate(keyFromHeaders(req.headers));
  if (!principal) {
    await reply.code(401).send({ error: 'unauthorized', message: 'missing, unknown or revoked API key: send Authorization: Bearer <key>' });
    return null;
  }
  return principal;
}

export function runRoutes(app: FastifyInstance, ctx: ReceiverContext): void {
  app.get<{ Params: { run_id: string } }>('/v1/runs/:run_id', async (req, reply) => {
    const principal = await requirePrincipal(ctx, req, reply);
    if (!principal) return reply;
    const runId = parseRunId(req.params.run_id);
    if (!runId) return reply.code(400).send({ error: 'bad_request', message: 'run_id must be a 32-hex trace id or its UUID form' });
    const row = await ctx.storage.getRun(principal.customerId, runId);
    // Someone else's run and no run look the same: 404.
    if (!row) return reply.code(404).send({ error: 'not_found', message: `no run ${runId}` });
    const [spans, signals] = await Promise.all([
      ctx.storage.loadRunSpans(principal.customerId, runId),
      ctx.storage.listRunSignals(principal.customerId, runId),
    ]);
    const run = assembleRun(
      spans.map((s) => ({ span: s.span, late: s.late })),
      { runId, agentId: row.agent_id, status: row.status },
    );
    return {
      run_id: runId,
      agent_id: row.agent_id,
      agent_version: row.agent_version ?? run.agent_version,
      status: row.status,
      exit_reason: row.exit_reason,
      started_at: row.started_at ?? run.started_at,
      ended_at: row.ended_at ?? run.ended_at,
      step_count: row.status === 'open' ? run.step_count : row.step_count,
      span_count: row.span_count,
      events: run.events.map((e) => ({
        event_type: e.event_type,
        step_index: e.step_index,
        timestamp: e.timestamp,
        span_id: e.span_id,
        ...(e.late ? { late: true } : {}),
        payload: e.payload,
      })),
      signals: signals.map((s) => ({
        failure_type: s.failure_type,
        severity: s.severity,
        confidence: s.confidence,
        step_index: s.step_index,
        evidence: s.evidence,
        shadow: s.shadow,
        detected_live: s.detected_live,
        detected_at: s.detected_at,
        explanation: explainSignal(s as Parameters<typeof explainSignal>[0]),
      })),
    };
  });
}
