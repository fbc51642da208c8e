import type { Attributes } from '../otlp/model.js';
import { normalizeFinishReason, type ContentFacts, type Measured } from './content/index.js';
import type { InjectionFacts, ToolCallRequest } from './events.js';
import { asDigest } from './hash.js';
import { INJECTION_PATTERNS } from './injection.js';
import { DIRECTIVE_CODE_SET } from './directives.js';
import { MEMORY_SOURCES } from './content/read-back.js';
import type { CandidateRecord, CandidateSet, CandidateSets } from './facts/ambiguity.js';
import {
  ENTITY_TYPES,
  VOCABULARIES,
  isFactDigest,
  isKeyId,
  type DigestSet,
  type EntityType,
  type HandoffInput,
  type HandoffText,
  type ReplyTerms,
  type ToolTerms,
  type TypedDigestSet,
} from './facts/index.js';

/**
 * The `dunetrace.content.*` codec: the content facts (content/facts.ts) as span attributes, the wire contract
 * between the in-process SpanProcessor (encodes, after redaction) and the receiver (decodes instead of recomputing).
 * docs/content-codec.md is the contract: key names, value formats, versions, compatibility rule.
 *
 * Encoding (version 1). Every key is optional except the marker; a missing key means "no such fact" (null/empty).
 * Hashes are lowercase 32-hex (64-hex from older senders is read as its first 32); lengths are non-negative integers
 * (JS string length).
 *
 * | key                                             | type      | fact                                              |
 * |-------------------------------------------------|-----------|---------------------------------------------------|
 * | dunetrace.content.v                             | int       | marker, = 1                                       |
 * | dunetrace.content.input.hash / .input.length    | str / int | LLM prompt text                                   |
 * | dunetrace.content.user.hash / .user.length      | str / int | the user's input (root spans)                     |
 * | dunetrace.content.system.hash                   | str       | system instructions                               |
 * | dunetrace.content.output.hash / .output.length  | str / int | reply text / entity output (absent = not captured)|
 * | dunetrace.content.args.hash / .args.length      | str / int | tool arguments                                    |
 * | dunetrace.content.result.hash / .result.length  | str / int | tool result                                       |
 * | dunetrace.content.query.hash                    | str       | retrieval query                                   |
 * | dunetrace.content.error.hash                    | str       | status message, else exception.message            |
 * | dunetrace.content.finish_reasons                | str[]     | finish reasons read from output messages          |
 * | dunetrace.content.tool_calls.names              | str[]     | tool calls requested by the model, in order       |
 * | dunetrace.content.tool_calls.args_hashes        | str[]     | their argument digests, "" = none (same order)    |
 * | dunetrace.content.tools                         | str[]     | tool names offered/defined, sorted                |
 * | dunetrace.content.injection.patterns            | str[]     | matched injection labels (first 5)                |
 * | dunetrace.content.injection.count               | int       | number of patterns matched                        |
 * | dunetrace.content.injection.input_length        | int       | length of the scanned input                       |
 * | dunetrace.content.injection.scanned_chars       | int       | present only when the scan was bounded            |
 * | dunetrace.content.documents.count / .top_score  | int / num | from gen_ai.retrieval.documents                   |
 * | dunetrace.content.directives                    | str[]     | directive marker codes in read-back content       |
 * | dunetrace.content.tools_in_input                | str[]     | offered tool names the user's input names         |
 * | dunetrace.content.memory.source                 | str       | a memory write's declared source (closed set)     |
 *
 * Version 2 adds the content-aware detector facts (mapping/facts/), see the K2 block below and docs/content-codec.md.
 *
 * Compatibility: a receiver decodes the versions it knows (here: 1 and 2). A span whose marker is anything else is treated
 * as carrying no facts: mapSpan maps it like a raw span (extractContent over its attributes as they are), and
 * redaction drops its `dunetrace.content.*` keys and redacts it afresh.
 */

