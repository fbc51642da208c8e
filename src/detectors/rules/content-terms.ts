/**
 * Shared by the content-aware rules: the configurable word lists (each a subset of a versioned vocabulary, so the
 * receiver can apply it to the bitmasks computed in the agent's process) and the original's "problem tool call".
 */
import { z } from 'zod';
import { COMPLETION_TERMS, ERROR_ACK_TERMS, ERROR_MARKERS, firstTerm, subsetMask, type ToolTerms } from '../../mapping/facts/index.js';
import type { ToolCallFact } from '../facts.js';

const wordList = (words: readonly [string, ...string[]], what: string) =>
  z.array(z.enum(words)).min(1).describe(`${what} (words of vocabulary v1; matched case-insensitively as substrings, in the agent's process)`);

export const completionTerms = wordList(COMPLETION_TERMS, 'words that claim an action was completed');
export const ackTerms = wordList(ERROR_ACK_TERMS, 'words that acknowledge an error');
export const errorMarkers = wordList(ERROR_MARKERS, 'words in a tool result that report a failure');

export const DEFAULT_COMPLETION = [...COMPLETION_TERMS];
export const DEFAULT_ACK = [...ERROR_ACK_TERMS];
export const DEFAULT_MARKERS = [...ERROR_MARKERS];

export { COMPLETION_TERMS, ERROR_ACK_TERMS, ERROR_MARKERS, firstTerm, subsetMask };

/** A tool call that failed: declared (success = false) or a successful call whose result reports an error. */
export interface ProblemCall {
  call: ToolCallFact;
  source: 'declared' | 'output_text';
  /** The first configured error marker found (in the error text, or the result), or null. */
  marker: string | null;
}

export function problemCall(call: ToolCallFact, terms: ToolTerms | null, markerMask: number): ProblemCall | null {
  if (call.success === false) {
    const m = terms?.error !== null && terms?.error !== undefined ? terms.error & markerMask : 0;
    return { call, source: 'declared', marker: firstTerm(m, ERROR_MARKERS) };
  }
  if (call.success === true && terms?.output !== null && terms?.output !== undefined) {
    const m = terms.output & markerMask;
    if (m !== 0) return { call, source: 'output_text', marker: firstTerm(m, ERROR_MARKERS) };
  }
  return null;
}
