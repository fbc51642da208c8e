import type { FastifyInstance } from 'fastify';
import type { ReceiverContext } from '../context.js';

/** GET /health: 200 once the database is ready and answering, 503 otherwise (load balancers take it out). */
export function healthRoutes(app: FastifyInstance, ctx: ReceiverContext): void {
  const counters = () => ({
    open_runs: ctx.pipeline.tracker.openRunCount,
    writes: { in_flight: ctx.writes.inFlight, queued: ctx.writes.queued },
    spans: { accepted: ctx.metrics.spansAccepted, duplicate: ctx.metrics.spansDuplicate, rejected: ctx.metrics.spansRejected },
    exports_throttled: ctx.metrics.exportsThrottled,
  });
  app.get('/health', async (_req, reply) => {
    if (!ctx.ready()) return reply.code(503).send({ status: 'starting', database: 'not ready', ...counters() });
    try {
      await ctx.storage.ping();
    } catch (err) {
      return reply.code(503).send({ status: 'unavailable', database: (err as Error).message, ...counters() });
    }
    return { status: 'ok', database: ctx.storage.kind, ...counters() };
  });
}
