import type { FastifyInstance } from 'fastify';
import type { AlertDispatcher } from '../../alerts/index.js';
import { exposition, type Metric } from '../../metrics/exposition.js';
import type { ReceiverContext } from '../context.js';

/**
 * GET /metrics: Prometheus text format — ingest, backpressure, open runs, completion (judging) and alert delivery
 * latencies — per receiver process, so a fleet behind a load balancer is watched replica by replica. Aggregates only:
 * no customer, agent or run appears, so it needs no key (like /health).
 */
export function metricsRoutes(app: FastifyInstance, ctx: ReceiverContext, alerts: () => AlertDispatcher | null): void {
  app.get('/metrics', async (_req, reply) => {
    const p = ctx.pipeline.stats();
    const metrics: Metric[] = [
      { name: 'dunetrace_spans_accepted_total', help: 'Spans and events durably stored.', type: 'counter', value: p.spansAccepted },
      { name: 'dunetrace_spans_duplicate_total', help: 'Spans already stored (retried exports).', type: 'counter', value: p.spansDuplicate },
      { name: 'dunetrace_spans_rejected_total', help: 'Spans refused (invalid, or without a valid key).', type: 'counter', value: p.spansRejected },
      {
        name: 'dunetrace_exports_throttled_total',
        help: 'Requests refused with 503/UNAVAILABLE because too many writes were in flight.',
        type: 'counter',
        value: p.exportsThrottled,
      },
      { name: 'dunetrace_writes_in_flight', help: 'Ingest writes in flight.', type: 'gauge', value: p.writesInFlight },
      { name: 'dunetrace_writes_queued', help: 'Ingest writes waiting for a slot.', type: 'gauge', value: p.writesQueued },
      { name: 'dunetrace_open_runs', help: 'Runs this process is tracking (waiting for their end).', type: 'gauge', value: p.openRuns },
      { name: 'dunetrace_runs_completed_total', help: 'Runs judged and closed by this process.', type: 'counter', value: p.runsCompleted },
      { name: 'dunetrace_run_completion_seconds', help: 'Time to judge and close a run once it is over.', type: 'histogram', histogram: p.completionSeconds },
      { name: 'dunetrace_database_up', help: '1 when the database is open.', type: 'gauge', value: ctx.storage.ready ? 1 : 0 },
    ];
    const dispatcher = alerts();
    if (dispatcher) {
      const s = dispatcher.stats();
      metrics.push(
        { name: 'dunetrace_alerts_delivered_total', help: 'Alert messages delivered (2xx).', type: 'counter', value: s.delivered + s.digests_delivered },
        { name: 'dunetrace_alerts_retries_total', help: 'Failed alert attempts rescheduled.', type: 'counter', value: s.retries },
        { name: 'dunetrace_alerts_failed_total', help: 'Alert deliveries given up.', type: 'counter', value: s.failed },
        {
          name: 'dunetrace_alert_delivery_seconds',
          help: 'From detection to delivery of each alerted signal.',
          type: 'histogram',
          histogram: dispatcher.deliverySeconds,
        },
      );
    }
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(exposition(metrics));
  });
}