export const CONTENT_FACTS_PREFIX = 'dunetrace.content.';
export const CONTENT_FACTS_MARKER = 'dunetrace.content.v';
export const CONTENT_FACTS_VERSION = 2;
/** Every version decodeContentFacts reads (a v1 span simply has none of the version 2 facts). */
export const KNOWN_CONTENT_FACTS_VERSIONS: readonly number[] = [1, 2];

const K = {
  inputHash: 'dunetrace.content.input.hash',
  inputLength: 'dunetrace.content.input.length',
  userHash: 'dunetrace.content.user.hash',
  userLength: 'dunetrace.content.user.length',
  systemHash: 'dunetrace.content.system.hash',
  outputHash: 'dunetrace.content.output.hash',
  outputLength: 'dunetrace.content.output.length',
  argsHash: 'dunetrace.content.args.hash',
  argsLength: 'dunetrace.content.args.length',
  resultHash: 'dunetrace.content.result.hash',
  resultLength: 'dunetrace.content.result.length',
  queryHash: 'dunetrace.content.query.hash',
  errorHash: 'dunetrace.content.error.hash',
  finishReasons: 'dunetrace.content.finish_reasons',
  toolCallNames: 'dunetrace.content.tool_calls.names',
  toolCallArgs: 'dunetrace.content.tool_calls.args_hashes',
  tools: 'dunetrace.content.tools',
  injPatterns: 'dunetrace.content.injection.patterns',
  injCount: 'dunetrace.content.injection.count',
  injInputLength: 'dunetrace.content.injection.input_length',
  injScanned: 'dunetrace.content.injection.scanned_chars',
  docCount: 'dunetrace.content.documents.count',
  docTopScore: 'dunetrace.content.documents.top_score',
} as const;

// ---- read-back facts (RETRIEVED_CONTENT_INJECTION, MEMORY_POISONING, detectors-b) --------------------------------
// Additive optional keys: an older receiver ignores them (its detectors do not read them), so no version bump.
const RB = {
  directives: 'dunetrace.content.directives',
  toolsInInput: 'dunetrace.content.tools_in_input',
  memorySource: 'dunetrace.content.memory.source',
} as const;

function encodeReadBack(facts: ContentFacts, out: Attributes): void {
  if (facts.directives !== undefined && facts.directives.length > 0) out[RB.directives] = [...facts.directives];
  if (facts.tools_in_input !== undefined && facts.tools_in_input.length > 0) out[RB.toolsInInput] = [...facts.tools_in_input];
  if (facts.memory_source !== undefined) out[RB.memorySource] = facts.memory_source;
}

/** Only known marker codes, only tool names the span also offers, only a known memory source survive decoding. */
function decodeReadBack(a: Attributes, tools: readonly string[], facts: ContentFacts): void {
  const directives = stringsAt(a, RB.directives).filter((c) => DIRECTIVE_CODE_SET.has(c));
  if (directives.length > 0) facts.directives = [...new Set(directives)];
  const named = stringsAt(a, RB.toolsInInput).filter((t) => tools.includes(t));
  if (named.length > 0) facts.tools_in_input = named;
  const source = a[RB.memorySource];
  if (typeof source === 'string' && MEMORY_SOURCES.has(source)) facts.memory_source = source;
}
// ---- end read-back facts ------------------------------------------------------------------------------------------
// --- version 2: content-aware detector facts (terms, keyed digest sets). Owned by mapping/facts/. ---
const K2 = {
  termsVersion: 'dunetrace.content.terms.v',
  replyCompletion: 'dunetrace.content.reply.completion_terms',
  replyAck: 'dunetrace.content.reply.ack_terms',
  replyLength: 'dunetrace.content.reply.length',
  toolError: 'dunetrace.content.tool.error_markers',
  toolOutput: 'dunetrace.content.tool.output_markers',
  factKey: 'dunetrace.content.fact_key',
  grounding: 'dunetrace.content.grounding',
  groundingTruncated: 'dunetrace.content.grounding.truncated',
  argEntities: 'dunetrace.content.arg_entities',
  argEntityTypes: 'dunetrace.content.arg_entities.types',
  argEntitiesTruncated: 'dunetrace.content.arg_entities.truncated',
  destinations: 'dunetrace.content.destinations',
  destinationTypes: 'dunetrace.content.destinations.types',
  destinationsTruncated: 'dunetrace.content.destinations.truncated',
  // HANDOFF_CONTEXT_LOSS (additive within version 2: an older receiver ignores them). An empty list is not written.
  handoffLength: 'dunetrace.content.handoff.length',
  handoffEntities: 'dunetrace.content.handoff.entities',
  handoffTruncated: 'dunetrace.content.handoff.entities.truncated',
  handoffInputLength: 'dunetrace.content.handoff_input.length',
  handoffInputTokens: 'dunetrace.content.handoff_input.tokens',
  handoffInputTruncated: 'dunetrace.content.handoff_input.tokens.truncated',
  // UNRESOLVED_AMBIGUITY (mapping/facts/ambiguity.ts)
  warrant: 'dunetrace.content.warrant',
  warrantTruncated: 'dunetrace.content.warrant.truncated',
  argLeaves: 'dunetrace.content.arg_leaves',
  argLeavesTruncated: 'dunetrace.content.arg_leaves.truncated',
  candidateSizes: 'dunetrace.content.candidates.sizes',
  candidateBroad: 'dunetrace.content.candidates.broad',
  candidateIds: 'dunetrace.content.candidates.ids',
  candidateDisc: 'dunetrace.content.candidates.discriminators',
  candidatesTruncated: 'dunetrace.content.candidates.truncated',
} as const;
// --- end version 2 block ---

