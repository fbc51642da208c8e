import * as grpc from '@grpc/grpc-js';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { otlpProtoTypes } from '../../src/otlp/index.js';
import { emitAgentRun } from './agent-run.js';

export const EXPORT = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

/** One agent run as the bytes of an ExportTraceServiceRequest (the real serializer), and its trace id. */
export function agentExport(): { body: Buffer; traceId: string } {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'grpc-agent' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const traceId = emitAgentRun(provider.getTracer('t'));
  return { body: Buffer.from(ProtobufTraceSerializer.serializeRequest(memory.getFinishedSpans())!), traceId };
}

export interface Answer {
  code: grpc.status;
  details: string;
  response?: Buffer;
  retryDelayMs?: number;
}

/** A raw unary call (our own bytes, our own metadata), resolving with the status whatever it is. */
export function grpcCall(port: number, body: Buffer, meta: Record<string, string> = {}, options: grpc.ChannelOptions = {}): Promise<Answer> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), options);
  const metadata = new grpc.Metadata();
  for (const [k, v] of Object.entries(meta)) metadata.set(k, v);
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      EXPORT,
      (b: Buffer) => b,
      (b: Buffer) => b,
      body,
      metadata,
      (err, response) => {
        client.close();
        if (!err) return resolve({ code: grpc.status.OK, details: '', response });
        const bin = err.metadata?.get('grpc-status-details-bin')[0];
        let retryDelayMs: number | undefined;
        if (Buffer.isBuffer(bin)) {
          const types = otlpProtoTypes();
          const status = types.rpcStatus.toObject(types.rpcStatus.decode(bin), { longs: Number }) as { details?: { type_url: string; value: Uint8Array }[] };
          const info = status.details?.find((d) => d.type_url === 'type.googleapis.com/google.rpc.RetryInfo');
          if (info) {
            const r = types.retryInfo.toObject(types.retryInfo.decode(info.value), { longs: Number }) as { retryDelay?: { seconds?: number; nanos?: number } };
            retryDelayMs = (r.retryDelay?.seconds ?? 0) * 1000 + (r.retryDelay?.nanos ?? 0) / 1e6;
          }
        }
        resolve({ code: err.code, details: err.details, retryDelayMs });
      },
    );
  });
}
