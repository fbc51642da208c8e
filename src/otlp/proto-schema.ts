/**
 * Loads the vendored OTLP .proto files (proto/ at the package root) with protobufjs, once, on first use.
 * The only file I/O of the decode layer.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const TRACE_SERVICE = 'opentelemetry/proto/collector/trace/v1/trace_service.proto';
const RPC_STATUS = 'google/rpc/status.proto';
const RETRY_INFO = 'google/rpc/retry_info.proto';

export interface OtlpProtoTypes {
  exportRequest: protobuf.Type;
  exportResponse: protobuf.Type;
  rpcStatus: protobuf.Type;
  retryInfo: protobuf.Type;
}

let cached: OtlpProtoTypes | undefined;

/**
 * The module sits at src/otlp/ under vitest/tsx and at dist/otlp/ (or dist/src/otlp/) after tsc, so the proto
 * directory is found by walking up to the package root rather than by a fixed relative path.
 */
export function findProtoDir(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ;) {
    const candidate = join(dir, 'proto');
    if (existsSync(join(dir, 'package.json')) && existsSync(join(candidate, TRACE_SERVICE))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`dunetrace-otel: cannot find proto/${TRACE_SERVICE} above ${from}`);
    dir = parent;
  }
}

export function otlpProtoTypes(): OtlpProtoTypes {
  if (cached) return cached;
  const dir = findProtoDir();
  const root = new protobuf.Root();
  // Imports in the .proto files are relative to proto/; google/protobuf/any.proto comes from protobufjs's bundle.
  root.resolvePath = (_origin, target) => join(dir, target);
  root.loadSync([TRACE_SERVICE, RPC_STATUS, RETRY_INFO]);
  root.resolveAll();
  cached = {
    exportRequest: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest'),
    exportResponse: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse'),
    rpcStatus: root.lookupType('google.rpc.Status'),
    retryInfo: root.lookupType('google.rpc.RetryInfo'),
  };
  return cached;
}