/** True when the span carries encoded content facts of a version this code reads. */
export function hasContentFacts(attrs: Attributes): boolean {
  const v = attrs[CONTENT_FACTS_MARKER];
  return v === 1 || v === 2;
}

function putMeasured(out: Attributes, hashKey: string, lengthKey: string, m: Measured | null): void {
  if (m === null) return;
  out[hashKey] = m.hash;
  out[lengthKey] = m.length;
}

/** Writes the facts as `dunetrace.content.*` attributes (plus the marker) into `out`. */
export function encodeContentFacts(facts: ContentFacts, out: Attributes): void {
  out[CONTENT_FACTS_MARKER] = CONTENT_FACTS_VERSION;
  putMeasured(out, K.inputHash, K.inputLength, facts.input);
  putMeasured(out, K.userHash, K.userLength, facts.user);
  putMeasured(out, K.outputHash, K.outputLength, facts.output);
  putMeasured(out, K.argsHash, K.argsLength, facts.args);
  putMeasured(out, K.resultHash, K.resultLength, facts.result);
  if (facts.system !== null) out[K.systemHash] = facts.system;
  if (facts.query !== null) out[K.queryHash] = facts.query;
  if (facts.error !== null) out[K.errorHash] = facts.error;
  if (facts.finish_reasons !== null && facts.finish_reasons.length > 0) out[K.finishReasons] = [...facts.finish_reasons];
  if (facts.tool_calls.length > 0) {
    out[K.toolCallNames] = facts.tool_calls.map((t) => t.name);
    out[K.toolCallArgs] = facts.tool_calls.map((t) => t.args_hash ?? '');
  }
  if (facts.tools.length > 0) out[K.tools] = [...facts.tools];
  const inj = facts.injection;
  if (inj !== null) {
    out[K.injPatterns] = [...inj.matched_patterns];
    out[K.injCount] = inj.matched_pattern_count;
    out[K.injInputLength] = inj.input_length;
    if (inj.scan_truncated === true && inj.scanned_chars !== undefined) out[K.injScanned] = inj.scanned_chars;
  }
  if (facts.documents !== null) {
    if (facts.documents.count !== null) out[K.docCount] = facts.documents.count;
    if (facts.documents.top_score !== null) out[K.docTopScore] = facts.documents.top_score;
  }
  encodeReadBack(facts, out);
  encodeV2(facts, out);
}

