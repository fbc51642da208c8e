import { describe, expect, it } from 'vitest';
import type { Attributes, OtlpSpanEvent } from '../../src/otlp/model.js';
import { createHasher, mapSpan, scanAttributes, type MappedSpan, type PayloadByType, type SpanEvent } from '../../src/mapping/index.js';
import { MESSAGE_FORMATS } from '../../src/mapping/content/index.js';
import { DIALECT_FIXTURES } from './fixtures.js';
import { event, span } from './helpers.js';

const hasher = createHasher();
const d = (t: string): string => hasher.digest(t);

function ev<T extends SpanEvent['event_type']>(m: MappedSpan, type: T): PayloadByType[T] {
  const e = m.events.find((x) => x.event_type === type);
  if (!e) throw new Error(`no ${type}`);
  return e.payload as PayloadByType[T];
}

/** The same prompt/reply in each registered format, with a different text per format (A… for input, a… for output). */
const SOURCES: Array<{ format: string; attributes: Attributes; events: OtlpSpanEvent[]; input: string; output: string }> = [
  {
    format: 'genai-messages',
    attributes: {
      'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'A' }] }]),
      'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', parts: [{ type: 'text', content: 'a' }] }]),
    },
    events: [],
    input: 'A',
    output: 'a',
  },
  {
    format: 'legacy-indexed',
    attributes: { 'gen_ai.prompt.0.role': 'user', 'gen_ai.prompt.0.content': 'B', 'gen_ai.completion.0.content': 'b' },
    events: [],
    input: 'B',
    output: 'b',
  },
  {
    format: 'openinference',
    attributes: { 'llm.input_messages.0.message.role': 'user', 'llm.input_messages.0.message.content': 'C', 'llm.output_messages.0.message.content': 'c' },
    events: [],
    input: 'C',
    output: 'c',
  },
  { format: 'flat', attributes: { 'gen_ai.prompt': 'D', 'gen_ai.completion': 'd' }, events: [], input: 'D', output: 'd' },
  {
    format: 'span-events',
    attributes: {},
    events: [event('gen_ai.content.prompt', { 'gen_ai.prompt': 'E' }), event('gen_ai.content.completion', { 'gen_ai.completion': 'e' })],
    input: 'E',
    output: 'e',
  },
];

describe('message formats registry (content/formats/index.ts)', () => {
  it('every registered format finds nothing on a span without its keys (so the next one is tried)', () => {
    const bare = span({ name: 'chat m', attributes: { 'gen_ai.operation.name': 'chat' } });
    const index = scanAttributes(bare.attributes);
    for (const f of MESSAGE_FORMATS) {
      expect(f.input(bare, index), f.name).toBeNull();
      expect(f.output(bare, index), f.name).toBeNull();
    }
    // And on the other dialects' fixtures it never throws.
    for (const s of Object.values(DIALECT_FIXTURES)) {
      const i = scanAttributes(s.attributes);
      for (const f of MESSAGE_FORMATS) expect(() => [f.input(s, i), f.output(s, i)]).not.toThrow();
    }
  });

  it('each format alone is read', () => {
    expect(MESSAGE_FORMATS).toHaveLength(SOURCES.length);
    for (const src of SOURCES) {
      const m = mapSpan(span({ name: 'chat m', attributes: { 'gen_ai.operation.name': 'chat', ...src.attributes }, events: src.events }), { hasher });
      expect(ev(m, 'llm.called'), src.format).toMatchObject({ input_hash: d(src.input), input_length: 1 });
      expect(ev(m, 'llm.responded'), src.format).toMatchObject({ output_hash: d(src.output), output_length: 1 });
    }
  });

  it('precedence: with several formats on one span, the earliest registered one wins', () => {
    for (let first = 0; first < SOURCES.length; first++) {
      const present = SOURCES.slice(first);
      const attributes = Object.assign({ 'gen_ai.operation.name': 'chat' }, ...present.map((s) => s.attributes)) as Attributes;
      const m = mapSpan(span({ name: 'chat m', attributes, events: present.flatMap((s) => s.events) }), { hasher });
      expect(ev(m, 'llm.called').input_hash, SOURCES[first].format).toBe(d(SOURCES[first].input));
      expect(ev(m, 'llm.responded').output_hash, SOURCES[first].format).toBe(d(SOURCES[first].output));
    }
  });
});
