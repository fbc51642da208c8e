import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeExport } from '../../src/otlp/index.js';
import { otlpProtoTypes } from '../../src/otlp/proto-schema.js';

/** Real OTLP/JSON captured from Python emitters (shared, read-only fixtures next to the repo). */
const CAPTURES = fileURLToPath(new URL('../fixtures/emitter-captures/', import.meta.url));
const load = (name: string) => readFileSync(`${CAPTURES}${name}`);

describe('golden emitter captures (OTLP/JSON)', () => {
  it('openlit-python: one ERROR chat span', () => {
    const r = decodeExport(load('openlit-python.json'), 'json');
    expect(r.rejectedSpans).toBe(0);
    expect(r.spans).toHaveLength(1);
    const [s] = r.spans;
    expect(s.name).toBe('chat gpt-4o');
    expect(s.traceId).toBe('4e1b3e35451dcbcc4b3585797164a7a3');
    expect(s.spanId).toBe('633960884cc4623a');
    expect(s.parentSpanId).toBe('');
    expect(s.kind).toBe(0); // not sent: default UNSPECIFIED
    expect(s.startTimeUnixNano).toBe(1784852272122267000n);
    expect(s.endTimeUnixNano).toBe(1784852272226389000n);
    expect(s.status).toEqual({ code: 2, message: '' });
    expect(s.attributes['server.port']).toBe(443); // intValue sent as a string
    expect(s.attributes['gen_ai.request.stream']).toBe(false);
    expect(s.attributes['error.type']).toBe('AttributeError');
    expect(s.resource.attributes['service.name']).toBe('openlit-agent');
    expect(s.scope).toEqual({ name: '', version: '' });
  });

  it('otel-contrib-python: doubles, string arrays, token counts', () => {
    const r = decodeExport(load('otel-contrib-python.json'), 'json');
    expect(r.spans.map((s) => s.name)).toEqual(['chat gpt-4o']);
    const a = r.spans[0].attributes;
    expect(a['gen_ai.request.temperature']).toBe(0.2);
    expect(a['gen_ai.response.finish_reasons']).toEqual(['stop']);
    expect(a['gen_ai.usage.input_tokens']).toBe(24);
    expect(a['gen_ai.usage.output_tokens']).toBe(8);
    expect(r.spans[0].status.code).toBe(0);
    expect(r.spans[0].resource.attributes['service.name']).toBe('otel-contrib-agent');
  });

  it('traceloop-python: message content attributes stay strings', () => {
    const r = decodeExport(load('traceloop-python.json'), 'json');
    expect(r.spans.map((s) => s.name)).toEqual(['openai.chat']);
    const a = r.spans[0].attributes;
    expect(Object.keys(a)).toHaveLength(14);
    expect(a['gen_ai.usage.total_tokens']).toBe(32);
    expect(typeof a['gen_ai.input.messages']).toBe('string');
    expect(JSON.parse(a['gen_ai.input.messages'] as string)[0].role).toBe('user');
    expect(r.spans[0].resource.attributes['service.name']).toBe('traceloop-agent');
  });

  it.each(['openlit-python.json', 'otel-contrib-python.json', 'traceloop-python.json'])('%s decodes identically after a protobuf round trip', (name) => {
    // Re-encode the capture as protobuf with the proto3 JSON mapping (ids hex → bytes) and compare decoders.
    const json = JSON.parse(load(name).toString()) as { resourceSpans: { scopeSpans: { spans: Record<string, string>[] }[] }[] };
    for (const rs of json.resourceSpans)
      for (const ss of rs.scopeSpans)
        for (const sp of ss.spans) for (const k of ['traceId', 'spanId', 'parentSpanId']) sp[k] = Buffer.from(sp[k] ?? '', 'hex').toString('base64');
    const { exportRequest } = otlpProtoTypes();
    const proto = Buffer.from(exportRequest.encode(exportRequest.fromObject(json)).finish());
    expect(decodeExport(proto, 'protobuf')).toEqual(decodeExport(load(name), 'json'));
  });
});
