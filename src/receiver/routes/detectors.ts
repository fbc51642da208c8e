import type { FastifyInstance } from 'fastify';
import { detectorCatalogue } from '../../detectors/index.js';
import { detectorsQuery, parseParams } from '../api/params.js';
import { keyFromHeaders } from '../auth.js';
import type { ReceiverContext } from '../context.js';

/**
 * GET /v1/detectors: every registered detector as the detectors.yml in force configures it (reloads included),
 * for the `default` section or, with agent=, for that agent. Authenticated like every /v1 route; the settings
 * are the receiver's, the same for every customer.
 */
export function detectorRoutes(app: FastifyInstance, ctx: ReceiverContext): void {
  app.get('/v1/detectors', async (req) => {
    await ctx.auth.require(keyFromHeaders(req.headers));
    const q = parseParams(detectorsQuery, req.query);
    return detectorCatalogue(ctx.detectors.current, q.agent ?? null);
  });
}
