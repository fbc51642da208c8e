import { asDigest } from '../mapping/hash.js';
import type { MappedSpan } from '../mapping/events.js';
import type { DigestSet } from '../mapping/facts/index.js';
import { isFactDigest, isKeyId, isObj } from '../model/index.js';

/**
 * A run's keyed digest sets repeat from span to span: every LLM call re-sends the conversation so far, so its grounding
 * and warrant sets hold the previous call's digests plus a few new ones. Stored whole, they were most of a span body.
 * Here a set is stored as a reference to the same fact of an earlier-written span of the run (its base) plus what is
 * new, and resolved back to the identical set (same digests, same order) when the run's spans are read together.
 *
 * Pure references, no semantics: a set reads back exactly as it was mapped, whatever the span order. What makes it
 * safe is WHICH bases the writer may use (sql-storage.ts): a span of the same batch (same transaction), or a span this
 * process wrote in a committed batch with every span inserted (a duplicate from a retry could hold another version).
 * A reference whose base cannot be found reads as a truncated set: the rules fail open on it.
 */

/** The facts stored by reference. Other sets are small or not repeated from span to span. */
const REF_FACTS = ['grounding', 'warrant'] as const;
type RefFact = (typeof REF_FACTS)[number];

/** A set as stored by reference: base span (key hex), runs of the base to copy, the digests that are new. */
export interface DigestSetRef {
  key: string;
  /** The base span's key (16 hex): its set of the same fact. */
  from: string;
  /** Triplets (start, count, fresh): copy base[start, start+count), then the next `fresh` of `digests`. */
  copy: number[];
  digests: string[];
  truncated: boolean;
}

interface Base {
  span: string;
  set: DigestSet;
}

/**
 * Content digests that repeat from call to call of a run: stored as `{ from }` (the span key of the run's earlier call
 * holding the same digest) instead of 16 bytes again. The system prompt is sent with every LLM call.
 */
const REF_DIGESTS = ['system_prompt_hash'] as const;
type RefDigest = (typeof REF_DIGESTS)[number];
/** A content digest, in any shape the mapping accepts from a sender (it writes 32-hex). */
const isSha = (v: unknown): v is string => asDigest(v) !== null;

/** Where a span holds a hand-off text (HANDOFF_CONTEXT_LOSS, parent side): its root facts, its responses. */
function* handoffHolders(span: MappedSpan): Generator<Obj> {
  if (isObj(span.root) && 'handoff_text' in span.root) yield span.root;
  for (const e of span.events) if (isObj(e.payload) && 'handoff_text' in e.payload) yield e.payload;
}

/** The run key of a span's facts: the key id of the first keyed set in its root facts or payloads (a fixed order). */
function spanKeyId(span: MappedSpan): string | null {
  for (const holder of [span.root, ...span.events.map((e) => e.payload)])
    if (isObj(holder)) for (const v of Object.values(holder)) if (isObj(v) && isKeyId(v.key) && ('digests' in v || 'sets' in v)) return v.key;
  return null;
}

/** A hand-off text without entities under the span's key: only its length is stored (most replies and results). */
function isBareHandoff(v: unknown, key: string | null): v is { length: number } {
  if (!isObj(v) || typeof v.length !== 'number' || !isObj(v.entities)) return false;
  const e = v.entities;
  return e.key === key && Array.isArray(e.digests) && e.digests.length === 0 && e.truncated === false && Object.keys(v).length === 2;
}

/** The llm.called payloads of a span (where the repeated digests are). */
function* calls(span: MappedSpan): Generator<Obj> {
  for (const e of span.events) if (e.event_type === 'llm.called' && isObj(e.payload)) yield e.payload;
}

type Obj = Record<string, unknown>;

function asSet(v: unknown): DigestSet | null {
  if (!isObj(v) || !isKeyId(v.key) || !Array.isArray(v.digests) || typeof v.truncated !== 'boolean' || 'from' in v) return null;
  return v.digests.every(isFactDigest) ? (v as unknown as DigestSet) : null;
}

/** Where a span holds its set of `fact`: the root facts first, then each event payload (a step root holds it twice). */
function* holders(span: MappedSpan, fact: RefFact): Generator<Obj> {
  if (isObj(span.root) && fact in span.root) yield span.root;
  for (const e of span.events) if (isObj(e.payload) && fact in e.payload) yield e.payload;
}

