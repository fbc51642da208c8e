import { describe, expect, it } from 'vitest';
import { createHasher, redactAttributes } from '../../src/mapping/index.js';

/** Tool definitions are remembered by text across spans (names and digest): per hasher, and never stale. */
describe('tool definitions seen again', () => {
  const span = (defs: string) => ({
    name: 'chat',
    parentSpanId: 'ab'.repeat(8),
    attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.tool.definitions': defs },
    events: [],
    status: { code: 0 as const, message: '' },
  });
  const defs = JSON.stringify([
    { type: 'function', name: 'search_docs' },
    { type: 'function', function: { name: 'refund' } },
  ]);

  it('give the same digest and tool names each time, under each hasher', () => {
    const plain = createHasher({});
    const keyed = createHasher({ key: 'k1' });
    for (let i = 0; i < 3; i++) {
      for (const hasher of [plain, keyed]) {
        const r = redactAttributes(span(defs), { hasher });
        expect(r.attributes['gen_ai.tool.definitions']).toBe(hasher.digest(defs));
        expect(r.attributes['dunetrace.content.tools']).toEqual(['refund', 'search_docs']);
      }
    }
    expect(plain.digest(defs)).not.toBe(keyed.digest(defs));
  });

  it('are read again when they change', () => {
    const hasher = createHasher({});
    const other = JSON.stringify([{ type: 'function', name: 'lookup_order' }]);
    expect(redactAttributes(span(defs), { hasher }).attributes['dunetrace.content.tools']).toEqual(['refund', 'search_docs']);
    const r = redactAttributes(span(other), { hasher });
    expect(r.attributes['dunetrace.content.tools']).toEqual(['lookup_order']);
    expect(r.attributes['gen_ai.tool.definitions']).toBe(hasher.digest(other));
  });
});
