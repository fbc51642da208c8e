import type { FastifyReply, FastifyRequest } from 'fastify';
import { safeError, toHttpStatus, type ErrorAnswer } from '../errors/index.js';
import { BadParams } from './api/params.js';

/**
 * Every route answers errors through toHttpStatus (src/errors): permanent → its 4xx, retryable → 503/429 with
 * Retry-After and a fixed message (no internal text), anything else → 500, logged once with its stack and never with
 * request content.
 */

/** Logs an answered error at the level it deserves, and sets Retry-After. Returns the answer. */
export function prepareErrorAnswer(req: FastifyRequest, reply: FastifyReply, err: unknown): ErrorAnswer {
  const answer = toHttpStatus(err);
  if (answer.bug) req.log.error({ err: safeError(err), url: req.routeOptions.url }, 'unexpected error; answering 500');
  else if (answer.status >= 500) req.log.warn({ code: answer.code, detail: (err as Error).message }, 'retryable failure; answering 503 so the caller retries');
  else req.log.info({ status: answer.status, code: answer.code }, 'request refused');
  if (answer.retryAfterSeconds !== undefined) reply.header('retry-after', String(answer.retryAfterSeconds));
  // A body refused unread (413) must not stay on the connection; a saturated receiver closes too, so the sender's
  // next attempt may reach a less busy peer.
  if (answer.status === 413 || answer.code === 'SATURATED') reply.header('connection', 'close');
  return answer;
}

/** The JSON API's error body: `{ error, message }`, plus `parameter` and `issues` for bad parameters. */
export function sendJsonError(req: FastifyRequest, reply: FastifyReply, err: unknown): FastifyReply {
  if (reply.sent || reply.raw.headersSent) return reply;
  const a = prepareErrorAnswer(req, reply, err);
  const extra = err instanceof BadParams ? { parameter: err.issues[0]?.parameter, issues: err.issues } : {};
  return reply.code(a.status).send({ error: a.error, message: a.message, ...extra });
}
