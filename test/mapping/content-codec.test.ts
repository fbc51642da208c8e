import { readFileSync } from 'node:fs';
import { processFactSecret } from '../../src/mapping/facts/index.js';
import { describe, expect, it } from 'vitest';
import type { Attributes, OtlpSpan } from '../../src/otlp/model.js';
import {
  CONTENT_FACTS_MARKER,
  CONTENT_FACTS_PREFIX,
  CONTENT_FACTS_VERSION,
  classify,
  createHasher,
  decodeContentFacts,
  encodeContentFacts,
  extractContent,
  hasContentFacts,
  mapSpan,
  redactSpan,
  scanAttributes,
  type ContentFacts,
  type MappedSpan,
  type PayloadByType,
  type SpanEvent,
} from '../../src/mapping/index.js';
import { memoDigest } from '../../src/mapping/content/index.js';
import { DIRECTIVE_CODES } from '../../src/mapping/directives.js';
import { CANARY, DIALECT_FIXTURES } from './fixtures.js';
import { span, toJson } from './helpers.js';

const hasher = createHasher();
const d = (t: string): string => hasher.digest(t);

/** Every fact present, every optional encoding path taken (bounded scan, a tool call without arguments). */
const FULL: ContentFacts = {
  input: { hash: d('prompt'), length: 6 },
  user: { hash: d('user'), length: 4 },
  injection: {
    matched_pattern_count: 2,
    matched_patterns: ['ignore_instructions', 'jailbreak'],
    input_length: 40_000,
    scan_truncated: true,
    scanned_chars: 16_384,
  },
  system: d('system'),
  output: { hash: d(''), length: 0 },
  args: { hash: d('{"a":1}'), length: 7 },
  result: { hash: d('ok'), length: 2 },
  query: d('query'),
  error: d('boom'),
  finish_reasons: ['tool_calls', 'stop'],
  tool_calls: [
    { name: 'search', args_hash: d('{"q":"x"}') },
    { name: 'now', args_hash: null },
  ],
  tools: ['now', 'search'],
  documents: { count: 3, top_score: 0.91 },
  directives: [DIRECTIVE_CODES[0]],
  tools_in_input: ['search'],
  memory_source: 'tool_output',
  // version 2: content-aware detector facts
  reply_terms: { v: 1, completion: 0b10, ack: 0b1000_0000, length: 44 },
  tool_terms: { v: 1, error: 0b1001, output: 0 },
  grounding: { key: '0a1b2c3d', digests: ['00112233445566ff', 'ffeeddccbbaa9988'], truncated: true },
  arg_entities: { key: '0a1b2c3d', digests: ['0123456789abcdef'], types: ['int'], truncated: true },
  arg_destinations: { key: '0a1b2c3d', digests: ['fedcba9876543210'], types: ['email'], truncated: true },
  handoff_text: { length: 57, entities: { key: '0a1b2c3d', digests: ['1111222233334444'], truncated: true } },
  handoff_input: { length: 9, tokens: { key: '0a1b2c3d', digests: ['5555666677778888'], truncated: true } },
  // UNRESOLVED_AMBIGUITY
  warrant: { key: '0a1b2c3d', digests: ['1111111111111111'], truncated: true },
  arg_leaves: { key: '0a1b2c3d', digests: ['2222222222222222'], truncated: true },
  candidates: {
    key: '0a1b2c3d',
    sets: [
      {
        broad: false,
        records: [
          { ids: ['3333333333333333'], disc: ['4444444444444444', '5555555555555555'] },
          { ids: ['6666666666666666'], disc: [] },
        ],
      },
      { broad: true, records: [{ ids: [], disc: [] }] },
    ],
    truncated: true,
  },
};

/** The version 2 facts of FULL. */
const V2_KEYS = [
  'reply_terms',
  'tool_terms',
  'grounding',
  'arg_entities',
  'arg_destinations',
  'handoff_text',
  'handoff_input',
  'warrant',
  'arg_leaves',
  'candidates',
] as const;

/** No fact at all: what a span without content encodes. */
const NONE: ContentFacts = {
  input: null,
  user: null,
  injection: null,
  system: null,
  output: null,
  args: null,
  result: null,
  query: null,
  error: null,
  finish_reasons: null,
  tool_calls: [],
  tools: [],
  documents: null,
};

function encode(facts: ContentFacts): Attributes {
  const out: Attributes = {};
  encodeContentFacts(facts, out);
  return out;
}

function factsOf(s: OtlpSpan): ContentFacts {
  const index = scanAttributes(s.attributes);
  const category = classify(s.name, s.attributes, { hasVectorQuery: index.hasVectorQuery });
  return extractContent(s, { category, isRoot: s.parentSpanId === '', index, keyer: processFactSecret().forRun(s.traceId) }, memoDigest(hasher));
}

function ev<T extends SpanEvent['event_type']>(m: MappedSpan, type: T): PayloadByType[T] {
  const e = m.events.find((x) => x.event_type === type);
  if (!e) throw new Error(`no ${type}`);
  return e.payload as PayloadByType[T];
}

