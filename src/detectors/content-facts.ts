/**
 * The content facts of a run (mapping/facts/: term bitmasks and keyed digest sets) beside RunFacts, read defensively
 * from the stored payloads: a malformed value reads as absent, never as "empty". Kept apart from facts.ts so the
 * content-aware rules share one pass without touching the structural one. Memoised per RunFacts object.
 */
import {
  ENTITY_TYPES,
  VOCABULARIES,
  isFactDigest,
  isKeyId,
  type CandidateRecord,
  type CandidateSets,
  type DigestSet,
  type EntityType,
  type ReplyTerms,
  type ToolTerms,
  type TypedDigestSet,
} from '../mapping/facts/index.js';
import { isObj } from '../model/index.js';
import type { AssembledRun } from '../runs/types.js';
import { runFacts, type RunFacts } from './facts.js';

type Obj = Record<string, unknown>;

export interface ToolContent {
  entities: TypedDigestSet | null;
  destinations: TypedDigestSet | null;
  terms: ToolTerms | null;
  /** Tokens the result grounds; null when there were none (or no result: see ToolCallFact.output_length). */
  grounding: DigestSet | null;
  /** UNRESOLVED_AMBIGUITY: identifier-shaped argument leaves, and the result's candidate record sets. */
  arg_leaves: DigestSet | null;
  candidates: CandidateSets | null;
}

export interface LlmContent {
  reply: ReplyTerms | null;
  /** Tokens the prompt's user/system text grounds. */
  grounding: DigestSet | null;
  /** Word tokens of the prompt's user-role messages (UNRESOLVED_AMBIGUITY's warrant). */
  warrant: DigestSet | null;
}

export interface RunContent {
  /** Parallel to RunFacts.tools / .llm / .retrievals. */
  tools: ToolContent[];
  llm: LlmContent[];
  retrievals: (DigestSet | null)[];
  /** Tokens the run's input grounds (run.started). */
  input: DigestSet | null;
  /** Word tokens of the run's input (UNRESOLVED_AMBIGUITY's warrant). */
  input_warrant: DigestSet | null;
}

function maskOf(v: unknown, size: number): number | null {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 2 ** size ? v : null;
}

function vocabOf(v: unknown): (typeof VOCABULARIES)[number] | null {
  return typeof v === 'number' && Object.hasOwn(VOCABULARIES, v) ? VOCABULARIES[v] : null;
}

export function replyTermsOf(v: unknown): ReplyTerms | null {
  if (!isObj(v)) return null;
  const vocab = vocabOf(v.v);
  if (vocab === null) return null;
  const completion = maskOf(v.completion, vocab.completion.length);
  const ack = maskOf(v.ack, vocab.ack.length);
  const length = typeof v.length === 'number' && Number.isInteger(v.length) && v.length >= 0 ? v.length : null;
  return completion === null || ack === null || length === null ? null : { v: v.v as number, completion, ack, length };
}

export function toolTermsOf(v: unknown): ToolTerms | null {
  if (!isObj(v)) return null;
  const vocab = vocabOf(v.v);
  if (vocab === null) return null;
  const error = maskOf(v.error, vocab.markers.length);
  const output = maskOf(v.output, vocab.markers.length);
  return error === null && output === null ? null : { v: v.v as number, error, output };
}

export function digestSetOf(v: unknown): DigestSet | null {
  if (!isObj(v) || !isKeyId(v.key) || !Array.isArray(v.digests)) return null;
  const digests = v.digests.filter(isFactDigest);
  return { key: v.key, digests, truncated: v.truncated === true || digests.length !== v.digests.length };
}

/** A hand-off fact ({length, <set>}): a non-negative integer length and a valid digest set; else null. */
export function handoffFactOf(v: unknown, setKey: 'entities' | 'tokens'): { length: number; set: DigestSet } | null {
  if (!isObj(v)) return null;
  const length = v.length;
  const set = digestSetOf(v[setKey]);
  if (typeof length !== 'number' || !Number.isInteger(length) || length < 0 || set === null) return null;
  return { length, set };
}

function typedSetOf(v: unknown): TypedDigestSet | null {
  const set = digestSetOf(v);
  if (set === null || !isObj(v)) return null;
  const raw = Array.isArray(v.types) ? v.types : [];
  const types = set.digests.map((_, i): EntityType => {
    const t: unknown = raw[i];
    return typeof t === 'string' && (ENTITY_TYPES as readonly string[]).includes(t) ? (t as EntityType) : 'ident';
  });
  return { ...set, types };
}

