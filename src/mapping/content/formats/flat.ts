import type { AttrValue } from '../../../otlp/model.js';
import type { MessageFormat, Messages } from '../messages.js';
import { parseMessageList } from './genai-messages.js';

/**
 * A flat string (`gen_ai.prompt` / `gen_ai.completion`, and the same keys on span events): JSON message lists are
 * read as such, anything else is raw text.
 */
export function parseFlat(v: AttrValue | undefined, forInput: boolean): Messages | null {
  if (typeof v !== 'string' || v.length === 0) return v === undefined || v === null ? null : parseMessageList(v, forInput);
  const first = v.charCodeAt(0);
  if (first === 91 /* [ */ || first === 123 /* { */) return parseMessageList(v, forInput);
  return { raw: v };
}

export const flatPromptCompletion: MessageFormat = {
  name: 'flat gen_ai.prompt / gen_ai.completion (older semconv, OpenLIT)',
  input: (span) => parseFlat(span.attributes['gen_ai.prompt'], true),
  output: (span) => parseFlat(span.attributes['gen_ai.completion'], false),
};
