import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { PermanentError } from '../../errors/index.js';
import { decodeIngestBody } from '../../ingest/decode.js';
import { PayloadTooLargeError, readBody } from '../../otlp/index.js';
import type { DunetraceEventUnit } from '../../pipeline/index.js';
import { keyFromHeaders } from '../auth.js';
import type { ReceiverContext } from '../context.js';

/**
 * POST /v1/ingest: the original Dunetrace's own wire protocol, so its SDKs (Python `dunetrace`, npm `dunetrace`, both
 * generations) work by changing the endpoint only. It decodes and authenticates; the pipeline does the rest, exactly
 * as for OTLP. 202 only after the durable commit (the original answered before writing and could lose the batch).
 */
export function ingestRoutes(app: FastifyInstance, ctx: ReceiverContext): void {
  app.post('/v1/ingest', async (req, reply) => {
    const media = String(req.headers['content-type'] ?? '')
      .split(';')[0]
      .trim()
      .toLowerCase();
    if (media !== 'application/json') {
      throw new PermanentError('unsupported_media_type', 'UNSUPPORTED_MEDIA_TYPE', 'send the batch as Content-Type: application/json');
    }
    // A header key is checked before the body is read; the 0.3 SDKs put theirs in the body.
    const headerKey = keyFromHeaders(req.headers);
    const headerPrincipal = headerKey ? await ctx.auth.require(headerKey, 'invalid, unknown or revoked API key') : null;
    const release = await ctx.pipeline.admit();
    try {
      const declared = Number(req.headers['content-length']);
      if (Number.isFinite(declared) && declared > ctx.config.maxBodyBytes) {
        throw new PayloadTooLargeError(`request body of ${declared} bytes exceeds DUNETRACE_MAX_BODY_BYTES=${ctx.config.maxBodyBytes}`);
      }
      const raw = await readBody(req.body as Readable, { contentEncoding: req.headers['content-encoding'], maxBytes: ctx.config.maxBodyBytes });
      const body = decodeIngestBody(raw);
      const principal =
        headerPrincipal ??
        (await ctx.auth.require(body.apiKey, 'missing, unknown or revoked API key: send "api_key" in the body, or Authorization: Bearer <key>'));
      const receivedAt = Date.now() / 1000;
      const units: DunetraceEventUnit[] = body.events.map((event) => ({
        kind: 'dunetrace_event',
        customerId: principal.customerId,
        keyAgentId: principal.agentId,
        event,
        receivedAt,
      }));
      const result = await ctx.pipeline.consume({ units });
      if (result.rejected > 0) req.log.warn({ rejected: result.rejected }, 'events could not be mapped');
      return reply.code(202).send({
        accepted: result.accepted + result.duplicates,
        batch_id: randomUUID(),
        queued_at: receivedAt,
        ...(result.rejected > 0 ? { rejected: result.rejected, errors: result.reasons } : {}),
      });
    } finally {
      release();
    }
  });
}
