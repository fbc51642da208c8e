import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { findProtoDir, otlpProtoTypes } from '../../src/otlp/proto-schema.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

describe('vendored OTLP .proto files', () => {
  it('are found from src/ and from where tsc puts the compiled module', () => {
    const expected = join(repoRoot, 'proto');
    expect(findProtoDir()).toBe(expected);
    expect(findProtoDir(join(repoRoot, 'dist', 'otlp'))).toBe(expected);
    expect(findProtoDir(join(repoRoot, 'dist', 'src', 'otlp'))).toBe(expected);
    expect(() => findProtoDir('/')).toThrow(/cannot find proto\//);
  });

  it('are loaded once', () => {
    expect(otlpProtoTypes()).toBe(otlpProtoTypes());
  });

  it('carry an Apache-2.0 notice naming opentelemetry-proto v1.11.0, and a README', async () => {
    const { readFileSync } = await import('node:fs');
    for (const f of [
      'opentelemetry/proto/collector/trace/v1/trace_service.proto',
      'opentelemetry/proto/trace/v1/trace.proto',
      'opentelemetry/proto/common/v1/common.proto',
      'opentelemetry/proto/resource/v1/resource.proto',
    ]) {
      const text = readFileSync(join(repoRoot, 'proto', f), 'utf8');
      expect(text).toContain('Apache License, Version 2.0');
      expect(text).toContain('opentelemetry-proto v1.11.0');
    }
    expect(existsSync(join(repoRoot, 'proto', 'README.md'))).toBe(true);
  });

  // Field numbers from opentelemetry-proto v1.11.0 (and google.rpc.Status): the wire contract.
  const fieldTable: [string, Record<string, [number, string, boolean?]>][] = [
    ['opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest', { resource_spans: [1, 'ResourceSpans', true] }],
    ['opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse', { partial_success: [1, 'ExportTracePartialSuccess'] }],
    ['opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess', { rejected_spans: [1, 'int64'], error_message: [2, 'string'] }],
    ['opentelemetry.proto.trace.v1.ResourceSpans', { resource: [1, 'Resource'], scope_spans: [2, 'ScopeSpans', true], schema_url: [3, 'string'] }],
    ['opentelemetry.proto.trace.v1.ScopeSpans', { scope: [1, 'InstrumentationScope'], spans: [2, 'Span', true], schema_url: [3, 'string'] }],
    [
      'opentelemetry.proto.trace.v1.Span',
      {
        trace_id: [1, 'bytes'],
        span_id: [2, 'bytes'],
        trace_state: [3, 'string'],
        parent_span_id: [4, 'bytes'],
        flags: [16, 'fixed32'],
        name: [5, 'string'],
        kind: [6, 'SpanKind'],
        start_time_unix_nano: [7, 'fixed64'],
        end_time_unix_nano: [8, 'fixed64'],
        attributes: [9, 'KeyValue', true],
        dropped_attributes_count: [10, 'uint32'],
        events: [11, 'Event', true],
        dropped_events_count: [12, 'uint32'],
        links: [13, 'Link', true],
        dropped_links_count: [14, 'uint32'],
        status: [15, 'Status'],
      },
    ],
    [
      'opentelemetry.proto.trace.v1.Span.Event',
      { time_unix_nano: [1, 'fixed64'], name: [2, 'string'], attributes: [3, 'KeyValue', true], dropped_attributes_count: [4, 'uint32'] },
    ],
    [
      'opentelemetry.proto.trace.v1.Span.Link',
      {
        trace_id: [1, 'bytes'],
        span_id: [2, 'bytes'],
        trace_state: [3, 'string'],
        attributes: [4, 'KeyValue', true],
        dropped_attributes_count: [5, 'uint32'],
        flags: [6, 'fixed32'],
      },
    ],
    ['opentelemetry.proto.trace.v1.Status', { message: [2, 'string'], code: [3, 'StatusCode'] }],
    [
      'opentelemetry.proto.common.v1.AnyValue',
      {
        string_value: [1, 'string'],
        bool_value: [2, 'bool'],
        int_value: [3, 'int64'],
        double_value: [4, 'double'],
        array_value: [5, 'ArrayValue'],
        kvlist_value: [6, 'KeyValueList'],
        bytes_value: [7, 'bytes'],
        string_value_strindex: [8, 'int32'],
      },
    ],
    ['opentelemetry.proto.common.v1.ArrayValue', { values: [1, 'AnyValue', true] }],
    ['opentelemetry.proto.common.v1.KeyValueList', { values: [1, 'KeyValue', true] }],
    ['opentelemetry.proto.common.v1.KeyValue', { key: [1, 'string'], value: [2, 'AnyValue'], key_strindex: [3, 'int32'] }],
    [
      'opentelemetry.proto.common.v1.InstrumentationScope',
      { name: [1, 'string'], version: [2, 'string'], attributes: [3, 'KeyValue', true], dropped_attributes_count: [4, 'uint32'] },
    ],
    [
      'opentelemetry.proto.common.v1.EntityRef',
      { schema_url: [1, 'string'], type: [2, 'string'], id_keys: [3, 'string', true], description_keys: [4, 'string', true] },
    ],
    [
      'opentelemetry.proto.resource.v1.Resource',
      { attributes: [1, 'KeyValue', true], dropped_attributes_count: [2, 'uint32'], entity_refs: [3, 'EntityRef', true] },
    ],
    ['google.rpc.Status', { code: [1, 'int32'], message: [2, 'string'], details: [3, 'Any', true] }],
  ];

  it.each(fieldTable)('%s has the upstream field numbers and types', (typeName, fields) => {
    const root = otlpProtoTypes().exportRequest.root;
    const type = root.lookupType(typeName);
    const actual = Object.fromEntries(
      type.fieldsArray.map((f: protobuf.Field) => [toSnake(f.name), [f.id, f.resolvedType ? f.resolvedType.name : f.type, f.repeated || undefined]]),
    );
    const expected = Object.fromEntries(Object.entries(fields).map(([k, [id, t, rep]]) => [k, [id, t, rep]]));
    expect(actual).toEqual(expected);
  });

  it('enums have the upstream values', () => {
    const root = otlpProtoTypes().exportRequest.root;
    expect(root.lookupEnum('opentelemetry.proto.trace.v1.Span.SpanKind').values).toEqual({
      SPAN_KIND_UNSPECIFIED: 0,
      SPAN_KIND_INTERNAL: 1,
      SPAN_KIND_SERVER: 2,
      SPAN_KIND_CLIENT: 3,
      SPAN_KIND_PRODUCER: 4,
      SPAN_KIND_CONSUMER: 5,
    });
    expect(root.lookupEnum('opentelemetry.proto.trace.v1.Status.StatusCode').values).toEqual({
      STATUS_CODE_UNSET: 0,
      STATUS_CODE_OK: 1,
      STATUS_CODE_ERROR: 2,
    });
    expect(root.lookupEnum('opentelemetry.proto.trace.v1.SpanFlags').values).toEqual({
      SPAN_FLAGS_DO_NOT_USE: 0,
      SPAN_FLAGS_TRACE_FLAGS_MASK: 0xff,
      SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK: 0x100,
      SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK: 0x200,
    });
  });
});

/** protobufjs camelCases field names on load; the table uses the .proto spelling. */
function toSnake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