const digestsOf = (v: unknown): string[] | null => (Array.isArray(v) && v.every(isFactDigest) ? v : null);

/** Candidate sets as stored: a malformed record or set reads as truncated (the rule fails open on it). */
export function candidateSetsOf(v: unknown): CandidateSets | null {
  if (!isObj(v) || !isKeyId(v.key) || !Array.isArray(v.sets)) return null;
  let truncated = v.truncated === true;
  const sets: CandidateSets['sets'] = [];
  for (const set of v.sets) {
    if (!isObj(set) || !Array.isArray(set.records)) {
      truncated = true;
      continue;
    }
    const records: CandidateRecord[] = [];
    for (const r of set.records) {
      const ids = isObj(r) ? digestsOf(r.ids) : null;
      const disc = isObj(r) ? digestsOf(r.disc) : null;
      if (ids === null || disc === null) truncated = true;
      records.push({ ids: ids ?? [], disc: disc ?? [] });
    }
    sets.push({ broad: set.broad === true, records });
  }
  return { key: v.key, sets, truncated };
}

const cache = new WeakMap<RunFacts, RunContent>();

export function runContent(run: AssembledRun): RunContent {
  const facts = runFacts(run);
  const hit = cache.get(facts);
  if (hit) return hit;
  const content = build(facts);
  cache.set(facts, content);
  return content;
}

/** The responded payload of each call: the next responded event of the same span after its first event. */
function respondedPayloads(facts: RunFacts, calls: readonly { ordinal: number; span_id: string }[], type: string): (Obj | null)[] {
  const bySpan = new Map<string, number[]>();
  facts.events.forEach((e, i) => {
    if (e.event_type !== type) return;
    const q = bySpan.get(e.span_id);
    if (q) q.push(i);
    else bySpan.set(e.span_id, [i]);
  });
  return calls.map((c) => {
    const q = bySpan.get(c.span_id);
    while (q && q.length > 0 && q[0] < c.ordinal) q.shift();
    const i = q?.shift();
    const p = i === undefined ? undefined : facts.events[i].payload;
    return isObj(p) ? p : null;
  });
}

function calledPayload(facts: RunFacts, ordinal: number, type: string): Obj | null {
  const e = facts.events[ordinal];
  return e?.event_type === type && isObj(e.payload) ? e.payload : null;
}

function build(facts: RunFacts): RunContent {
  const toolResp = respondedPayloads(facts, facts.tools, 'tool.responded');
  const llmResp = respondedPayloads(facts, facts.llm, 'llm.responded');
  const retResp = respondedPayloads(facts, facts.retrievals, 'retrieval.responded');
  return {
    tools: facts.tools.map((t, i) => {
      const called = calledPayload(facts, t.ordinal, 'tool.called');
      // An orphan response (no called event) is the fact's first event: its payload is the responded one.
      const resp = toolResp[i] ?? (called === null ? calledPayload(facts, t.ordinal, 'tool.responded') : null);
      return {
        entities: typedSetOf(called?.arg_entities),
        destinations: typedSetOf(called?.arg_destinations),
        terms: toolTermsOf(resp?.tool_terms),
        grounding: digestSetOf(resp?.grounding),
        arg_leaves: digestSetOf(called?.arg_leaves),
        candidates: candidateSetsOf(resp?.candidates),
      };
    }),
    llm: facts.llm.map((c, i) => {
      const called = calledPayload(facts, c.ordinal, 'llm.called');
      const resp = llmResp[i] ?? (called === null ? calledPayload(facts, c.ordinal, 'llm.responded') : null);
      return { reply: replyTermsOf(resp?.reply_terms), grounding: digestSetOf(called?.grounding), warrant: digestSetOf(called?.warrant) };
    }),
    retrievals: facts.retrievals.map((r, i) => digestSetOf((retResp[i] ?? calledPayload(facts, r.ordinal, 'retrieval.responded'))?.grounding)),
    input: digestSetOf((facts.started?.payload as Obj | undefined)?.grounding),
    input_warrant: digestSetOf((facts.started?.payload as Obj | undefined)?.warrant),
  };
}
