import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CONTENT_ATTRIBUTE_KEYS,
  CONTENT_FACTS_MARKER,
  CONTENT_FACTS_PREFIX,
  CONTENT_FACTS_VERSION,
  createHasher,
  decodeContentFacts,
  encodeContentFacts,
  isDigest,
  mapSpan,
  redactSpan,
} from '../../src/mapping/index.js';
import type { AttrValue, Attributes, OtlpSpan } from '../../src/otlp/model.js';

/**
 * Properties of the mapping core over arbitrary spans: it never throws whatever the attribute values, raw content
 * never reaches its output, redaction is idempotent and maps like the raw span, the content codec only lets digests
 * and known values through.
 */
const RUNS = { numRuns: 300 };
const hasher = createHasher({ key: 'property-test-key' });
const json = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x instanceof Uint8Array ? [...x] : x));

/** Any decoded attribute value: the shapes both decoders produce, nested, with hostile strings and numbers. */
const attrValue: fc.Arbitrary<AttrValue> = fc.letrec<{ v: AttrValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.string({ unit: 'binary', maxLength: 30 }),
    fc.constantFrom('', '\u0000', '\ud800', '[', '{"role":', 'null', '[{"role":"user"}]', 'tool_calls', 'stop', 'NaN'),
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.uint8Array({ maxLength: 8 }),
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('v'), { maxKeys: 3 }),
  ),
})).v;

/** Keys the mapper reads (structure, not content), so arbitrary values land where parsing happens. */
const KNOWN_KEYS = [
  'gen_ai.operation.name',
  'gen_ai.provider.name',
  'gen_ai.system',
  'gen_ai.request.model',
  'gen_ai.response.model',
  'gen_ai.usage.input_tokens',
  'gen_ai.usage.output_tokens',
  'gen_ai.response.finish_reasons',
  'gen_ai.tool.name',
  'gen_ai.tool.call.id',
  'gen_ai.agent.name',
  'gen_ai.conversation.id',
  'traceloop.span.kind',
  'traceloop.entity.name',
  'openinference.span.kind',
  'llm.token_count.prompt',
  'tool.name',
  'http.response.status_code',
  'error.type',
  'db.system',
  'db.vector.query.top_k',
  'genkit:type',
  'genkit:name',
  'ai.operationId',
  'ai.toolCall.name',
  'dunetrace.content.v',
  'dunetrace.content.tools',
  'dunetrace.content.input.hash',
  'dunetrace.content.input.length',
  'service.name',
];

const SPAN_NAMES = ['chat gpt-4o', 'execute_tool search', 'invoke_agent a', 'retrieval x', 'x.workflow', 'x.task', 'ai.generateText', 'embeddings e'];

const structuralAttrs: fc.Arbitrary<Attributes> = fc
  .array(fc.tuple(fc.oneof(fc.constantFrom(...KNOWN_KEYS), fc.string({ maxLength: 20 })), attrValue), { maxLength: 8 })
  .map((kvs) => {
    const out: Attributes = {};
    for (const [k, v] of kvs) out[k] = v;
    return out;
  });

function span(p: { name: string; root: boolean; attributes: Attributes; events: OtlpSpan['events']; status: OtlpSpan['status'] }): OtlpSpan {
  return {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203332',
    parentSpanId: p.root ? '' : 'b7ad6b7169203331',
    name: p.name,
    kind: 1,
    startTimeUnixNano: 1_767_225_600_000_000_000n,
    endTimeUnixNano: 1_767_225_601_500_000_000n,
    attributes: p.attributes,
    events: p.events,
    status: p.status,
    resource: { attributes: { 'service.name': 'prop-agent' } },
    scope: { name: 'prop', version: '1' },
  };
}

const events = (attrs: fc.Arbitrary<Attributes>) =>
  fc.array(
    fc.record({
      name: fc.constantFrom('exception', 'gen_ai.content.prompt', 'gen_ai.choice', 'retrieval', 'x'),
      timeUnixNano: fc.constant(1n),
      attributes: attrs,
    }),
    { maxLength: 3 },
  );

const arbitrarySpan = fc
  .record({
    name: fc.oneof(fc.constantFrom(...SPAN_NAMES), fc.string({ maxLength: 20 })),
    root: fc.boolean(),
    attributes: structuralAttrs,
    events: events(structuralAttrs),
    status: fc.record({ code: fc.constantFrom(0 as const, 1 as const, 2 as const), message: fc.string({ maxLength: 20 }) }),
  })
  .map(span);

// --- content canaries -------------------------------------------------------------------------------------------

const CANARY = 'CANARY-5e1d0b';
/** Content as senders put it: plain text, message lists (text and parts forms), lists of texts; canary inside. */
const contentValue: fc.Arbitrary<AttrValue> = fc.tuple(fc.string({ maxLength: 12 }), fc.nat(3)).map(([noise, shape]): AttrValue => {
  const text = `${noise} ${CANARY} ${noise}`;
  if (shape === 0) return text;
  if (shape === 1) return JSON.stringify([{ role: 'user', content: text }]);
  if (shape === 2) return JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: text }] }]);
  return [text, text];
});
const CONTENT_KEYS = [...CONTENT_ATTRIBUTE_KEYS, 'gen_ai.prompt.0.content', 'gen_ai.completion.0.content', 'llm.input_messages.0.message.content'];

