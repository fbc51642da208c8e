/** A minimal OTLP/JSON export of the given spans (one resource). */
export function otlpJson(spans: object[], resource: Record<string, string> = { 'service.name': 'svc' }) {
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: Object.entries(resource).map(([key, v]) => ({ key, value: { stringValue: v } })) },
        scopeSpans: [{ scope: { name: 'test' }, spans }],
      },
    ],
  });
}

export function jsonSpan(o: {
  traceId: string;
  spanId: string;
  parent?: string;
  name: string;
  start: number;
  end: number;
  attrs?: Record<string, string | number>;
  error?: boolean;
}) {
  return {
    traceId: o.traceId,
    spanId: o.spanId,
    parentSpanId: o.parent ?? '',
    name: o.name,
    kind: 1,
    startTimeUnixNano: String(BigInt(o.start) * 1_000_000n),
    endTimeUnixNano: String(BigInt(o.end) * 1_000_000n),
    attributes: Object.entries(o.attrs ?? {}).map(([key, v]) => ({ key, value: typeof v === 'number' ? { intValue: String(v) } : { stringValue: v } })),
    status: o.error ? { code: 2, message: 'boom' } : {},
  };
}
