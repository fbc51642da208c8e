import { describe, expect, it } from 'vitest';
import { createHasher, mapSpan } from '../../src/mapping/index.js';
import { CANARY, DIALECT_FIXTURES } from './fixtures.js';
import { event, span, toJson } from './helpers.js';

const hasher = createHasher();

describe('privacy: no raw content in MappedSpan', () => {
  for (const [name, s] of Object.entries(DIALECT_FIXTURES)) {
    it(`${name}: every content string holds a canary; none reaches the mapped span`, () => {
      expect(toJson(s)).toContain(CANARY);
      for (const root of [false, true]) {
        const m = mapSpan(root ? { ...s, parentSpanId: '' } : s, { hasher });
        expect(JSON.stringify(m)).not.toContain(CANARY);
      }
    });
  }

  it('a span with every content attribute of every dialect at once', () => {
    const all = Object.assign({}, ...Object.values(DIALECT_FIXTURES).map((s) => s.attributes));
    const events = Object.values(DIALECT_FIXTURES).flatMap((s) => s.events);
    for (const name of ['chat x', 'execute_tool x', 'retrieval x', 'invoke_agent x', 'x.workflow']) {
      const m = mapSpan(
        span({ name, parentSpanId: '', attributes: { ...all, 'gen_ai.operation.name': name.split(' ')[0] }, events, status: { code: 2, message: CANARY } }),
        { hasher },
      );
      expect(JSON.stringify(m)).not.toContain(CANARY);
    }
  });

  it('status message, exception.message and exception.stacktrace are hashed, never copied', () => {
    const m = mapSpan(
      span({
        name: 'execute_tool t',
        status: { code: 2, message: `status ${CANARY}` },
        events: [event('exception', { 'exception.type': 'E', 'exception.message': `msg ${CANARY}`, 'exception.stacktrace': `trace ${CANARY}` })],
      }),
      { hasher },
    );
    expect(JSON.stringify(m)).not.toContain(CANARY);
  });
});
