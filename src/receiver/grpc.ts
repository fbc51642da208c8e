import * as grpc from '@grpc/grpc-js';
import { safeError, toGrpcStatus } from '../errors/index.js';
import { decodeProtobufExport, encodeExportResponse, otlpProtoTypes } from '../otlp/index.js';
import { keyFromHeaders } from './auth.js';
import type { ReceiverContext } from './context.js';
import { ingestOtlpExport } from './otlp-ingest.js';

/**
 * The OTLP/gRPC way in: opentelemetry.proto.collector.trace.v1.TraceService/Export (default port 4317), the transport
 * of many SDKs' defaults and of the Collector's `loadbalancing` exporter. Like OTLP/HTTP it only decodes and
 * authenticates; the pipeline does the rest, and its errors map through toGrpcStatus():
 * INVALID_ARGUMENT (malformed), UNAUTHENTICATED, RESOURCE_EXHAUSTED (oversized, by grpc-js before we see it), UNAVAILABLE
 * with a RetryInfo delay (storage down or saturated). Loaded by the receiver only (never by `dunetrace-otel`).
 */

const EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
const identity = (b: Buffer) => b;

/** The service with raw bytes in and out: decoding is ours (bounded, with the same decoder and errors as HTTP). */
const traceService: grpc.ServiceDefinition = {
  Export: {
    path: EXPORT_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

export interface GrpcReceiver {
  /** The port bound (the configured one, or the one chosen for port 0). */
  port: number;
  /** Stops accepting; calls in flight finish (bounded by `timeoutMs`, then forced). */
  close(timeoutMs?: number): Promise<void>;
}

export async function startGrpcReceiver(ctx: ReceiverContext, host: string, port: number): Promise<GrpcReceiver> {
  const server = new grpc.Server({
    // Oversized messages are refused with RESOURCE_EXHAUSTED before they are handed to us (also after gzip).
    'grpc.max_receive_message_length': ctx.config.maxBodyBytes,
    'grpc.max_send_message_length': 64 * 1024,
  });
  server.addService(traceService, {
    Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
      exportCall(ctx, call).then(
        (response) => callback(null, response),
        (err: unknown) => callback(grpcError(ctx, err)),
      );
    },
  });
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host.includes(':') ? `[${host}]` : host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return {
    port: bound,
    close: (timeoutMs = 5_000) =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, timeoutMs);
        force.unref();
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}

async function exportCall(ctx: ReceiverContext, call: grpc.ServerUnaryCall<Buffer, Buffer>): Promise<Buffer> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(call.metadata.getMap())) if (typeof v === 'string') headers[k] = v;
  const key = keyFromHeaders(headers);
  const headerPrincipal = key ? await ctx.auth.require(key, 'invalid, unknown or revoked API key') : null;
  const release = await ctx.pipeline.admit();
  try {
    const partial = await ingestOtlpExport(ctx, decodeProtobufExport(call.request), headerPrincipal);
    return encodeExportResponse('protobuf', partial).body as Buffer;
  } finally {
    release();
  }
}

/** A gRPC status for any error; retryable ones carry google.rpc.RetryInfo in grpc-status-details-bin. */
function grpcError(ctx: ReceiverContext, err: unknown): Partial<grpc.StatusObject> {
  const s = toGrpcStatus(err);
  if (s.bug) ctx.log.error({ err: safeError(err), method: EXPORT_PATH }, 'unexpected error; answering INTERNAL');
  else ctx.log.info({ grpc_code: s.code, code: (err as { code?: string }).code }, 'OTLP/gRPC export refused');
  const metadata = new grpc.Metadata();
  if (s.retryDelayMs !== undefined) {
    const types = otlpProtoTypes();
    const seconds = Math.floor(s.retryDelayMs / 1000);
    const retry = types.retryInfo.encode({ retryDelay: { seconds, nanos: (s.retryDelayMs % 1000) * 1_000_000 } }).finish();
    const status = types.rpcStatus
      .encode({ code: s.code, message: s.message, details: [{ type_url: 'type.googleapis.com/google.rpc.RetryInfo', value: retry }] })
      .finish();
    metadata.set('grpc-status-details-bin', Buffer.from(status));
  }
  return { code: s.code, details: s.message, metadata };
}
