import type { FastifyInstance } from 'fastify';
import { PermanentError } from '../../errors/index.js';
import { assembleRun } from '../../runs/assemble.js';
import { BadParams } from '../api/params.js';
import { toApiRunDetail } from '../api/serialize.js';
import { keyFromHeaders } from '../auth.js';
import type { ReceiverContext } from '../context.js';

/** A run id is the 32-hex trace id; its UUID form (8-4-4-4-12) is accepted too. */
export function parseRunId(raw: string): string | null {
  const hex = raw.replace(/-/g, '').toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) return null;
  if (raw.includes('-') && !/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(raw)) return null;
  return hex;
}

/** GET /v1/runs/{id}: one run with its events (assembled from the stored spans) and its explained signals. */
export function runRoutes(app: FastifyInstance, ctx: ReceiverContext): void {
  app.get<{ Params: { run_id: string } }>('/v1/runs/:run_id', async (req) => {
    const { customerId } = await ctx.auth.require(keyFromHeaders(req.headers));
    const runId = parseRunId(req.params.run_id);
    if (!runId) throw new BadParams([{ parameter: 'run_id', message: 'must be a 32-hex trace id or its UUID form' }]);
    const storage = ctx.storage.get();
    const row = await storage.getRun(customerId, runId);
    // Someone else's run and no run look the same: 404.
    if (!row) throw new PermanentError('not_found', 'NOT_FOUND', `no run ${runId}`);
    const [spans, signals] = await Promise.all([storage.loadRunSpans(customerId, runId), storage.listRunSignals(customerId, runId)]);
    const run = assembleRun(
      spans.map((s) => ({ span: s.span, late: s.late })),
      { runId, agentId: row.agent_id, status: row.status },
    );
    return toApiRunDetail(row, run, signals);
  });
}
