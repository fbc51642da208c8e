/**
 * Versioned vocabularies for the term bitmasks (bit i = word i). The words are the original's word lists, in its
 * order, so the first set bit is the first word the original would have reported. NEVER reorder or remove a word:
 * add words at the end and bump TERMS_VERSION (a receiver reads a mask only with the vocabulary it was made with).
 */

/** Version of the three vocabularies below, carried beside every mask. */
export const TERMS_VERSION = 1;

/** A reply that claims an action was carried out (PREMATURE_TERMINATION). */
export const COMPLETION_TERMS = [
  'scheduled',
  'booked',
  'completed',
  'successfully',
  'done',
  'sent',
  'created',
  'updated',
  'confirmed',
  'processed',
  'finished',
  'saved',
  'deleted',
  'resolved',
] as const;

/** A reply that acknowledges a problem (PREMATURE_TERMINATION, UNREAD_TOOL_ERROR). */
export const ERROR_ACK_TERMS = ['however', 'unable', "couldn't", 'failed', 'error', 'issue', 'problem', 'unfortunately', 'sorry'] as const;

/** A tool result or error text that reports a failure. */
export const ERROR_MARKERS = ['error', 'exception', 'traceback', 'failed', 'not found', 'unavailable', 'timeout'] as const;

export type Vocabulary = readonly string[];

/** The vocabularies by version: a decoder only accepts masks of a version listed here. */
export const VOCABULARIES: Readonly<Record<number, { completion: Vocabulary; ack: Vocabulary; markers: Vocabulary }>> = {
  1: { completion: COMPLETION_TERMS, ack: ERROR_ACK_TERMS, markers: ERROR_MARKERS },
};