/** Version 2 facts. All digest sets of one span share one key (the run's), written once. */
function encodeV2(facts: ContentFacts, out: Attributes): void {
  const reply = facts.reply_terms ?? null;
  const tool = facts.tool_terms ?? null;
  if (reply !== null || tool !== null) out[K2.termsVersion] = (reply ?? tool)!.v;
  if (reply !== null) {
    out[K2.replyCompletion] = reply.completion;
    out[K2.replyAck] = reply.ack;
    out[K2.replyLength] = reply.length;
  }
  if (tool !== null) {
    if (tool.error !== null) out[K2.toolError] = tool.error;
    if (tool.output !== null) out[K2.toolOutput] = tool.output;
  }
  const putSet = (set: DigestSet | null | undefined, key: string, truncKey: string): void => {
    if (set === null || set === undefined) return;
    out[K2.factKey] = set.key;
    out[key] = [...set.digests];
    if (set.truncated) out[truncKey] = true;
  };
  putSet(facts.grounding, K2.grounding, K2.groundingTruncated);
  putSet(facts.arg_entities, K2.argEntities, K2.argEntitiesTruncated);
  if (facts.arg_entities) out[K2.argEntityTypes] = [...facts.arg_entities.types];
  putSet(facts.arg_destinations, K2.destinations, K2.destinationsTruncated);
  if (facts.arg_destinations) out[K2.destinationTypes] = [...facts.arg_destinations.types];
  // --- UNRESOLVED_AMBIGUITY ---
  putSet(facts.warrant, K2.warrant, K2.warrantTruncated);
  putSet(facts.arg_leaves, K2.argLeaves, K2.argLeavesTruncated);
  const c = facts.candidates;
  if (c !== null && c !== undefined) {
    out[K2.factKey] = c.key;
    // Flat, as attributes cannot nest: records per set, then one comma-joined digest list per record.
    out[K2.candidateSizes] = c.sets.map((x) => x.records.length);
    out[K2.candidateBroad] = c.sets.map((x) => x.broad);
    out[K2.candidateIds] = c.sets.flatMap((x) => x.records.map((r) => r.ids.join(',')));
    out[K2.candidateDisc] = c.sets.flatMap((x) => x.records.map((r) => r.disc.join(',')));
    if (c.truncated) out[K2.candidatesTruncated] = true;
  }
  // --- end UNRESOLVED_AMBIGUITY ---
  const putHandoff = (length: number, set: DigestSet, lengthKey: string, listKey: string, truncKey: string): void => {
    out[K2.factKey] = set.key;
    out[lengthKey] = length;
    if (set.digests.length > 0) out[listKey] = [...set.digests];
    if (set.truncated) out[truncKey] = true;
  };
  const ht = facts.handoff_text;
  if (ht) putHandoff(ht.length, ht.entities, K2.handoffLength, K2.handoffEntities, K2.handoffTruncated);
  const hi = facts.handoff_input;
  if (hi) putHandoff(hi.length, hi.tokens, K2.handoffInputLength, K2.handoffInputTokens, K2.handoffInputTruncated);
}

/** A hand-off length with its set (an absent list is the empty set); null without a valid length and key. */
function handoffAt(a: Attributes, lengthKey: string, listKey: string, truncKey: string): { length: number; set: DigestSet } | null {
  const length = countAt(a, lengthKey);
  if (length === null || !isKeyId(a[K2.factKey])) return null;
  const set = Array.isArray(a[listKey]) ? setAt(a, listKey, truncKey) : { key: a[K2.factKey] as string, digests: [], truncated: a[truncKey] === true };
  return set === null ? null : { length, set };
}

function hashAt(a: Attributes, key: string): string | null {
  return asDigest(a[key]);
}

function countAt(a: Attributes, key: string): number | null {
  const v = a[key];
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : null;
}

function measuredAt(a: Attributes, hashKey: string, lengthKey: string): Measured | null {
  const hash = hashAt(a, hashKey);
  const length = countAt(a, lengthKey);
  return hash === null || length === null ? null : { hash, length };
}