const V2_ATTRS = new Set([
  'dunetrace.content.terms.v',
  'dunetrace.content.reply.completion_terms',
  'dunetrace.content.reply.ack_terms',
  'dunetrace.content.reply.length',
  'dunetrace.content.tool.error_markers',
  'dunetrace.content.tool.output_markers',
  'dunetrace.content.fact_key',
  'dunetrace.content.grounding',
  'dunetrace.content.grounding.truncated',
  'dunetrace.content.arg_entities',
  'dunetrace.content.arg_entities.types',
  'dunetrace.content.arg_entities.truncated',
  'dunetrace.content.destinations',
  'dunetrace.content.destinations.types',
  'dunetrace.content.destinations.truncated',
  'dunetrace.content.handoff.length',
  'dunetrace.content.handoff.entities',
  'dunetrace.content.handoff.entities.truncated',
  'dunetrace.content.handoff_input.length',
  'dunetrace.content.handoff_input.tokens',
  'dunetrace.content.handoff_input.tokens.truncated',
  'dunetrace.content.warrant',
  'dunetrace.content.warrant.truncated',
  'dunetrace.content.arg_leaves',
  'dunetrace.content.arg_leaves.truncated',
  'dunetrace.content.candidates.sizes',
  'dunetrace.content.candidates.broad',
  'dunetrace.content.candidates.ids',
  'dunetrace.content.candidates.discriminators',
  'dunetrace.content.candidates.truncated',
]);

const withoutFacts = (a: Attributes): Attributes => Object.fromEntries(Object.entries(a).filter(([k]) => !k.startsWith(CONTENT_FACTS_PREFIX)));

describe('version 2 round trip: decode(encode(f)) = f', () => {
  it('a version 1 span (no version 2 keys, marker 1) still decodes, without the version 2 facts', () => {
    const v1 = Object.fromEntries(Object.entries(encode(FULL)).filter(([k]) => !V2_ATTRS.has(k)));
    const a = { ...v1, [CONTENT_FACTS_MARKER]: 1 };
    expect(hasContentFacts(a)).toBe(true);
    const expected: Record<string, unknown> = { ...FULL };
    for (const k of V2_KEYS) delete expected[k];
    expect(decodeContentFacts(a)).toEqual(expected);
    // A marker-1 span's version 2 keys are not read either.
    expect(decodeContentFacts({ ...encode(FULL), [CONTENT_FACTS_MARKER]: 1 })).toEqual(expected);
  });

  it('masks outside their vocabulary, unknown vocabulary versions and malformed digests are dropped or fail open', () => {
    const a = encode(FULL);
    const f = decodeContentFacts({
      ...a,
      'dunetrace.content.reply.completion_terms': 2 ** 20,
      'dunetrace.content.arg_entities': ['0123456789abcdef', `raw ${CANARY}`],
    });
    expect(f.reply_terms).toBeUndefined();
    expect(f.arg_entities).toEqual({ key: '0a1b2c3d', digests: ['0123456789abcdef'], types: ['int'], truncated: true });
    expect(decodeContentFacts({ ...a, 'dunetrace.content.terms.v': 99 }).tool_terms).toBeUndefined();
    expect(toJson(f)).not.toContain(CANARY);
  });

  it('every fact present', () => {
    const a = encode(FULL);
    expect(a[CONTENT_FACTS_MARKER]).toBe(2);
    expect(hasContentFacts(a)).toBe(true);
    expect(decodeContentFacts(a)).toEqual(FULL);
  });

  it('no fact: only the marker is written', () => {
    expect(encode(NONE)).toEqual({ 'dunetrace.content.v': 2 });
    expect(decodeContentFacts(encode(NONE))).toEqual(NONE);
  });

  it('each fact alone', () => {
    for (const key of Object.keys(FULL) as Array<keyof ContentFacts>) {
      // A tool named in the input is only a fact about a tool the span offers.
      const one: ContentFacts = { ...NONE, [key]: FULL[key], ...(key === 'tools_in_input' ? { tools: FULL.tools } : {}) };
      expect(decodeContentFacts(encode(one)), key).toEqual(one);
    }
  });

  it('hand-off facts with no entities: the length alone says the text was captured, the set decodes empty', () => {
    const empty = { key: '0a1b2c3d', digests: [], truncated: false };
    const f: ContentFacts = { ...NONE, handoff_text: { length: 12, entities: empty }, handoff_input: { length: 0, tokens: empty } };
    const a = encode(f);
    expect(a['dunetrace.content.handoff.entities']).toBeUndefined();
    expect(decodeContentFacts(a)).toEqual(f);
    // Without a valid key id the length is not trusted either.
    expect(decodeContentFacts({ ...a, 'dunetrace.content.fact_key': 'nope' }).handoff_text).toBeUndefined();
  });

  it('a tool named in the input that the span does not offer is dropped on decode', () => {
    expect(decodeContentFacts(encode({ ...NONE, tools_in_input: ['search'] })).tools_in_input).toBeUndefined();
  });

  it('an unbounded injection scan and a document list without scores', () => {
    const f: ContentFacts = {
      ...NONE,
      injection: { matched_pattern_count: 1, matched_patterns: ['pretend'], input_length: 30 },
      documents: { count: 2, top_score: null },
    };
    expect(decodeContentFacts(encode(f))).toEqual(f);
  });

  it.each(Object.entries(DIALECT_FIXTURES))('the facts extracted from %s (and as a root)', (_name, s) => {
    for (const x of [s, { ...s, parentSpanId: '' }]) {
      const facts = factsOf(x);
      expect(decodeContentFacts(encode(facts))).toEqual(facts);
    }
  });
});