const spanWithContent = fc
  .record({
    name: fc.constantFrom(...SPAN_NAMES),
    root: fc.boolean(),
    structure: structuralAttrs,
    content: fc.array(fc.tuple(fc.constantFrom(...CONTENT_KEYS), contentValue), { minLength: 1, maxLength: 6 }),
    inStatus: fc.boolean(),
    inException: fc.boolean(),
  })
  .map(({ name, root, structure, content, inStatus, inException }) => {
    const attributes: Attributes = { ...structure };
    for (const [k, v] of content) attributes[k] = v;
    return span({
      name,
      root,
      attributes,
      events: inException
        ? [
            {
              name: 'exception',
              timeUnixNano: 1n,
              attributes: { 'exception.type': 'E', 'exception.message': `m ${CANARY}`, 'exception.stacktrace': `at ${CANARY}` },
            },
          ]
        : [],
      status: { code: inStatus ? 2 : 0, message: inStatus ? `failed: ${CANARY}` : '' },
    });
  });

describe('mapSpan over arbitrary spans', () => {
  it('never throws, whatever the attribute values, events and names', () => {
    fc.assert(
      fc.property(arbitrarySpan, (s) => {
        const m = mapSpan(s, { hasher });
        expect(m.span_id).toBe(s.spanId);
      }),
      RUNS,
    );
  });

  it('identities (agent, service, version) come out fit for a TEXT column: no control characters, no lone surrogates', () => {
    const hostile = fc.oneof(fc.string({ unit: 'binary', maxLength: 20 }), fc.constantFrom('a\u0000b', '\u0000', '\ud800x', 'x\udc00', '\u0007\u001b'));
    const keys = ['service.name', 'service.version', 'dunetrace.agent_id', 'dunetrace.agent_version', 'gen_ai.agent.name'];
    fc.assert(
      fc.property(arbitrarySpan, fc.array(fc.tuple(fc.constantFrom(...keys), hostile), { minLength: 1, maxLength: 5 }), (s, kvs) => {
        const attrs: Attributes = {};
        for (const [k, v] of kvs) attrs[k] = v;
        const m = mapSpan({ ...s, attributes: { ...s.attributes, ...attrs }, resource: { attributes: attrs } }, { hasher });
        for (const v of [m.agent_id, m.agent_name, m.service_name, m.agent_version]) {
          if (v === null) continue;
          // eslint-disable-next-line no-control-regex -- control characters are what must not come out
          expect(v).not.toMatch(/[\u0000-\u001f\u007f]/);
          expect(v).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
        }
      }),
      RUNS,
    );
  });

  it('raw content (attributes, message lists, status, exception) never reaches the mapped span', () => {
    fc.assert(
      fc.property(spanWithContent, (s) => {
        expect(json(s)).toContain(CANARY);
        expect(json(mapSpan(s, { hasher }))).not.toContain(CANARY);
      }),
      RUNS,
    );
  });
});

describe('redactSpan over arbitrary spans', () => {
  it('leaves no raw content in the redacted span', () => {
    fc.assert(
      fc.property(spanWithContent, (s) => {
        expect(json(redactSpan(s, { hasher }))).not.toContain(CANARY);
      }),
      RUNS,
    );
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(fc.oneof(arbitrarySpan, spanWithContent), (s) => {
        const once = redactSpan(s, { hasher });
        expect(redactSpan(once, { hasher })).toEqual(once);
      }),
      RUNS,
    );
  });

  it('maps the same as the raw span (the receiver decodes the facts instead of recomputing them)', () => {
    fc.assert(
      fc.property(fc.oneof(arbitrarySpan, spanWithContent), (s) => {
        expect(mapSpan(redactSpan(s, { hasher }), { hasher })).toEqual(mapSpan(s, { hasher }));
      }),
      RUNS,
    );
  });
});

describe('content codec', () => {
  const factsAttrs = fc
    .array(
      fc.tuple(
        fc.constantFrom(
          'input.hash',
          'input.length',
          'output.hash',
          'output.length',
          'args.hash',
          'system.hash',
          'error.hash',
          'finish_reasons',
          'tool_calls.names',
          'tool_calls.args_hashes',
          'tools',
          'injection.patterns',
          'injection.count',
          'injection.input_length',
          'documents.count',
          'documents.top_score',
        ),
        fc.oneof(attrValue, fc.constant('a'.repeat(64)), fc.constant(`${CANARY}`.padEnd(64, '0')), fc.constant<AttrValue>([CANARY])),
      ),
      { maxLength: 10 },
    )
    .map((kvs) => {
      const out: Attributes = { [CONTENT_FACTS_MARKER]: CONTENT_FACTS_VERSION };
      for (const [k, v] of kvs) out[CONTENT_FACTS_PREFIX + k] = v;
      return out;
    });

  it('decodes arbitrary facts without throwing; only digests come out as hashes, only known values as labels', () => {
    fc.assert(
      fc.property(factsAttrs, (a) => {
        const f = decodeContentFacts(a);
        for (const m of [f.input, f.user, f.output, f.args, f.result]) if (m) expect(isDigest(m.hash)).toBe(true);
        for (const h of [f.system, f.query, f.error]) if (h !== null) expect(isDigest(h)).toBe(true);
        for (const t of f.tool_calls) if (t.args_hash !== null) expect(isDigest(t.args_hash)).toBe(true);
        expect(json(f.finish_reasons ?? [])).not.toContain(CANARY);
        expect(json(f.injection ?? {})).not.toContain(CANARY);
      }),
      RUNS,
    );
  });

  it('encode ∘ decode is a fixpoint', () => {
    fc.assert(
      fc.property(factsAttrs, (a) => {
        const f = decodeContentFacts(a);
        const out: Attributes = {};
        encodeContentFacts(f, out);
        expect(decodeContentFacts(out)).toEqual(f);
      }),
      RUNS,
    );
  });
});
