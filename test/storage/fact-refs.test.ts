import { describe, expect, it } from 'vitest';
import type { MappedSpan } from '../../src/mapping/events.js';
import { decodeBody } from '../../src/storage/codec.js';
import { FactRefs, resolveFactRefs, type DigestSetRef } from '../../src/storage/fact-refs.js';
import { decodeSpanRow, encodeSpanBody, spanKeyBytes } from '../../src/storage/span-rows.js';
import { conversation, digestSet, hex, llmSpan, newRunId, rootSpan } from './fixtures.js';

const keyHex = (s: MappedSpan) => spanKeyBytes(s.span_id).toString('hex');
const toWrite = (spans: MappedSpan[]) => spans.map((span) => ({ run_id: span.trace_id, span, keyHex: keyHex(span) }));
const viaJson = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** Encodes planned spans as stored bodies and reads them back as toStoredSpans does, resolving the references. */
function storeAndRead(planned: MappedSpan[], extra: MappedSpan[] = []): MappedSpan[] {
  const read = [...extra, ...planned].map((s) => decodeSpanRow(s.trace_id, keyHex(s), false, encodeSpanBody('a', 0, s)).span);
  resolveFactRefs(new Map(read.map((s) => [keyHex(s), s])));
  return read.slice(extra.length);
}

const payloadOf = (s: MappedSpan, i = 0) => s.events[i].payload as unknown as Record<string, unknown>;

