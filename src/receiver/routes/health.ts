import type { FastifyInstance } from 'fastify';
import { toHttpStatus } from '../../errors/index.js';
import type { ReceiverContext } from '../context.js';

/** GET /health: 200 once the database is ready and answering, 503 otherwise (load balancers take it out). */
export function healthRoutes(app: FastifyInstance, ctx: ReceiverContext): void {
  const counters = () => {
    const s = ctx.pipeline.stats();
    return {
      open_runs: s.openRuns,
      writes: { in_flight: s.writesInFlight, queued: s.writesQueued },
      spans: { accepted: s.spansAccepted, duplicate: s.spansDuplicate, rejected: s.spansRejected },
      exports_throttled: s.exportsThrottled,
    };
  };
  app.get('/health', async (_req, reply) => {
    if (!ctx.storage.ready) return reply.code(503).send({ status: 'starting', database: 'not ready', ...counters() });
    try {
      await ctx.storage.get().ping();
    } catch (err) {
      // Counters stay visible during an outage; the answer's text is the error model's (no driver internals).
      const a = toHttpStatus(err);
      if (a.retryAfterSeconds !== undefined) reply.header('retry-after', String(a.retryAfterSeconds));
      return reply.code(a.status >= 500 ? 503 : a.status).send({ status: 'unavailable', database: a.message, ...counters() });
    }
    return { status: 'ok', database: ctx.storage.kind, ...counters() };
  });
}
