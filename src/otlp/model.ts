/**
 * The decoded, encoding-neutral shape of an OTLP trace export. Both the protobuf and the JSON decoder
 * produce exactly this, so everything downstream (mapping, runs) never sees wire details.
 */

/** An OTLP AnyValue, decoded. int64 values become `number` (token counts, ports: all well inside 2^53). */
export type AttrValue = string | number | boolean | Uint8Array | null | AttrValue[] | { [key: string]: AttrValue };

export type Attributes = Record<string, AttrValue>;

/** OTLP wire enum (1-based): UNSPECIFIED 0, INTERNAL 1, SERVER 2, CLIENT 3, PRODUCER 4, CONSUMER 5. */
export type OtlpSpanKind = 0 | 1 | 2 | 3 | 4 | 5;

/** OTLP status code: UNSET 0, OK 1, ERROR 2. */
export type OtlpStatusCode = 0 | 1 | 2;

export interface OtlpSpanEvent {
  name: string;
  /** Unix epoch nanoseconds, exact. */
  timeUnixNano: bigint;
  attributes: Attributes;
}

export interface OtlpResource {
  attributes: Attributes;
}

export interface OtlpScope {
  name: string;
  version: string;
}

export interface OtlpSpan {
  /** 32 lowercase hex chars. */
  traceId: string;
  /** 16 lowercase hex chars. */
  spanId: string;
  /** 16 lowercase hex chars, or '' for a root span (empty or all-zero on the wire). */
  parentSpanId: string;
  name: string;
  kind: OtlpSpanKind;
  /** Unix epoch nanoseconds, exact. */
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Attributes;
  events: OtlpSpanEvent[];
  status: { code: OtlpStatusCode; message: string };
  /** Shared by reference between the spans of one ResourceSpans / ScopeSpans. */
  resource: OtlpResource;
  scope: OtlpScope;
}

/** Result of decoding one ExportTraceServiceRequest. */
export interface DecodedExport {
  spans: OtlpSpan[];
  /** Spans that were structurally invalid (bad ids, …) and were not accepted: reported as partial_success. */
  rejectedSpans: number;
  /** Human-readable reasons for rejected spans (first few), for partial_success.error_message. */
  rejectedReasons: string[];
}
