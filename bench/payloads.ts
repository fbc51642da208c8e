/**
 * Realistic gen_ai OTLP payloads for the benchmarks, pre-generated once and made unique per request by patching the
 * first 8 bytes of every trace id in place (no re-encoding on the load generator's hot path).
 *
 * A run of n spans is: the agent root (workflow, with its input/output), then alternating LLM calls (system
 * instructions, ~0.6 KB of input messages, ~0.3 KB of output, tokens, tool definitions) and tool calls (~0.2 KB of
 * arguments, ~0.4 KB of result). The root comes last in its request, as a batch processor exports it: it ends last.
 */
import { otlpProtoTypes } from '../src/otlp/proto-schema.js';

export type Format = 'protobuf' | 'json';

/** Trace ids start with this 8-byte marker in a template, to be found and patched per request. */
const MARK = 'a73c5e91d2b4f608';
const MARK_BYTES = Buffer.from(MARK, 'hex');

type Kv = { key: string; value: Record<string, unknown> };
type JsonSpan = Record<string, unknown>;

const s = (v: string) => ({ stringValue: v });
const i = (v: number) => ({ intValue: String(v) });
const kv = (key: string, value: Record<string, unknown>): Kv => ({ key, value });

const LOREM =
  'The quarterly report shows revenue growth in the north-east region driven by enterprise renewals, while churn in ' +
  'the self-serve tier rose slightly after the pricing change. Support tickets about invoices doubled in March. ';

function text(len: number, seed: number): string {
  let out = `#${seed} `;
  while (out.length < len) out += LOREM;
  return out.slice(0, len);
}

const hex16 = (n: number) => n.toString(16).padStart(16, '0');
const ns = (ms: number) => String(BigInt(Math.round(ms * 1000)) * 1000n);

/** The spans of one run (trace) in export order: children first, the root last. */
function runSpans(traceIndex: number, n: number, t0: number, seed: number): JsonSpan[] {
  const traceId = MARK + hex16(traceIndex);
  const rootId = hex16(0x1000 + 1);
  const spans: JsonSpan[] = [];
  const base = { traceId, parentSpanId: rootId };
  for (let k = 1; k < n; k++) {
    const start = t0 + k * 20;
    const spanId = hex16(0x1000 + 1 + k);
    if (k % 2 === 1) {
      spans.push({
        ...base,
        spanId,
        name: 'chat gpt-4o',
        kind: 3,
        startTimeUnixNano: ns(start),
        endTimeUnixNano: ns(start + 15),
        attributes: [
          kv('gen_ai.operation.name', s('chat')),
          kv('gen_ai.provider.name', s('openai')),
          kv('gen_ai.request.model', s('gpt-4o')),
          kv('gen_ai.response.model', s('gpt-4o-2024-08-06')),
          kv('gen_ai.request.max_tokens', i(1024)),
          kv('gen_ai.usage.input_tokens', i(180 + k)),
          kv('gen_ai.usage.output_tokens', i(60 + k)),
          kv('gen_ai.response.finish_reasons', { arrayValue: { values: [s(k === n - 1 ? 'stop' : 'tool_calls')] } }),
          kv('gen_ai.system_instructions', s(JSON.stringify([{ type: 'text', content: text(200, 7) }]))),
          kv('gen_ai.tool.definitions', s('[{"type":"function","name":"search_docs"},{"type":"function","name":"get_invoice"}]')),
          kv('gen_ai.input.messages', s(JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: text(560, seed + k) }] }]))),
          kv(
            'gen_ai.output.messages',
            s(JSON.stringify([{ role: 'assistant', finish_reason: 'stop', parts: [{ type: 'text', content: text(260, seed + k + 1) }] }])),
          ),
        ],
        status: {},
      });
    } else {
      const tool = k % 4 === 0 ? 'search_docs' : 'get_invoice';
      spans.push({
        ...base,
        spanId,
        name: `execute_tool ${tool}`,
        kind: 1,
        startTimeUnixNano: ns(start),
        endTimeUnixNano: ns(start + 5),
        attributes: [
          kv('gen_ai.operation.name', s('execute_tool')),
          kv('gen_ai.tool.name', s(tool)),
          kv('gen_ai.tool.call.id', s(`call_${seed}_${k}`)),
          // A clean agent's arguments copy what the run was given (its input starts "#<seed>"): an invented id would
          // be a TOOL_ARGUMENT_FABRICATION on every run (it was, until the content-aware detectors said so).
          kv('gen_ai.tool.call.arguments', s(JSON.stringify({ query: text(160, seed), limit: 5, page: (k % 50) + 1 }))),
          kv('gen_ai.tool.call.result', s(JSON.stringify({ hits: [text(380, seed * 17 + k)] }))),
        ],
        status: {},
      });
    }
  }
  const rootAttrs =
    n === 1
      ? // A one-span trace: the root is the LLM call itself (as single-call instrumentations emit it).
        [
          kv('gen_ai.operation.name', s('chat')),
          kv('gen_ai.provider.name', s('openai')),
          kv('gen_ai.request.model', s('gpt-4o')),
          kv('gen_ai.usage.input_tokens', i(210)),
          kv('gen_ai.usage.output_tokens', i(70)),
          kv('gen_ai.response.finish_reasons', { arrayValue: { values: [s('stop')] } }),
          kv('gen_ai.input.messages', s(JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: text(560, seed) }] }]))),
          kv(
            'gen_ai.output.messages',
            s(JSON.stringify([{ role: 'assistant', finish_reason: 'stop', parts: [{ type: 'text', content: text(260, seed + 1) }] }])),
          ),
        ]
      : [
          kv('traceloop.span.kind', s('workflow')),
          kv('traceloop.workflow.name', s('support-agent')),
          kv('traceloop.entity.input', s(JSON.stringify({ question: text(200, seed) }))),
          kv('traceloop.entity.output', s(JSON.stringify({ answer: text(200, seed + 3) }))),
        ];
  spans.push({
    traceId,
    spanId: rootId,
    parentSpanId: '',
    name: n === 1 ? 'chat gpt-4o' : 'support-agent.workflow',
    kind: n === 1 ? 3 : 1,
    startTimeUnixNano: ns(t0),
    endTimeUnixNano: ns(t0 + n * 20 + 10),
    attributes: rootAttrs,
    status: { code: 1 },
  });
  return spans;
}