describe('digest sets stored by reference (fact-refs.ts)', () => {
  it('stores each call of a conversation as its predecessor plus what is new, and reads every set back exactly', () => {
    const spans = conversation(newRunId(), 8);
    const plan = new FactRefs().plan('c', toWrite(spans), true);
    // The input spans are untouched; later calls hold references.
    expect(plan.spans[0]).toBe(spans[0]);
    const ref = payloadOf(plan.spans[5]).warrant as DigestSetRef;
    expect(ref.from).toBe(keyHex(spans[4]));
    expect(ref.digests).toHaveLength(3);
    expect(payloadOf(spans[5]).warrant).toMatchObject({ truncated: false });
    expect(storeAndRead(plan.spans)).toEqual(viaJson(spans));
    const bytes = (list: MappedSpan[]) => list.reduce((n, s) => n + encodeSpanBody('a', 0, s).length, 0);
    let copied = 0;
    for (const s of plan.spans.slice(1))
      for (const f of ['grounding', 'warrant']) {
        const r = payloadOf(s)[f] as DigestSetRef;
        for (let i = 1; i < (r.copy?.length ?? 0); i += 3) copied += r.copy[i];
      }
    // 8 bytes per digest not written again, less ~10 bytes of reference per set.
    expect(copied).toBeGreaterThan(200);
    expect(bytes(spans) - bytes(plan.spans)).toBeGreaterThan(6 * copied);
  });

  it('reads back the same whatever the order of the rows, and a span whose two holders share one set', () => {
    const runId = newRunId();
    const spans = conversation(runId, 4);
    // A step root: an LLM span that is the whole trace holds its warrant in its root facts and its llm.called payload.
    const stepRoot = llmSpan(runId, null, 9);
    const w = digestSet([...(payloadOf(spans[4]).warrant as { digests: string[] }).digests, hex(8)]);
    stepRoot.root = { input_hash: null, input_length: null, output_hash: null, warrant: w };
    Object.assign(payloadOf(stepRoot), { warrant: w });
    const all = [...spans, stepRoot];
    const plan = new FactRefs().plan('c', toWrite(all), true);
    expect((plan.spans[5].root as unknown as Record<string, unknown>).warrant).toHaveProperty('from');
    expect(storeAndRead([...plan.spans].reverse())).toEqual(viaJson([...all].reverse()));
  });

  it('keeps sets whole when a reference would not be smaller, or the base was made under another key', () => {
    const runId = newRunId();
    const root = rootSpan(runId);
    const a = llmSpan(runId, root.span_id, 0);
    const b = llmSpan(runId, root.span_id, 1);
    const c = llmSpan(runId, root.span_id, 2);
    const shared = Array.from({ length: 10 }, () => hex(8));
    Object.assign(payloadOf(a), { warrant: digestSet(shared) });
    Object.assign(payloadOf(b), { warrant: digestSet([shared[0], hex(8), hex(8)]) }); // one in common
    Object.assign(payloadOf(c), { warrant: digestSet(shared, 'ffffffff') }); // another run key
    const plan = new FactRefs().plan('c', toWrite([a, b, c]), true);
    expect(plan.spans.map((s) => 'from' in (payloadOf(s).warrant as object))).toEqual([false, false, false]);
  });

  it('uses another batch’s spans as bases only once that batch is committed, and never across runs or customers', () => {
    const refs = new FactRefs();
    const runId = newRunId();
    const [root, ...calls] = conversation(runId, 4);
    const first = refs.plan('c', toWrite([root, calls[0], calls[1]]), true);
    expect('from' in (payloadOf(refs.plan('c', toWrite([calls[2]]), true).spans[0]).warrant as object)).toBe(false);
    first.commit();
    const second = refs.plan('c', toWrite([calls[2], calls[3]]), true);
    expect((payloadOf(second.spans[0]).warrant as DigestSetRef).from).toBe(keyHex(calls[1]));
    expect(storeAndRead(second.spans, first.spans)).toEqual(viaJson([calls[2], calls[3]]));
    // Another customer's run of the same id, another run: no base.
    expect('from' in (payloadOf(refs.plan('d', toWrite([calls[2]]), true).spans[0]).warrant as object)).toBe(false);
    const other = conversation(newRunId(), 1)[1];
    expect('from' in (payloadOf(refs.plan('c', toWrite([other]), true).spans[0]).warrant as object)).toBe(false);
    // Without in-batch bases (a write that may skip stored copies) the batch's own spans are never bases.
    const whole = refs.plan('c', toWrite(conversation(newRunId(), 3)), false);
    expect(whole.spans.every((s) => s.events.every((e) => !('from' in ((e.payload as { warrant?: object }).warrant ?? {}))))).toBe(true);
  });

  it('reads a reference whose base is missing, holds no such set or is circular as a truncated set (the rules fail open)', () => {
    const spans = conversation(newRunId(), 3);
    const plan = new FactRefs().plan('c', toWrite(spans), true);
    const [, , , last] = storeAndRead([plan.spans[3]]);
    expect(last).toBeUndefined();
    const alone = storeAndRead([plan.spans[3]])[0];
    expect(payloadOf(alone).warrant).toEqual({ key: 'a1b2c3d4', digests: (payloadOf(plan.spans[3]).warrant as DigestSetRef).digests, truncated: true });
    // Two spans referring to each other.
    const [x, y] = conversation(newRunId(), 2).slice(1);
    const refTo = (s: MappedSpan) => ({ key: 'a1b2c3d4', from: keyHex(s), copy: [0, 1, 0], digests: [], truncated: false });
    Object.assign(payloadOf(x), { warrant: refTo(y) });
    Object.assign(payloadOf(y), { warrant: refTo(x) });
    for (const s of storeAndRead([x, y])) expect(payloadOf(s).warrant).toMatchObject({ truncated: true });
    // A copy range past the base's end.
    const z = conversation(newRunId(), 2);
    Object.assign(payloadOf(z[2]), { warrant: { key: 'a1b2c3d4', from: keyHex(z[1]), copy: [0, 999, 0], digests: [], truncated: false } });
    expect(payloadOf(storeAndRead(z)[2]).warrant).toMatchObject({ truncated: true });
  });

  it('stores a system prompt digest repeated from the previous call as a reference to it, and reads it back', () => {
    const spans = conversation(newRunId(), 4);
    const plan = new FactRefs().plan('c', toWrite(spans), true);
    expect(payloadOf(plan.spans[1]).system_prompt_hash).toBe(payloadOf(spans[1]).system_prompt_hash); // the first call
    expect(payloadOf(plan.spans[3]).system_prompt_hash).toEqual({ from: keyHex(spans[2]) });
    expect(storeAndRead(plan.spans)).toEqual(viaJson(spans));
    // Its base gone: not captured, as for a span without one.
    expect(payloadOf(storeAndRead([plan.spans[3]])[0]).system_prompt_hash).toBeNull();
    // A call with another system prompt is stored whole and becomes the next calls' base.
    const changed = conversation(newRunId(), 3);
    payloadOf(changed[2]).system_prompt_hash = 'f'.repeat(64);
    payloadOf(changed[3]).system_prompt_hash = 'f'.repeat(64);
    const p2 = new FactRefs().plan('c', toWrite(changed), true);
    expect(payloadOf(p2.spans[2]).system_prompt_hash).toBe('f'.repeat(64));
    expect(payloadOf(p2.spans[3]).system_prompt_hash).toEqual({ from: keyHex(changed[2]) });
    expect(storeAndRead(p2.spans)).toEqual(viaJson(changed));
  });

  it('stores a hand-off text without entities as its length, and reads back the set under the span’s run key', () => {
    const spans = conversation(newRunId(), 2);
    const bare = { length: 260, entities: digestSet([]) };
    const full = { length: 90, entities: digestSet(2) };
    Object.assign(payloadOf(spans[1], 1), { handoff_text: bare });
    Object.assign(payloadOf(spans[2], 1), { handoff_text: full });
    // A span with no other keyed set: the key could not be restored, so it stays whole.
    const lone = llmSpan(spans[0].trace_id, spans[0].span_id, 7);
    Object.assign(payloadOf(lone, 1), { handoff_text: { length: 5, entities: digestSet([]) } });
    const all = [...spans, lone];
    const plan = new FactRefs().plan('c', toWrite(all), true);
    expect(payloadOf(plan.spans[1], 1).handoff_text).toEqual({ length: 260 });
    expect(payloadOf(plan.spans[2], 1).handoff_text).toEqual(full);
    expect(payloadOf(plan.spans[3], 1).handoff_text).toEqual({ length: 5, entities: digestSet([]) });
    expect(storeAndRead(plan.spans)).toEqual(viaJson(all));
  });

  it('remembers bases within a bound of runs and of digests, forgetting the oldest run first (its next spans are stored whole)', () => {
    const refs = new FactRefs({ runs: 3, digests: 200 });
    const runs = Array.from({ length: 5 }, () => conversation(newRunId(), 2));
    for (const r of runs) refs.plan('c', toWrite(r.slice(0, 2)), true).commit();
    // Each run holds its input's warrant (20 digests) and its first call's grounding (14) and warrant (23): 57.
    expect(refs.size).toEqual({ runs: 3, digests: 3 * 57 });
    const tight = new FactRefs({ runs: 10, digests: 120 });
    for (const r of runs) tight.plan('c', toWrite(r.slice(0, 2)), true).commit();
    expect(tight.size).toEqual({ runs: 2, digests: 2 * 57 });
    const isRef = (r: MappedSpan[]) => 'from' in (payloadOf(tight.plan('c', toWrite([r[2]]), true).spans[0]).warrant as object);
    expect(runs.map(isRef)).toEqual([false, false, false, true, true]);
  });

  it('stores only digests and numbers: a reference adds no content', () => {
    const spans = conversation(newRunId(), 3);
    const plan = new FactRefs().plan('c', toWrite(spans), true);
    const stored = decodeBody(encodeSpanBody('a', 0, plan.spans[3])) as { span: MappedSpan };
    const ref = payloadOf(stored.span).warrant as DigestSetRef;
    expect(Object.keys(ref)).toEqual(['key', 'from', 'copy', 'digests', 'truncated']);
    expect(ref.copy.every((n) => Number.isInteger(n))).toBe(true);
  });
});