function stringsAt(a: Attributes, key: string): string[] {
  const v = a[key];
  if (!Array.isArray(v)) return [];
  const out: string[] = [];
  for (const item of v) if (typeof item === 'string') out.push(item);
  return out;
}

const INJECTION_LABELS = new Set(INJECTION_PATTERNS.map((p) => p.label));

/**
 * Reads facts back. Values are validated (digests must be hex of 128 or 256 bits, lengths integers, labels known,
 * finish reasons normalised onto their closed set), so a sender that sets the marker cannot smuggle raw text into
 * stored facts.
 */
export function decodeContentFacts(a: Attributes): ContentFacts {
  const names = stringsAt(a, K.toolCallNames);
  const argHashes = a[K.toolCallArgs];
  const tool_calls: ToolCallRequest[] = names.map((name, i) => {
    const h = Array.isArray(argHashes) ? argHashes[i] : undefined;
    return { name, args_hash: asDigest(h) };
  });
  // Normalised again: a sender cannot put free text in a finish reason (the set is closed, finish-reasons.ts).
  const finish = stringsAt(a, K.finishReasons)
    .filter((r) => r.length > 0)
    .map(normalizeFinishReason);
  let injection: InjectionFacts | null = null;
  const count = countAt(a, K.injCount);
  const inputLength = countAt(a, K.injInputLength);
  if (count !== null && count > 0 && inputLength !== null) {
    injection = {
      matched_pattern_count: count,
      matched_patterns: stringsAt(a, K.injPatterns).filter((l) => INJECTION_LABELS.has(l)),
      input_length: inputLength,
    };
    const scanned = countAt(a, K.injScanned);
    if (scanned !== null) {
      injection.scan_truncated = true;
      injection.scanned_chars = scanned;
    }
  }
  const docCount = countAt(a, K.docCount);
  const topRaw = a[K.docTopScore];
  const docTop = typeof topRaw === 'number' && Number.isFinite(topRaw) ? topRaw : null;
  const tools = stringsAt(a, K.tools);
  const facts: ContentFacts = {
    input: measuredAt(a, K.inputHash, K.inputLength),
    user: measuredAt(a, K.userHash, K.userLength),
    injection,
    system: hashAt(a, K.systemHash),
    output: measuredAt(a, K.outputHash, K.outputLength),
    args: measuredAt(a, K.argsHash, K.argsLength),
    result: measuredAt(a, K.resultHash, K.resultLength),
    query: hashAt(a, K.queryHash),
    error: hashAt(a, K.errorHash),
    finish_reasons: finish.length > 0 ? finish : null,
    tool_calls,
    tools,
    documents: docCount === null && docTop === null ? null : { count: docCount, top_score: docTop },
    ...(a[CONTENT_FACTS_MARKER] === 2 ? decodeV2(a) : {}),
  };
  decodeReadBack(a, tools, facts);
  return facts;
}

/** A bitmask of a vocabulary with `size` words: a non-negative integer below 2^size; else null. */
function maskAt(a: Attributes, key: string, size: number): number | null {
  const v = a[key];
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 2 ** size ? v : null;
}

/** A digest set: only 16-hex digests under a valid key id are kept. Absent (null) without the list or the key. */
function setAt(a: Attributes, key: string, truncKey: string): DigestSet | null {
  const keyId = a[K2.factKey];
  const list = a[key];
  if (!isKeyId(keyId) || !Array.isArray(list)) return null;
  const digests: string[] = [];
  let dropped = false;
  for (const d of list) {
    if (isFactDigest(d)) digests.push(d);
    else dropped = true;
  }
  // A set missing members it was sent with is not a complete set: the rules must fail open on it.
  return { key: keyId, digests, truncated: a[truncKey] === true || dropped };
}

function typedSetAt(a: Attributes, key: string, typesKey: string, truncKey: string): TypedDigestSet | null {
  const set = setAt(a, key, truncKey);
  if (set === null) return null;
  const rawTypes = a[typesKey];
  const types: EntityType[] = set.digests.map((_, i) => {
    const t = Array.isArray(rawTypes) ? rawTypes[i] : undefined;
    return typeof t === 'string' && (ENTITY_TYPES as readonly string[]).includes(t) ? (t as EntityType) : 'ident';
  });
  return { ...set, types };
}