/** Triplets and fresh digests of `set` against `base`, or null when a reference would not be smaller. */
function delta(set: DigestSet, base: DigestSet): DigestSetRef | null {
  const at = new Map<string, number>();
  base.digests.forEach((d, i) => at.set(d, i));
  const copy: number[] = [];
  const fresh: string[] = [];
  let start = -1;
  let count = 0;
  let pending = 0;
  const flush = () => {
    if (count > 0 || pending > 0) copy.push(Math.max(start, 0), count, pending);
    start = -1;
    count = 0;
    pending = 0;
  };
  for (const d of set.digests) {
    const i = at.get(d);
    if (i === undefined) {
      fresh.push(d);
      pending++;
    } else if (pending === 0 && count > 0 && i === start + count) {
      count++;
    } else {
      flush();
      start = i;
      count = 1;
    }
  }
  flush();
  // 8 bytes a digest saved against ~2 bytes a number and the base's id (~10 bytes, 2 when the body refers to it again).
  const saved = 8 * (set.digests.length - fresh.length) - 2 * copy.length - 12;
  return saved > 0 ? { key: set.key, from: '', copy, digests: fresh, truncated: set.truncated } : null;
}

/** The runs whose bases this process remembers (oldest forgotten first); a forgotten run's spans are stored whole. */
const MAX_RUNS = 4096;
/**
 * Most digests the remembered bases may hold between them (~60 bytes each in memory): a run's sets stay alive here
 * after the run tracker let them go, so memory is bounded by digests, not only by runs.
 */
const MAX_DIGESTS = 200_000;

export interface SpanToWrite {
  run_id: string;
  span: MappedSpan;
  /** The span's key as 16 hex (span-rows.ts spanKeyBytes). */
  keyHex: string;
}

export interface RefPlan {
  /** The spans to encode, sets replaced by references where that is smaller (the input spans are not modified). */
  spans: MappedSpan[];
  /** Remember this batch's sets as bases: call once it is committed with every span inserted. */
  commit(): void;
}

/** The bases of one process's writes, per run (sql-storage.ts holds one per storage instance). */
export class FactRefs {
  private readonly runs = new Map<string, Map<string, Base | { span: string; value: string }>>();
  /** Digests held per remembered run, and in all. */
  private readonly weights = new Map<string, number>();
  private held = 0;

  constructor(private readonly limits: { runs: number; digests: number } = { runs: MAX_RUNS, digests: MAX_DIGESTS }) {}

  /**
   * The stored form of a batch's spans. `inBatch`: spans of the batch may be each other's bases (only when the batch
   * is written whole: a COPY, or an INSERT that inserted every span).
   */
  plan(customerId: string, batch: readonly SpanToWrite[], inBatch: boolean): RefPlan {
    const touched = new Map<string, Map<string, Base | { span: string; value: string }>>();
    const spans = batch.map(({ run_id, span, keyHex }) => {
      const tag = `${customerId}\u0000${run_id}`;
      const committed = this.runs.get(tag);
      let local = touched.get(tag);
      let out: MappedSpan | null = null;
      for (const fact of REF_FACTS) {
        let set: DigestSet | null = null;
        for (const h of holders(span, fact)) if ((set = asSet(h[fact])) !== null) break;
        if (set === null) continue;
        const slots = [`${fact}:${span.category}`, fact];
        const base = slots
          .map((s) => local?.get(s) ?? committed?.get(s))
          .find((b): b is Base => b !== undefined && 'set' in b && b.set.key === set.key && b.span !== keyHex);
        const ref = base !== undefined ? delta(set, base.set) : null;
        if (ref !== null && base !== undefined) {
          ref.from = base.span;
          out ??= copySpan(span);
          for (const h of holders(out, fact)) if (asSet(h[fact]) === set) h[fact] = ref;
        }
        if (!inBatch) continue;
        local ??= new Map(committed);
        touched.set(tag, local);
        for (const s of slots) local.set(s, { span: keyHex, set });
      }
      for (const field of REF_DIGESTS) {
        const value = [...calls(span)].map((p) => p[field]).find(isSha);
        if (value === undefined) continue;
        const slot = `digest:${field}`;
        const base = local?.get(slot) ?? committed?.get(slot);
        if (base !== undefined && 'value' in base && base.value === value && base.span !== keyHex) {
          out ??= copySpan(span);
          for (const p of calls(out)) if (p[field] === value) p[field] = { from: base.span };
        }
        if (!inBatch) continue;
        local ??= new Map(committed);
        touched.set(tag, local);
        local.set(slot, { span: keyHex, value });
      }
      const key = spanKeyId(span);
      if (key !== null && [...handoffHolders(span)].some((h) => isBareHandoff(h.handoff_text, key))) {
        out ??= copySpan(span);
        for (const h of handoffHolders(out)) if (isBareHandoff(h.handoff_text, key)) h.handoff_text = { length: h.handoff_text.length };
      }
      return out ?? span;
    });
    return {
      spans,
      commit: () => {
        for (const [tag, bases] of touched) {
          this.forget(tag); // re-inserted last: the map's order is the forgetting order
          const sets = new Set<DigestSet>();
          for (const b of bases.values()) if ('set' in b) sets.add(b.set);
          let weight = 0;
          for (const set of sets) weight += set.digests.length;
          this.runs.set(tag, bases);
          this.weights.set(tag, weight);
          this.held += weight;
          while (this.runs.size > this.limits.runs || (this.held > this.limits.digests && this.runs.size > 1))
            this.forget(this.runs.keys().next().value as string);
        }
      },
    };
  }

