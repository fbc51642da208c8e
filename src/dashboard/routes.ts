import type { FastifyInstance } from 'fastify';
import type { ReceiverContext } from '../receiver/context.js';

/** The web dashboard, served as static files at / on the receiver's port. Issue #5. */
export function dashboardRoutes(_app: FastifyInstance, _ctx: ReceiverContext): void {}
