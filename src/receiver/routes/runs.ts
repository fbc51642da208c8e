import type { FastifyInstance } from 'fastify';
import { PermanentError } from '../../errors/index.js';
import { canonicalRunId, createHasher } from '../../mapping/index.js';
import { assembleRun } from '../../runs/assemble.js';
import { runIngestHealth } from '../../runs/ingest-health.js';
import { BadParams } from '../api/params.js';
import { toApiRunDetail } from '../api/serialize.js';
import { keyFromHeaders } from '../auth.js';
import type { ReceiverContext } from '../context.js';

const plain = createHasher({});
const sha256 = (text: string) => plain.digest(text);

/**
 * A run id as callers know it: the 32-hex trace id, its UUID form, or the id a Dunetrace SDK gave its run (any string
 * up to 512 characters) — mapped the way ingest maps it (canonicalRunId), so every form finds the same run.
 */
export function parseRunId(raw: string): string | null {
  const s = raw.trim();
  if (s.length === 0 || s.length > 512) return null;
  return canonicalRunId(s, sha256);
}

/** GET /v1/runs/{id}: one run with its events (assembled from the stored spans) and its explained signals. */
export function runRoutes(app: FastifyInstance, ctx: ReceiverContext): void {
  app.get<{ Params: { run_id: string } }>('/v1/runs/:run_id', async (req) => {
    const { customerId } = await ctx.auth.require(keyFromHeaders(req.headers));
    const runId = parseRunId(req.params.run_id);
    if (!runId)
      throw new BadParams([
        { parameter: 'run_id', message: 'must be a run id: the 32-hex trace id, its UUID form, or the id the SDK gave the run (1–512 characters)' },
      ]);
    const storage = ctx.storage.get();
    const row = await storage.getRun(customerId, runId);
    // Someone else's run and no run look the same: 404.
    if (!row) throw new PermanentError('not_found', 'NOT_FOUND', `no run ${runId}`);
    const [spans, signals] = await Promise.all([storage.loadRunSpans(customerId, runId), storage.listRunSignals(customerId, runId)]);
    const run = assembleRun(
      spans.map((s) => ({ span: s.span, late: s.late })),
      { runId, agentId: row.agent_id, status: row.status },
    );
    // What the stored spans carried that was not understood: computed on read (open runs too), names only.
    const health = runIngestHealth(
      spans.map((s) => s.span),
      run,
    );
    return toApiRunDetail(row, run, signals, health);
  });
}
