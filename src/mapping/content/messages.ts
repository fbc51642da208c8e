import type { AttrValue } from '../../otlp/model.js';
import { contentString, type AttributeIndex } from '../attributes.js';
import type { ContentSource } from './facts.js';

/**
 * The message model every message format (formats/*.ts) parses into, and the helpers they share.
 *
 * Text rules (documented because digests and lengths depend on them):
 * - A message's text is its text parts concatenated (plus tool-call responses for input messages); a message list's
 *   text is the non-empty message texts joined with "\n". Lengths are JS string lengths (UTF-16 code units).
 * - A value that cannot be parsed (Python truncates long JSON) is taken as raw text: digest and length of the raw
 *   string; roles are then unknown and the whole raw string counts as user input for the injection scan.
 * - Structured (already-parsed) values are serialised with JSON.stringify before hashing.
 */

export interface RawToolCall {
  name: string | null;
  args: string | null;
}

export interface Msg {
  role: string;
  text: string;
  toolCalls: RawToolCall[] | null;
  /** As sent (normalised later, by finish-reasons.ts). */
  finish: string | null;
}

/**
 * Messages parsed from a source, or the raw string when it could not be parsed. `captured` is false when the
 * source only had structure (roles, finish reasons, tool names) but no content: then there is no text to measure,
 * which is unknown, not empty.
 */
export type Messages = { messages: Msg[]; captured: boolean; raw?: undefined } | { messages?: undefined; captured?: undefined; raw: string };

export type Obj = { [key: string]: unknown };

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/** The value when it is a string, else null. */
export function s(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

/** Tool-call arguments/results as text (structured values JSON-encoded); null when absent. */
export function argsString(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  return contentString(v as AttrValue);
}

/** The text of the messages (all, or those whose role passes `roleFilter`) joined with "\n"; null when none. */
export function joinText(messages: Msg[], roleFilter: ((role: string) => boolean) | null): string | null {
  let out: string | null = null;
  for (const m of messages) {
    if (roleFilter !== null && !roleFilter(m.role)) continue;
    if (m.text.length === 0) {
      out ??= '';
      continue;
    }
    out = out === null || out.length === 0 ? m.text : out + '\n' + m.text;
  }
  return out;
}

export const isUser = (role: string): boolean => role === 'user' || role === 'human';
export const isSystem = (role: string): boolean => role === 'system' || role === 'developer';

/**
 * One way emitters put messages on a span. `input`/`output` return null when the span has no messages in this
 * format, so the next format in MESSAGE_FORMATS (formats/index.ts) is tried.
 */
export interface MessageFormat {
  /** Who emits it, for readers (not used by the code). */
  readonly name: string;
  input(span: ContentSource, index: AttributeIndex): Messages | null;
  output(span: ContentSource, index: AttributeIndex): Messages | null;
}