/** Version 2 facts, validated: masks of a known vocabulary version, digests of the fact-digest shape. */
function decodeV2(a: Attributes): Partial<ContentFacts> {
  const out: Partial<ContentFacts> = {};
  const v = a[K2.termsVersion];
  const vocab = typeof v === 'number' && Object.hasOwn(VOCABULARIES, v) ? VOCABULARIES[v] : null;
  if (vocab !== null) {
    const completion = maskAt(a, K2.replyCompletion, vocab.completion.length);
    const ack = maskAt(a, K2.replyAck, vocab.ack.length);
    const length = countAt(a, K2.replyLength);
    if (completion !== null && ack !== null && length !== null) out.reply_terms = { v: v as number, completion, ack, length } satisfies ReplyTerms;
    const error = maskAt(a, K2.toolError, vocab.markers.length);
    const output = maskAt(a, K2.toolOutput, vocab.markers.length);
    if (error !== null || output !== null) out.tool_terms = { v: v as number, error, output } satisfies ToolTerms;
  }
  const grounding = setAt(a, K2.grounding, K2.groundingTruncated);
  if (grounding !== null) out.grounding = grounding;
  const ents = typedSetAt(a, K2.argEntities, K2.argEntityTypes, K2.argEntitiesTruncated);
  if (ents !== null) out.arg_entities = ents;
  const dests = typedSetAt(a, K2.destinations, K2.destinationTypes, K2.destinationsTruncated);
  if (dests !== null) out.arg_destinations = dests;
  const ht = handoffAt(a, K2.handoffLength, K2.handoffEntities, K2.handoffTruncated);
  if (ht !== null) out.handoff_text = { length: ht.length, entities: ht.set } satisfies HandoffText;
  const hi = handoffAt(a, K2.handoffInputLength, K2.handoffInputTokens, K2.handoffInputTruncated);
  if (hi !== null) out.handoff_input = { length: hi.length, tokens: hi.set } satisfies HandoffInput;
  // --- UNRESOLVED_AMBIGUITY ---
  const warrant = setAt(a, K2.warrant, K2.warrantTruncated);
  if (warrant !== null) out.warrant = warrant;
  const leaves = setAt(a, K2.argLeaves, K2.argLeavesTruncated);
  if (leaves !== null) out.arg_leaves = leaves;
  const candidates = candidatesAt(a);
  if (candidates !== null) out.candidates = candidates;
  // --- end UNRESOLVED_AMBIGUITY ---
  return out;
}

/** Candidate sets, validated: a malformed size list or a non-digest member reads as truncated (fail open). */
function candidatesAt(a: Attributes): CandidateSets | null {
  const keyId = a[K2.factKey];
  const sizes = a[K2.candidateSizes];
  if (!isKeyId(keyId) || !Array.isArray(sizes)) return null;
  const broad = a[K2.candidateBroad];
  const ids = stringsAt(a, K2.candidateIds);
  const disc = stringsAt(a, K2.candidateDisc);
  let truncated = a[K2.candidatesTruncated] === true;
  const list = (joined: string | undefined): string[] => {
    if (joined === undefined) {
      truncated = true;
      return [];
    }
    const ds = joined === '' ? [] : joined.split(',');
    const ok = ds.filter(isFactDigest);
    if (ok.length !== ds.length) truncated = true;
    return ok;
  };
  const sets: CandidateSet[] = [];
  let at = 0;
  for (let i = 0; i < sizes.length; i++) {
    const n: unknown = sizes[i];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 1000) return { key: keyId, sets: [], truncated: true };
    const records: CandidateRecord[] = [];
    for (let j = 0; j < n; j++, at++) records.push({ ids: list(ids[at]), disc: list(disc[at]) });
    sets.push({ broad: Array.isArray(broad) && broad[i] === true, records });
  }
  return { key: keyId, sets, truncated };
}
