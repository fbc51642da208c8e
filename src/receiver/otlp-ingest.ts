import { PermanentError } from '../errors/index.js';
import { partialSuccessFor, type DecodeResult, type PartialSuccess } from '../otlp/index.js';
import type { Principal } from './auth.js';
import type { ReceiverContext } from './context.js';
import { otlpUnits } from './otlp-units.js';

/**
 * What both OTLP ways in (HTTP and gRPC) do with a decoded export: authenticate its spans, hand them to the pipeline
 * (resolves after the durable commit), and say what was refused, as OTLP's partial_success. Throws the error model's
 * errors (401 when no span had a key, retryable when storage is down).
 */
export async function ingestOtlpExport(ctx: ReceiverContext, decoded: DecodeResult, headerPrincipal: Principal | null): Promise<PartialSuccess | null> {
  for (const w of decoded.warnings) ctx.warnOnce(w);
  if (!headerPrincipal && decoded.spans.length === 0) {
    throw new PermanentError('unauthenticated', 'UNAUTHORIZED', 'missing API key: send Authorization: Bearer <key> or X-Dunetrace-API-Key');
  }
  const { units, unauthenticated, reasons } = await otlpUnits(decoded.spans, headerPrincipal, (k) => ctx.auth.authenticate(k));
  const result = await ctx.pipeline.consume({ units, rejectedByDecoder: decoded.rejectedSpans + unauthenticated });
  const rejected = decoded.rejectedSpans + unauthenticated + result.rejected;
  const messages = [partialSuccessFor(decoded)?.errorMessage, ...reasons, ...result.reasons].filter((m): m is string => !!m);
  return messages.length ? { rejectedSpans: rejected, errorMessage: messages.join('. ') } : null;
}
