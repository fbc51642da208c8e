import type { FastifyInstance } from 'fastify';
import type { ReceiverContext } from '../context.js';

/** The customer REST API (agents, runs, signals, SSE stream, OpenAPI). Issue #5. */
export function apiRoutes(_app: FastifyInstance, _ctx: ReceiverContext): void {}