describe('the keys are the documented ones (docs/content-codec.md)', () => {
  const doc = readFileSync(new URL('../../docs/content-codec.md', import.meta.url), 'utf8');
  const documented = new Set([...doc.matchAll(/^\| `(dunetrace\.content\.[a-z_.]+)` \|/gm)].map((m) => m[1]));

  it('the encoder writes exactly the keys of the version 1 and 2 tables', () => {
    expect(CONTENT_FACTS_VERSION).toBe(2);
    expect(new Set(Object.keys(encode(FULL)))).toEqual(documented);
  });

  it('every written key is under the prefix', () => {
    for (const k of documented) expect(k.startsWith(CONTENT_FACTS_PREFIX)).toBe(true);
  });
});

describe('compatibility: unknown versions are ignored', () => {
  it.each([
    ['3', 3],
    ['0', 0],
    ['the string "1"', '1'],
    ['true', true],
  ])('marker %s is not a known version', (_name, v) => {
    expect(hasContentFacts({ ...encode(FULL), [CONTENT_FACTS_MARKER]: v })).toBe(false);
  });

  it('no marker: not facts, whatever dunetrace.content.* keys are present', () => {
    const { [CONTENT_FACTS_MARKER]: _drop, ...rest } = encode(FULL);
    expect(hasContentFacts(rest)).toBe(false);
  });

  it('a redacted span with an unknown marker is mapped like a raw span of its attributes as they are (facts about digests)', () => {
    const raw = DIALECT_FIXTURES.semconvChat;
    const redacted = redactSpan(raw, { hasher });
    const future = { ...redacted, attributes: { ...redacted.attributes, [CONTENT_FACTS_MARKER]: 3, 'dunetrace.content.future_fact': 'x' } };
    const mapped = mapSpan(future, { hasher });
    // The facts are ignored: the same as the span with every dunetrace.content.* key removed.
    expect(mapped).toEqual(mapSpan({ ...redacted, attributes: withoutFacts(redacted.attributes) }, { hasher }));
    // …so they are facts about the digests the content attributes now hold, not about the raw content.
    const inputDigest = redacted.attributes['gen_ai.input.messages'] as string;
    expect(ev(mapped, 'llm.called')).toMatchObject({ input_hash: d(inputDigest), input_length: 32 });
    expect(ev(mapped, 'llm.responded')).toMatchObject({ output_length: 32, tool_calls: [] });
    // Finish reasons from ordinary attributes still count.
    expect(ev(mapped, 'llm.responded').finish_reasons).toEqual(ev(mapSpan(raw, { hasher }), 'llm.responded').finish_reasons);
    expect(toJson(mapped)).not.toContain(CANARY);
  });

  it('redacting a span with an unknown marker drops its facts, digests again and encodes version 2', () => {
    const once = redactSpan(DIALECT_FIXTURES.semconvChat, { hasher });
    const future: OtlpSpan = { ...once, attributes: { ...once.attributes, [CONTENT_FACTS_MARKER]: 3, 'dunetrace.content.future_fact': 'x' } };
    const again = redactSpan(future, { hasher });
    expect(again).not.toBe(future);
    expect(again.attributes[CONTENT_FACTS_MARKER]).toBe(2);
    expect(again.attributes['dunetrace.content.future_fact']).toBeUndefined();
    expect(again.attributes['gen_ai.input.messages']).toBe(d(once.attributes['gen_ai.input.messages'] as string));
    expect(decodeContentFacts(again.attributes)).toEqual(factsOf(future));
  });

  it('the known marker: redaction is a no-op and mapping decodes', () => {
    const once = redactSpan(DIALECT_FIXTURES.semconvChat, { hasher });
    expect(redactSpan(once, { hasher })).toBe(once);
    const withStray = span({ name: 'chat m', attributes: { 'gen_ai.operation.name': 'chat', ...encode(FULL), 'dunetrace.content.future_fact': CANARY } });
    expect(ev(mapSpan(withStray, { hasher }), 'llm.called')).toMatchObject({ input_hash: FULL.input?.hash, input_length: 6 });
    expect(toJson(mapSpan(withStray, { hasher }))).not.toContain(CANARY);
  });
});
