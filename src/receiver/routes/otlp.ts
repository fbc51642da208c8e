import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import {
  decodeExport,
  encodeExportResponse,
  encodeStatus,
  grpcCodeForHttpStatus,
  OtlpHttpError,
  parseContentType,
  partialSuccessFor,
  PayloadTooLargeError,
  readBody,
} from '../../otlp/index.js';
import type { OtlpFormat } from '../../otlp/index.js';
import { StorageUnavailableError } from '../../storage/types.js';
import { keyFromHeaders, type Principal } from '../auth.js';
import { allUnauthenticated, planIngest } from '../ingest.js';
import { safeError } from '../safe-error.js';
import type { ReceiverContext } from '../context.js';

/** Retry-After for a database outage: long enough not to hammer it, short enough to drain quickly after. */
const STORAGE_RETRY_AFTER_S = 5;

/**
 * POST /v1/traces (the standard OTLP/HTTP path) and /v1/otlp/traces (alias).
 * Order matters: content type, then the header key (401 before reading the body), then the body (bounded, also
 * while decompressing), decode, map + hash, durable write, and only then 200.
 */
export function otlpRoutes(app: FastifyInstance, ctx: ReceiverContext): void {
  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    let format: OtlpFormat = 'json';
    try {
      format = parseContentType(req.headers['content-type']);
      const headerKey = keyFromHeaders(req.headers);
      const headerPrincipal = headerKey ? await ctx.auth.authenticate(headerKey) : null;
      if (headerKey && !headerPrincipal) return sendStatus(reply, format, 401, 'invalid, unknown or revoked API key', req);
      if (!(await ctx.writes.acquire())) {
        ctx.metrics.exportsThrottled++;
        reply.header('retry-after', '1').header('connection', 'close');
        return sendStatus(reply, format, 503, 'receiver busy: too many exports in flight, retry after 1 s', req);
      }
      try {
        return await ingest(req, reply, format, headerKey, headerPrincipal);
      } finally {
        ctx.writes.release();
      }
    } catch (err) {
      return handleError(err, req, reply, format);
    }
  };

  /** Body → decode → map → durable write → 200, holding a write slot. */
  const ingest = async (req: FastifyRequest, reply: FastifyReply, format: OtlpFormat, headerKey: string | null, headerPrincipal: Principal | null) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > ctx.config.maxBodyBytes) {
      throw new PayloadTooLargeError(`request body of ${declared} bytes exceeds DUNETRACE_MAX_BODY_BYTES=${ctx.config.maxBodyBytes}`);
    }
    const body = await readBody(req.body as Readable, { contentEncoding: req.headers['content-encoding'], maxBytes: ctx.config.maxBodyBytes });
    const decoded = decodeExport(body, format);
    for (const w of decoded.warnings) ctx.warnOnce(w);

    const plan = await planIngest(decoded.spans, headerPrincipal, {
      authenticate: (k) => ctx.auth.authenticate(k),
      map: ctx.mapSpan,
      onMapError: (err, span) => req.log.error({ err: safeError(err), trace_id: span.traceId, span_id: span.spanId }, 'mapping failed for a span'),
    });
    if (!headerKey && allUnauthenticated(plan, decoded.spans.length)) {
      return sendStatus(
        reply,
        format,
        401,
        'missing API key: send Authorization: Bearer <key>, X-Dunetrace-API-Key, or the resource attribute dunetrace.api_key',
        req,
      );
    }
    if (!headerKey && decoded.spans.length === 0) {
      return sendStatus(reply, format, 401, 'missing API key: send Authorization: Bearer <key> or X-Dunetrace-API-Key', req);
    }
    for (const [customerId, spans] of plan.batches) {
      const result = await ctx.storage.writeSpans({ customer_id: customerId, spans });
      ctx.pipeline.afterWrite(customerId, spans, result);
      ctx.metrics.spansAccepted += result.inserted;
      ctx.metrics.spansDuplicate += result.duplicates;
    }
    const rejected = decoded.rejectedSpans + plan.rejected;
    ctx.metrics.spansRejected += rejected;
    const messages = [partialSuccessFor(decoded)?.errorMessage, ...plan.reasons].filter((m): m is string => !!m);
    const out = encodeExportResponse(format, messages.length ? { rejectedSpans: rejected, errorMessage: messages.join('. ') } : null);
    return reply.code(200).type(replyType(req, out.contentType)).send(out.body);
  };

  const handleError = (err: unknown, req: FastifyRequest, reply: FastifyReply, format: OtlpFormat) => {
    if (err instanceof OtlpHttpError) {
      // The message may quote a (truncated) field value from the request: it goes back to the sender, never to our log.
      req.log.info({ status: err.status, code: err.code }, 'OTLP request refused');
      if (err.retryAfterSeconds) reply.header('retry-after', String(err.retryAfterSeconds));
      // We may have stopped reading mid-body: close the connection rather than leave unread bytes on it.
      if (err.status === 413 || err.status === 400) reply.header('connection', 'close');
      return sendStatus(reply, format, err.status, err.message, req);
    }
    if (err instanceof StorageUnavailableError) {
      req.log.warn({ err: err.message }, 'database unavailable: answering 503 so the sender retries');
      reply.header('retry-after', String(STORAGE_RETRY_AFTER_S));
      return sendStatus(reply, format, 503, 'database unavailable, retry later', req);
    }
    req.log.error({ err: safeError(err) }, 'unexpected error while ingesting');
    return sendStatus(reply, format, 500, 'internal error while ingesting spans; nothing was acknowledged', req);
  };
  const opts = { config: { otlp: true } } as const;
  app.post('/v1/traces', opts, handler);
  app.post('/v1/otlp/traces', opts, handler);
}

function sendStatus(reply: FastifyReply, format: OtlpFormat, status: number, message: string, req?: FastifyRequest) {
  const out = encodeStatus(format, { code: grpcCodeForHttpStatus(status), message });
  return reply
    .code(status)
    .type(req ? replyType(req, out.contentType) : out.contentType)
    .send(out.body);
}

/** The response's Content-Type must equal the request's (OTLP/HTTP): echo its media type, minus parameters. */
function replyType(req: FastifyRequest, fallback: string): string {
  const media = String(req.headers['content-type'] ?? '')
    .split(';')[0]
    .trim()
    .toLowerCase();
  return media === 'application/protobuf' || media === 'application/x-protobuf' || media === 'application/json' ? media : fallback;
}