  /** Runs whose bases are remembered (for tests and the memory bound). */
  get size(): { runs: number; digests: number } {
    return { runs: this.runs.size, digests: this.held };
  }

  private forget(tag: string): void {
    this.held -= this.weights.get(tag) ?? 0;
    this.weights.delete(tag);
    this.runs.delete(tag);
  }
}

/** A copy of the span whose root and event payloads can be changed without touching the original. */
function copySpan(span: MappedSpan): MappedSpan {
  return {
    ...span,
    root: span.root === null ? null : { ...span.root },
    events: span.events.map((e) => ({ ...e, payload: { ...e.payload } }) as typeof e),
  };
}

/**
 * Resolves the references of a run's spans in place (`spans` keyed by their span key hex): each becomes the set it was
 * written from. A missing base, a base without that fact or a cycle gives the fresh digests, marked truncated.
 */
export function resolveFactRefs(spans: ReadonlyMap<string, MappedSpan>): void {
  // Each (span, fact) is resolved once; one found again while it is being resolved is a cycle: null.
  const memo = new Map<string, unknown>();
  const resolving = new Set<string>();
  const once = <T>(id: string, resolve: () => T | null): T | null => {
    if (memo.has(id)) return memo.get(id) as T | null;
    if (resolving.has(id)) return null;
    resolving.add(id);
    const out = resolve();
    resolving.delete(id);
    memo.set(id, out);
    return out;
  };
  const setOf = (keyHex: string, fact: RefFact): DigestSet | null =>
    once(`${keyHex}:${fact}`, () => {
      const span = spans.get(keyHex);
      if (span === undefined) return null;
      for (const h of holders(span, fact)) {
        const v = h[fact];
        const out = isRef(v) ? resolveRef(v, fact) : asSet(v);
        if (out !== null) return out;
      }
      return null;
    });
  const resolveRef = (ref: DigestSetRef, fact: RefFact): DigestSet => {
    const base = setOf(ref.from, fact);
    if (base === null || base.key !== ref.key) return { key: ref.key, digests: ref.digests, truncated: true };
    const digests: string[] = [];
    let fresh = 0;
    for (let i = 0; i + 2 < ref.copy.length; i += 3) {
      const [start, count, n] = [ref.copy[i], ref.copy[i + 1], ref.copy[i + 2]];
      if (start + count > base.digests.length) return { key: ref.key, digests: ref.digests, truncated: true };
      for (let j = start; j < start + count; j++) digests.push(base.digests[j]);
      for (let j = 0; j < n; j++) digests.push(ref.digests[fresh++]);
    }
    if (fresh !== ref.digests.length) return { key: ref.key, digests: ref.digests, truncated: true };
    return { key: ref.key, digests, truncated: ref.truncated };
  };
  const digestOf = (keyHex: string, field: RefDigest): string | null =>
    once(`${keyHex}:${field}`, () => {
      const span = spans.get(keyHex);
      if (span === undefined) return null;
      for (const p of calls(span)) {
        const v = p[field];
        const out = isSha(v) ? v : isObj(v) && typeof v.from === 'string' ? digestOf(v.from, field) : null;
        if (out !== null) return out;
      }
      return null;
    });
  for (const span of spans.values()) {
    const key = spanKeyId(span);
    for (const h of handoffHolders(span)) {
      const v = h.handoff_text;
      if (isObj(v) && !('entities' in v) && typeof v.length === 'number')
        h.handoff_text = { length: v.length, entities: { key: key ?? '00000000', digests: [], truncated: key === null } };
    }
  }
  for (const [keyHex, span] of spans) {
    // A digest whose base is gone reads as not captured (null), as a span without one would.
    for (const field of REF_DIGESTS) for (const p of calls(span)) if (isObj(p[field])) p[field] = digestOf(keyHex, field);
    for (const fact of REF_FACTS) {
      for (const h of holders(span, fact)) if (isRef(h[fact])) h[fact] = setOf(keyHex, fact) ?? resolveRef(h[fact], fact);
    }
  }
}

function isRef(v: unknown): v is DigestSetRef {
  return (
    isObj(v) &&
    isKeyId(v.key) &&
    typeof v.from === 'string' &&
    Array.isArray(v.copy) &&
    v.copy.every((n) => Number.isSafeInteger(n) && (n as number) >= 0) &&
    Array.isArray(v.digests) &&
    v.digests.every(isFactDigest) &&
    typeof v.truncated === 'boolean'
  );
}
