import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import {
  decodeExport,
  encodeExportResponse,
  encodeStatus,
  grpcCodeForHttpStatus,
  parseContentType,
  PayloadTooLargeError,
  readBody,
  type OtlpFormat,
} from '../../otlp/index.js';
import { keyFromHeaders, type Principal } from '../auth.js';
import type { ReceiverContext } from '../context.js';
import { prepareErrorAnswer } from '../http-errors.js';
import { ingestOtlpExport } from '../otlp-ingest.js';

/**
 * The OTLP/HTTP way in: POST /v1/traces (the standard path) and /v1/otlp/traces — the original Dunetrace's path,
 * kept so its users' exporters work unchanged. It only decodes and authenticates; the pipeline does the rest.
 * Order matters: content type, then the header key (401 before reading the body), a write slot (503 when
 * saturated), the body (bounded, also while decompressing), decode, pipeline (durable write), and only then 200.
 */
export function otlpRoutes(app: FastifyInstance, ctx: ReceiverContext): void {
  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    let format: OtlpFormat = 'json';
    try {
      format = parseContentType(req.headers['content-type']);
      const headerKey = keyFromHeaders(req.headers);
      const headerPrincipal = headerKey ? await ctx.auth.require(headerKey, 'invalid, unknown or revoked API key') : null;
      const release = await ctx.pipeline.admit();
      try {
        return await ingest(req, reply, format, headerPrincipal);
      } finally {
        release();
      }
    } catch (err) {
      return sendOtlpError(req, reply, format, err);
    }
  };

  const ingest = async (req: FastifyRequest, reply: FastifyReply, format: OtlpFormat, headerPrincipal: Principal | null) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > ctx.config.maxBodyBytes) {
      throw new PayloadTooLargeError(`request body of ${declared} bytes exceeds DUNETRACE_MAX_BODY_BYTES=${ctx.config.maxBodyBytes}`);
    }
    const body = await readBody(req.body as Readable, { contentEncoding: req.headers['content-encoding'], maxBytes: ctx.config.maxBodyBytes });
    const partial = await ingestOtlpExport(ctx, decodeExport(body, format), headerPrincipal);
    const out = encodeExportResponse(format, partial);
    return reply.code(200).type(replyType(req, out.contentType)).send(out.body);
  };

  app.post('/v1/traces', handler);
  // The original Dunetrace's OTLP path: its users point their exporters here and change nothing else.
  app.post('/v1/otlp/traces', handler);
}

/** An error as a google.rpc.Status in the request's encoding, with the status the one error model prescribes. */
function sendOtlpError(req: FastifyRequest, reply: FastifyReply, format: OtlpFormat, err: unknown) {
  const a = prepareErrorAnswer(req, reply, err);
  // A decode error may have stopped reading mid-body: close the connection rather than leave unread bytes on it.
  if (a.status === 400) reply.header('connection', 'close');
  const out = encodeStatus(format, { code: grpcCodeForHttpStatus(a.status), message: a.message });
  return reply.code(a.status).type(replyType(req, out.contentType)).send(out.body);
}

/** The response's Content-Type must equal the request's (OTLP/HTTP): echo its media type, minus parameters. */
function replyType(req: FastifyRequest, fallback: string): string {
  const media = String(req.headers['content-type'] ?? '')
    .split(';')[0]
    .trim()
    .toLowerCase();
  return media === 'application/protobuf' || media === 'application/x-protobuf' || media === 'application/json' ? media : fallback;
}