function exportRequest(spans: JsonSpan[]) {
  return {
    resourceSpans: [
      {
        resource: { attributes: [kv('service.name', s('bench-agent')), kv('service.version', s('1.4.2')), kv('telemetry.sdk.language', s('nodejs'))] },
        scopeSpans: [{ scope: { name: 'opentelemetry.instrumentation.openai', version: '0.1.0' }, spans }],
      },
    ],
  };
}

/** OTLP/JSON request object → the protobufjs object shape (bytes as Buffers, 64-bit ints as strings). */
function toProtoObject(req: ReturnType<typeof exportRequest>) {
  return {
    resourceSpans: req.resourceSpans.map((rs) => ({
      resource: rs.resource,
      scopeSpans: rs.scopeSpans.map((ss) => ({
        scope: ss.scope,
        spans: ss.spans.map((sp) => ({
          ...sp,
          traceId: Buffer.from(sp.traceId as string, 'hex'),
          spanId: Buffer.from(sp.spanId as string, 'hex'),
          parentSpanId: Buffer.from(sp.parentSpanId as string, 'hex'),
        })),
      })),
    })),
  };
}

export function encode(req: ReturnType<typeof exportRequest>, format: Format): Buffer {
  if (format === 'json') return Buffer.from(JSON.stringify(req));
  const { exportRequest: T } = otlpProtoTypes();
  return Buffer.from(T.encode(T.fromObject(toProtoObject(req))).finish());
}

/** An encoded request plus where its trace ids are, to make every copy unique. */
export interface Template {
  body: Buffer;
  format: Format;
  spans: number;
  /** Byte offsets of the first 8 bytes (protobuf) / 16 hex chars (JSON) of each trace id. */
  offsets: number[];
}

function locate(body: Buffer, format: Format): number[] {
  const needle = format === 'json' ? Buffer.from(`"traceId":"${MARK}`) : Buffer.concat([Buffer.from([0x0a, 0x10]), MARK_BYTES]);
  const skip = format === 'json' ? '"traceId":"'.length : 2;
  const out: number[] = [];
  for (let at = body.indexOf(needle); at >= 0; at = body.indexOf(needle, at + 1)) out.push(at + skip);
  return out;
}

function template(spans: JsonSpan[], format: Format): Template {
  const body = encode(exportRequest(spans), format);
  const offsets = locate(body, format);
  if (offsets.length !== spans.length) throw new Error(`payload template: found ${offsets.length} trace ids for ${spans.length} spans`);
  return { body, format, spans: spans.length, offsets };
}

/**
 * Requests of `spansPerRequest` spans from several whole runs of `runLength` spans each (a batch processor's export
 * of finished traces). 1 span per request = one-span runs.
 */
export function mixedTemplate(spansPerRequest: number, format: Format, runLength = 10, t0 = Date.now() - 60_000): Template {
  const spans: JsonSpan[] = [];
  for (let r = 0; spans.length < spansPerRequest; r++) {
    const n = Math.min(runLength, spansPerRequest - spans.length);
    spans.push(...runSpans(r, n, t0 + r * 7, r * 101 + 1));
  }
  return template(spans, format);
}

/** One long run of `runLength` spans cut into requests of `chunk` spans (the root in the last one): one template each. */
export function longRunTemplates(runLength: number, chunk: number, format: Format, t0 = Date.now() - 600_000): Template[] {
  const spans = runSpans(0, runLength, t0, 5);
  const out: Template[] = [];
  for (let k = 0; k < spans.length; k += chunk) out.push(template(spans.slice(k, k + chunk), format));
  return out;
}

/**
 * A copy of the template whose trace ids all start with (id, salt): a run is unique per (id, salt, index in the
 * template). id must be ≥ 1 (an all-zero trace id is invalid).
 */
export function stamp(t: Template, id: number, salt: number): Buffer {
  const out = Buffer.from(t.body);
  if (t.format === 'json') {
    const h = (id >>> 0).toString(16).padStart(8, '0') + (salt >>> 0).toString(16).padStart(8, '0');
    for (const o of t.offsets) out.write(h, o, 'latin1');
  } else {
    for (const o of t.offsets) {
      out.writeUInt32BE(id >>> 0, o);
      out.writeUInt32BE(salt >>> 0, o + 4);
    }
  }
  return out;
}

export const CONTENT_TYPE: Record<Format, string> = { protobuf: 'application/x-protobuf', json: 'application/json' };
