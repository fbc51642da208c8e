/**
 * Content facts for the content-aware detectors (PREMATURE_TERMINATION, UNREAD_TOOL_ERROR,
 * TOOL_ARGUMENT_FABRICATION, UNGROUNDED_DESTINATION, …): term bitmasks over versioned vocabularies, code-point
 * lengths, and capped sets of keyed digests of entity tokens. Computed from raw text inside the mapping core
 * (content/index.ts), so the SpanProcessor, the SDK, /v1/ingest and the receiver's OTLP path share one
 * implementation; only these facts leave it.
 */
import { ARG_SET_CAP, GROUNDING_SET_CAP, digestSet, typedDigestSet, type DigestSet, type TypedDigestSet } from './digest-set.js';
import { argumentDestinations, argumentEntities, groundingTokens, handoffEntities } from './entities.js';
import type { FactKeyer } from './keyed.js';
import { codePointLength, termMask } from './terms.js';
import { COMPLETION_TERMS, ERROR_ACK_TERMS, ERROR_MARKERS, TERMS_VERSION } from './vocabularies.js';

export * from './vocabularies.js';
export * from './terms.js';
export * from './keyed.js';
export * from './digest-set.js';
export * from './entities.js';
// --- UNRESOLVED_AMBIGUITY ---
export * from './ambiguity.js';
// --- end UNRESOLVED_AMBIGUITY ---

/** An LLM reply's terms: completion claims and error acknowledgements (bitmasks), and its length in code points. */
export interface ReplyTerms {
  v: number;
  completion: number;
  ack: number;
  length: number;
}

/** A tool call's error markers: in its error text (status / exception message) and in its result. null = no text. */
export interface ToolTerms {
  v: number;
  error: number | null;
  output: number | null;
}

export function replyTerms(text: string): ReplyTerms {
  return { v: TERMS_VERSION, completion: termMask(text, COMPLETION_TERMS), ack: termMask(text, ERROR_ACK_TERMS), length: codePointLength(text) };
}

export function toolTerms(errorText: string | null, resultText: string | null): ToolTerms | null {
  if (errorText === null && resultText === null) return null;
  return {
    v: TERMS_VERSION,
    error: errorText === null ? null : termMask(errorText, ERROR_MARKERS),
    output: resultText === null ? null : termMask(resultText, ERROR_MARKERS),
  };
}

/** The keyed grounding set of one or more texts (null texts skipped); null when there is no text at all. */
export function groundingSet(texts: readonly (string | null)[], keyer: FactKeyer): DigestSet | null {
  let any = false;
  const tokens = new Set<string>();
  let tooLong = false;
  for (const t of texts) {
    if (t === null) continue;
    any = true;
    const g = groundingTokens(t);
    if (g === null) tooLong = true;
    else for (const x of g) tokens.add(x);
  }
  if (!any) return null;
  const set = digestSet(tokens, keyer, GROUNDING_SET_CAP);
  if (tooLong) set.truncated = true;
  return nonEmpty(set);
}

/** An empty, complete set says nothing a missing one does not (whether text was captured is its hash): omitted. */
function nonEmpty<S extends DigestSet>(set: S): S | null {
  return set.digests.length === 0 && !set.truncated ? null : set;
}

export function argumentEntitySet(args: string, keyer: FactKeyer): TypedDigestSet | null {
  return nonEmpty(typedDigestSet(argumentEntities(args), keyer, ARG_SET_CAP));
}

export function destinationSet(args: string, keyer: FactKeyer): TypedDigestSet | null {
  return nonEmpty(typedDigestSet(argumentDestinations(args), keyer, ARG_SET_CAP));
}

/**
 * HANDOFF_CONTEXT_LOSS, parent side: a text the parent had before a hand-off (the run's input, an LLM reply, a tool
 * result) as its code-point length and the keyed digests of its UUIDs, emails, URLs and 3+ digit integers.
 */
export interface HandoffText {
  length: number;
  entities: DigestSet;
}

/**
 * HANDOFF_CONTEXT_LOSS, child side: a sub-agent's input as its code-point length and the keyed digests of everything
 * a parent entity could match in it (the hand-off entities plus the grounding tokens: punctuation-stripped words).
 */
export interface HandoffInput {
  length: number;
  tokens: DigestSet;
}

export function handoffText(text: string, keyer: FactKeyer): HandoffText {
  const ents = handoffEntities(text);
  const entities = digestSet(ents ?? [], keyer, GROUNDING_SET_CAP);
  if (ents === null) entities.truncated = true;
  return { length: codePointLength(text), entities };
}

export function handoffInput(text: string, keyer: FactKeyer): HandoffInput {
  const ents = handoffEntities(text);
  const words = groundingTokens(text);
  const tokens = digestSet(new Set([...(ents ?? []), ...(words ?? [])]), keyer, GROUNDING_SET_CAP);
  if (ents === null || words === null) tokens.truncated = true;
  return { length: codePointLength(text), tokens };
}
